"""Spanish, for Spain and Latin America alike: *usted*, and wording common to both."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

MESSAGES: Final[Mapping[str, str]] = {
    # the survey: the page asks plainly, the email greets the person first
    "nps.question": "¿Qué probabilidad hay de que recomiende {product} a un amigo o colega?",
    "nps.email_question": (
        "Hola {name}, ¿qué probabilidad hay de que recomiende {product} a un amigo o colega?"
    ),
    "nps.low": "Nada probable",
    "nps.high": "Extremadamente probable",
    "csat.question": "¿Cuál es su grado de satisfacción con {product}?",
    "csat.email_question": "Hola {name}, ¿cuál es su grado de satisfacción con {product}?",
    "csat.low": "Muy insatisfecho",
    "csat.high": "Muy satisfecho",
    "ces.question": "¿Hasta qué punto le resultó fácil obtener lo que necesitaba de {product}?",
    "ces.email_question": (
        "Hola {name}, ¿hasta qué punto le resultó fácil obtener lo que necesitaba de {product}?"
    ),
    "ces.low": "Muy difícil",
    "ces.high": "Muy fácil",
    "follow_up.question": "¿Cuál es el motivo principal de su puntuación?",
    # the email
    "email.subject": "Una pregunta rápida sobre {product}",
    "email.pick_a_number": (
        "Haga clic en el número que mejor encaje ({low_score} = {low}, {high_score} = {high}):"
    ),
    "email.one_click": (
        "Con un solo clic registramos su respuesta; en la página que se abre puede añadir un "
        "comentario si lo desea."
    ),
    "email.why_you_got_this": (
        "Recibe este correo porque {sender} pide su opinión a sus clientes."
    ),
    "email.unsubscribe": "Darse de baja",
    "email.unsubscribe_in_one_click": "Darse de baja con un clic:",
    # the follow-up page
    "follow_up.you_answered": "¡Gracias! Su respuesta: {score}.",
    "follow_up.you_answered_named": "¡Gracias, {name}! Su respuesta: {score}.",
    "follow_up.your_score": "Su puntuación",
    "follow_up.your_score_changeable": "Su puntuación (puede cambiarla)",
    "follow_up.comment_hint": "Opcional, hasta {limit} caracteres.",
    "follow_up.send_answer": "Enviar mi respuesta",
    "follow_up.send": "Enviar",
    "follow_up.changeable_until": "Puede cambiar su respuesta hasta el {date}.",
    "follow_up.score_error": "Elija una puntuación del {low_score} al {high_score}.",
    "follow_up.comment_too_long": (
        "Su comentario supera los {limit} caracteres. Acórtelo, por favor: su texto sigue aquí."
    ),
    "follow_up.comment_unreadable": (
        "Su comentario contiene un carácter que no podemos guardar. Elimínelo y vuelva a enviarlo."
    ),
    # the follow-up page once the answer is final
    "answered.you_answered": "¡Gracias! Su respuesta del {date}: {score}.",
    "answered.you_answered_named": "¡Gracias, {name}! Su respuesta del {date}: {score}.",
    "answered.final": (
        "Esta respuesta ya es definitiva y no se puede cambiar. Gracias por su tiempo."
    ),
    # the thank-you page
    "thanks.title": "Gracias",
    "thanks.heading": "¡Gracias!",
    "thanks.heading_named": "¡Gracias, {name}!",
    "thanks.your_answer": "Hemos recibido su respuesta:",
    "thanks.message": "Su opinión llega directamente a las personas que pueden actuar.",
    "thanks.change": "Cambiar su respuesta",
    "thanks.change_until": "(hasta el {date}).",
    "thanks.not_answered": "Todavía no ha respondido",
    "thanks.answer_now": "Responder a la encuesta",
    # unsubscribing
    "unsubscribe.title": "¿Darse de baja de las encuestas?",
    "unsubscribe.consequence": "Dejará de recibir encuestas de {workspace}.",
    "unsubscribe.button": "Darme de baja",
    "unsubscribed.title": "Baja confirmada",
    "unsubscribed.no_more": "No recibirá más encuestas de {workspace}.",
    "unsubscribed.thanks": "Gracias por las respuestas que nos ha dado.",
    # when something is wrong
    "error.expired.title": "Este enlace ha caducado",
    "error.expired.detail": (
        "Los enlaces de las encuestas son válidos durante un tiempo limitado. Use el enlace "
        "de su correo de encuesta más reciente."
    ),
    "error.invalid_link.title": "Este enlace no es válido",
    "error.invalid_link.detail": (
        "Puede que se haya cortado al copiarlo. Use el enlace de su correo de encuesta más "
        "reciente."
    ),
    "error.not_found.title": "No encontramos esta encuesta",
    "error.not_found.detail": (
        "Es posible que se haya retirado. Gracias por su tiempo de todos modos."
    ),
    "error.closed.title": "Esta encuesta está cerrada",
    "error.closed.detail": "Ya no admite respuestas. Gracias por su tiempo de todos modos.",
    "error.final.title": "Su respuesta es definitiva",
    "error.final.detail": (
        "Ya ha respondido y la respuesta ya no se puede cambiar. Gracias por su tiempo."
    ),
    "error.bad_score.detail": (
        "Este enlace no contiene una puntuación que podamos registrar. Haga clic en uno de "
        "los números del correo."
    ),
    "error.bad_request.title": "Algo no está bien",
    "error.bad_request.detail": "No se pudo leer el formulario. Inténtelo de nuevo.",
    "error.unexpected.title": "Algo ha fallado",
    "error.unexpected.detail": "Inténtelo de nuevo en unos momentos.",
    # every page
    "page.powered_by": "Con la tecnología de closeloop",
    # dates ("3 de marzo de 2026") and numbers ("5.000")
    "date.format": "{day} de {month} de {year}",
    "date.first_day": "1",
    "month.1": "enero",
    "month.2": "febrero",
    "month.3": "marzo",
    "month.4": "abril",
    "month.5": "mayo",
    "month.6": "junio",
    "month.7": "julio",
    "month.8": "agosto",
    "month.9": "septiembre",
    "month.10": "octubre",
    "month.11": "noviembre",
    "month.12": "diciembre",
    "number.group_separator": ".",
}
