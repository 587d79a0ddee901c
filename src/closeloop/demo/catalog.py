"""The cast of the FacturaPlus demo: customers, people, and what they say. Data only.

FacturaPlus sells invoicing software to small and mid-sized businesses in Europe and the
Americas (the seed article's example), so its customers are accountants, wineries, clinics
and hauliers, and its respondents talk about e-invoicing rules, bank reconciliation,
support tickets and their account manager. Domains use the reserved ``.example`` TLD so
that no demo address can ever reach a real inbox.
"""

# ruff: noqa: E501 - one record per line reads best in a data table

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Company:
    name: str
    domain: str
    industry: str
    country: str
    time_zone: str
    locale: str


@dataclass(frozen=True)
class Comment:
    theme: str
    text: str


COMPANIES: tuple[Company, ...] = (
    Company("Construcciones Ibarra", "construccionesibarra.example", "Construction", "ES", "Europe/Madrid", "es-ES"),
    Company("Talleres Ruiz Hermanos", "talleresruiz.example", "Automotive services", "ES", "Europe/Madrid", "es-ES"),
    Company("Clínica Dental Sonrisa Norte", "sonrisanorte.example", "Healthcare", "ES", "Europe/Madrid", "es-ES"),
    Company("Bodegas Valdecampo", "valdecampo.example", "Food & beverage", "ES", "Europe/Madrid", "es-ES"),
    Company("Lozano & Asociados Asesoría Fiscal", "lozanoasesores.example", "Accounting", "ES", "Europe/Madrid", "es-ES"),
    Company("Hoteles Marbella Sol", "marbellasol.example", "Hospitality", "ES", "Europe/Madrid", "es-ES"),
    Company("Transportes Ebro", "transportesebro.example", "Logistics", "ES", "Europe/Madrid", "es-ES"),
    Company("Estudio Nómada Arquitectura", "estudionomada.example", "Architecture", "ES", "Europe/Madrid", "es-ES"),
    Company("Distribuidora Azteca de Alimentos", "dazteca.example", "Wholesale", "MX", "America/Mexico_City", "es-MX"),
    Company("Consultores Tecnológicos del Bajío", "ctbajio.example", "IT services", "MX", "America/Mexico_City", "es-MX"),
    Company("Muebles Artesanales Oaxaca", "mueblesoaxaca.example", "Manufacturing", "MX", "America/Mexico_City", "es-MX"),
    Company("Farmacias Santa Lucía", "farmaciasantalucia.example", "Retail", "MX", "America/Mexico_City", "es-MX"),
    Company("Agencia Colibrí", "agenciacolibri.example", "Marketing & advertising", "MX", "America/Mexico_City", "es-MX"),
    Company("Café Sierra Nevada Exportadores", "cafesierranevada.example", "Agriculture", "CO", "America/Bogota", "es-CO"),
    Company("Logística Andina Express", "andinaexpress.example", "Logistics", "CO", "America/Bogota", "es-CO"),
    Company("Inmobiliaria Cafetera", "inmocafetera.example", "Real estate", "CO", "America/Bogota", "es-CO"),
    Company("Textiles Medellín Moda", "medellinmoda.example", "Manufacturing", "CO", "America/Bogota", "es-CO"),
    Company("Conservas Atlântico", "conservasatlantico.example", "Food & beverage", "PT", "Europe/Lisbon", "pt-PT"),
    Company("Lisboa Digital Studio", "lisboadigital.example", "IT services", "PT", "Europe/Lisbon", "pt-PT"),
    Company("Farmácia Central do Porto", "farmaciacentralporto.example", "Retail", "PT", "Europe/Lisbon", "pt-PT"),
    Company("Quinta Alta Vinhos do Douro", "quintaalta.example", "Food & beverage", "PT", "Europe/Lisbon", "pt-PT"),
    Company("Brightline Dental Partners", "brightlinedental.example", "Healthcare", "US", "America/New_York", "en-US"),
    Company("Harbor & Pine Marketing", "harborpine.example", "Marketing & advertising", "US", "America/New_York", "en-US"),
    Company("Lakeshore HVAC Services", "lakeshorehvac.example", "Field services", "US", "America/Chicago", "en-US"),
    Company("Summit Ridge Outfitters", "summitridge.example", "E-commerce", "US", "America/Denver", "en-US"),
    Company("Pacific Crest Logistics", "pacificcrest.example", "Logistics", "US", "America/Los_Angeles", "en-US"),
    Company("Hudson Valley Legal Group", "hudsonvalleylegal.example", "Legal", "US", "America/New_York", "en-US"),
    Company("Sharma Textiles Exports", "sharmatextiles.example", "Manufacturing", "IN", "Asia/Kolkata", "en-IN"),
    Company("Nimbus Cloud Consulting", "nimbuscloud.example", "IT services", "IN", "Asia/Kolkata", "en-IN"),
    Company("Kaveri Pharma Distributors", "kaveripharma.example", "Wholesale", "IN", "Asia/Kolkata", "en-IN"),
    Company("Mumbai Metro Caterers", "metrocaterers.example", "Hospitality", "IN", "Asia/Kolkata", "en-IN"),
    Company("Agropecuaria La Pampa", "agrolapampa.example", "Agriculture", "AR", "America/Argentina/Buenos_Aires", "es-AR"),
    Company("Estudio Contable Ferreyra", "ferreyracontable.example", "Accounting", "AR", "America/Argentina/Buenos_Aires", "es-AR"),
    Company("Viña Los Andes", "vinalosandes.example", "Food & beverage", "CL", "America/Santiago", "es-CL"),
    Company("Servicios Mineros Atacama", "smatacama.example", "Mining services", "CL", "America/Santiago", "es-CL"),
    Company("Importadora Inca Tech", "incatech.example", "Wholesale", "PE", "America/Lima", "es-PE"),
    Company("Ótica Visão Paulista", "oticavisao.example", "Retail", "BR", "America/Sao_Paulo", "pt-BR"),
    Company("Agência Tucano Digital", "tucanodigital.example", "Marketing & advertising", "BR", "America/Sao_Paulo", "pt-BR"),
    Company("Thames Valley Joinery", "tvjoinery.example", "Manufacturing", "GB", "Europe/London", "en-GB"),
    Company("Northgate Property Management", "northgatepm.example", "Real estate", "GB", "Europe/London", "en-GB"),
)  # fmt: skip

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "es": (
        "Lucía", "Javier", "María", "Carlos", "Ana", "Diego", "Sofía", "Alejandro", "Carmen",
        "Pablo", "Elena", "Miguel", "Laura", "Andrés", "Valentina", "Jorge", "Camila",
        "Fernando", "Isabel", "Raúl", "Daniela", "Sergio", "Paula", "Héctor", "Natalia",
    ),
    "pt": (
        "João", "Inês", "Tiago", "Beatriz", "Rui", "Mariana", "Pedro", "Carolina", "Miguel",
        "Ana", "Gonçalo", "Rita", "Bruno", "Sofia", "Lucas", "Camila", "Rafael", "Larissa",
    ),
    "en": (
        "Emily", "James", "Sarah", "Michael", "Olivia", "David", "Hannah", "Daniel", "Grace",
        "Ryan", "Megan", "Ethan", "Chloe", "Nathan", "Lauren", "Tom", "Rebecca", "Oliver",
    ),
    "in": (
        "Priya", "Rahul", "Ananya", "Arjun", "Sneha", "Vikram", "Kavya", "Rohan", "Divya",
        "Aditya", "Meera", "Karthik", "Pooja", "Sanjay", "Neha",
    ),
}  # fmt: skip

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "es": (
        "García", "Martínez", "López", "Hernández", "González", "Rodríguez", "Pérez",
        "Sánchez", "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Morales",
        "Vargas", "Castillo", "Ortega", "Romero", "Navarro", "Jiménez", "Medina", "Herrera",
    ),
    "pt": (
        "Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins",
        "Sousa", "Almeida", "Carvalho", "Gomes", "Lopes", "Ribeiro", "Barbosa",
    ),
    "en": (
        "Johnson", "Miller", "Brooks", "Bennett", "Carter", "Hughes", "Foster", "Reed",
        "Sullivan", "Hayes", "Parker", "Collins", "Turner", "Murphy", "Walsh", "Clarke",
    ),
    "in": (
        "Sharma", "Iyer", "Patel", "Reddy", "Nair", "Gupta", "Menon", "Kulkarni", "Desai",
        "Rao", "Singh", "Bhat", "Joshi", "Verma", "Krishnan",
    ),
}  # fmt: skip

