"""The FacturaPlus demo: an invoicing SaaS, its customers, their journey and their answers."""