TITLES: dict[str, tuple[str, ...]] = {
    "decision_maker": ("CEO", "CFO", "Managing Director", "Owner", "Finance Director", "COO"),
    "primary_contact": ("Office Manager", "Finance Manager", "Head of Administration", "Controller"),
    "end_user": (
        "Accountant", "Billing Clerk", "Accounts Receivable Specialist", "Bookkeeper",
        "Administrative Assistant", "Sales Coordinator",
    ),
}  # fmt: skip

PLANS: tuple[tuple[str, str, int, int], ...] = (
    # plan, segment, monthly price in EUR, how many people use it
    ("Starter", "SMB", 29, 3),
    ("Growth", "SMB", 79, 5),
    ("Scale", "Mid-Market", 199, 7),
    ("Enterprise", "Enterprise", 590, 9),
)

ACCOUNT_MANAGERS = (
    "marta.ruiz@facturaplus.example",
    "diego.fernandez@facturaplus.example",
    "ana.costa@facturaplus.example",
    "john.bennett@facturaplus.example",
    "isha.menon@facturaplus.example",
)

TICKET_TOPICS = (
    "e-invoicing rejection",
    "bank reconciliation",
    "VAT report",
    "invoice template",
    "CSV import",
    "user permissions",
    "payment reminders",
    "API integration",
)

FEATURE_RELEASES = (
    # feature, days before the demo's "now"
    ("Verifactu-ready e-invoicing", 29),
    ("Bank feed sync", 9),
)

# what people say, by category and language; {manager} is their account manager's first name
COMMENTS: dict[str, dict[str, tuple[Comment, ...]]] = {
    "promoter": {
        "en": (
            Comment("e-invoicing", "The switch to mandatory e-invoicing was painless. FacturaPlus had the new format ready before we even asked."),
            Comment("support", "Support answered my VAT question in under an hour. Impressive."),
            Comment("ease of use", "Creating and sending an invoice takes two minutes now. The whole team picked it up in a day."),
            Comment("account manager", "{manager}, our account manager, checks in every quarter and always has a useful tip."),
            Comment("integrations", "The bank feed sync saves me hours of reconciliation every month."),
            Comment("billing", "Recurring invoices and automatic reminders mean we get paid about ten days sooner."),
            Comment("reporting", "The quarterly tax report is ready for our accountant with one click."),
            Comment("onboarding", "Onboarding was excellent: we imported five years of invoices on the first call."),
            Comment("ease of use", "Clean, fast and it just works. I recommend it to every client we advise."),
        ),
        "es": (
            Comment("e-invoicing", "La facturación electrónica obligatoria nos pilló preparados gracias a FacturaPlus."),
            Comment("support", "El soporte resolvió mi duda del IVA en menos de una hora. Muy buen servicio."),
            Comment("ease of use", "Muy fácil de usar; emitir una factura nos lleva dos minutos."),
            Comment("account manager", "{manager} nos ayuda siempre que lo necesitamos. Trato cercano y profesional."),
        ),
        "pt": (
            Comment("e-invoicing", "A faturação eletrónica ficou resolvida sem dores de cabeça."),
            Comment("support", "O suporte respondeu rapidamente e resolveu tudo à primeira."),
            Comment("integrations", "A sincronização bancária poupa-nos horas todos os meses."),
        ),
    },
    "passive": {
        "en": (
            Comment("pricing", "Good product, but the jump from Growth to Scale is steep for a team our size."),
            Comment("bugs", "Works well most of the time, although the PDF preview sometimes shows our old logo."),
            Comment("reporting", "I would like more flexible reports; I still export to Excel for the monthly close."),
            Comment("onboarding", "Setup took longer than expected. Importing our customer list needed two attempts."),
            Comment("support", "Support is friendly, but email answers can take a full day."),
            Comment("integrations", "Solid invoicing. It is missing a proper integration with our CRM."),
            Comment("e-invoicing", "The e-invoicing module works, but the tax portal's error messages are hard to understand."),
            Comment("ease of use", "It does the job. The mobile app could be a lot better."),
        ),
        "es": (
            Comment("pricing", "Buen producto, pero el salto de precio entre planes es grande."),
            Comment("reporting", "Faltan informes más flexibles; seguimos exportando a Excel."),
            Comment("support", "El soporte es amable, aunque a veces tarda un día en responder."),
        ),
        "pt": (
            Comment("bugs", "Funciona bem, mas a pré-visualização do PDF às vezes falha."),
            Comment("onboarding", "A configuração inicial demorou mais do que esperávamos."),
        ),
    },
    "detractor": {
        "en": (
            Comment("bugs", "Invoices failed to send twice this month and nobody warned us. We found out from a customer."),
            Comment("support", "My ticket was closed as solved but the problem came back the next day. Very frustrating."),
            Comment("billing", "We were charged for seats we had removed. It took three emails to get a refund."),
            Comment("e-invoicing", "The new e-invoice format rejected half our invoices right before the filing deadline."),
            Comment("onboarding", "Onboarding was confusing and we never got the training session we were promised."),
            Comment("account manager", "We have not heard from our account manager since we signed. Nobody seems to care after the sale."),
            Comment("pricing", "The price went up 20% at renewal with no new features that we use."),
            Comment("performance", "The app is slow at month end, exactly when we need it most."),
        ),
        "es": (
            Comment("bugs", "Las facturas no se enviaron y nadie nos avisó. Nos enteramos por un cliente."),
            Comment("support", "Cerraron mi incidencia como resuelta y el problema volvió al día siguiente."),
            Comment("billing", "Nos cobraron usuarios que ya habíamos dado de baja."),
        ),
        "pt": (
            Comment("performance", "A aplicação fica muito lenta no fim do mês."),
            Comment("support", "O meu pedido foi fechado sem estar resolvido."),
        ),
    },
}  # fmt: skip
