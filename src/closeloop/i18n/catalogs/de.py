"""German: *Sie*, as customers are addressed in business."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

MESSAGES: Final[Mapping[str, str]] = {
    # the survey: the page asks plainly, the email greets the person first
    "nps.question": (
        "Wie wahrscheinlich ist es, dass Sie {product} einem Freund oder Kollegen empfehlen würden?"
    ),
    "nps.email_question": (
        "Hallo {name}, wie wahrscheinlich ist es, dass Sie {product} einem Freund oder "
        "Kollegen empfehlen würden?"
    ),
    "nps.low": "Überhaupt nicht wahrscheinlich",
    "nps.high": "Äußerst wahrscheinlich",
    "csat.question": "Wie zufrieden sind Sie mit {product}?",
    "csat.email_question": "Hallo {name}, wie zufrieden sind Sie mit {product}?",
    "csat.low": "Sehr unzufrieden",
    "csat.high": "Sehr zufrieden",
    "ces.question": "Wie einfach war es, Ihr Anliegen mit {product} zu erledigen?",
    "ces.email_question": (
        "Hallo {name}, wie einfach war es, Ihr Anliegen mit {product} zu erledigen?"
    ),
    "ces.low": "Sehr schwierig",
    "ces.high": "Sehr einfach",
    "follow_up.question": "Was ist der wichtigste Grund für Ihre Bewertung?",
    # the email
    "email.subject": "Eine kurze Frage zu {product}",
    "email.pick_a_number": (
        "Klicken Sie auf die Zahl, die am besten passt ({low_score} = {low}, "
        "{high_score} = {high}):"
    ),
    "email.one_click": (
        "Ein Klick speichert Ihre Antwort; auf der Seite, die sich dann öffnet, können Sie "
        "gern einen Kommentar hinzufügen."
    ),
    "email.why_you_got_this": (
        "Sie erhalten diese E-Mail, weil {sender} Kundinnen und Kunden um Feedback bittet."
    ),
    "email.unsubscribe": "Abmelden",
    "email.unsubscribe_in_one_click": "Mit einem Klick abmelden:",
    # the follow-up page
    "follow_up.you_answered": "Danke! Sie haben mit {score} geantwortet.",
    "follow_up.you_answered_named": "Danke, {name}! Sie haben mit {score} geantwortet.",
    "follow_up.your_score": "Ihre Bewertung",
    "follow_up.your_score_changeable": "Ihre Bewertung (Sie können sie ändern)",
    "follow_up.comment_hint": "Optional, bis zu {limit} Zeichen.",
    "follow_up.send_answer": "Antwort senden",
    "follow_up.send": "Senden",
    "follow_up.changeable_until": "Sie können Ihre Antwort bis zum {date} ändern.",
    "follow_up.score_error": "Bitte wählen Sie eine Bewertung von {low_score} bis {high_score}.",
    "follow_up.comment_too_long": (
        "Ihr Kommentar ist länger als {limit} Zeichen. Bitte kürzen Sie ihn – Ihr Text ist noch da."
    ),
    "follow_up.comment_unreadable": (
        "Ihr Kommentar enthält ein Zeichen, das wir nicht speichern können. Bitte entfernen "
        "Sie es und senden Sie erneut."
    ),
    # the follow-up page once the answer is final
    "answered.you_answered": "Danke! Sie haben am {date} mit {score} geantwortet.",
    "answered.you_answered_named": "Danke, {name}! Sie haben am {date} mit {score} geantwortet.",
    "answered.final": (
        "Diese Antwort ist jetzt endgültig und kann nicht mehr geändert werden. Vielen Dank "
        "für Ihre Zeit."
    ),
    # the thank-you page
    "thanks.title": "Vielen Dank",
    "thanks.heading": "Vielen Dank!",
    "thanks.heading_named": "Vielen Dank, {name}!",
    "thanks.your_answer": "Wir haben Ihre Antwort erhalten:",
    "thanks.message": "Ihr Feedback geht direkt an die Menschen, die etwas bewegen können.",
    "thanks.change": "Antwort ändern",
    "thanks.change_until": "(bis zum {date}).",
    "thanks.not_answered": "Sie haben noch nicht geantwortet",
    "thanks.answer_now": "Zur Umfrage",
    # unsubscribing
    "unsubscribe.title": "Von Umfragen abmelden?",
    "unsubscribe.consequence": "Sie erhalten dann keine Umfragen mehr von {workspace}.",
    "unsubscribe.button": "Abmelden",
    "unsubscribed.title": "Sie sind abgemeldet",
    "unsubscribed.no_more": "Sie erhalten keine Umfragen mehr von {workspace}.",
    "unsubscribed.thanks": "Danke für Ihre bisherigen Antworten.",
    # when something is wrong
    "error.expired.title": "Dieser Link ist abgelaufen",
    "error.expired.detail": (
        "Umfragelinks sind nur begrenzte Zeit gültig. Bitte verwenden Sie den Link aus Ihrer "
        "neuesten Umfrage-E-Mail."
    ),
    "error.invalid_link.title": "Dieser Link ist ungültig",
    "error.invalid_link.detail": (
        "Vielleicht wurde er beim Kopieren abgeschnitten. Bitte verwenden Sie den Link aus "
        "Ihrer neuesten Umfrage-E-Mail."
    ),
    "error.not_found.title": "Wir konnten diese Umfrage nicht finden",
    "error.not_found.detail": (
        "Sie wurde möglicherweise zurückgezogen. Trotzdem vielen Dank für Ihre Zeit."
    ),
    "error.closed.title": "Diese Umfrage ist beendet",
    "error.closed.detail": (
        "Sie nimmt keine Antworten mehr an. Trotzdem vielen Dank für Ihre Zeit."
    ),
    "error.final.title": "Ihre Antwort ist endgültig",
    "error.final.detail": (
        "Sie haben bereits geantwortet, und die Antwort kann nicht mehr geändert werden. "
        "Vielen Dank für Ihre Zeit."
    ),
    "error.bad_score.detail": (
        "Dieser Link enthält keine Bewertung, die wir speichern können. Bitte klicken Sie auf "
        "eine der Zahlen in der E-Mail."
    ),
    "error.bad_request.title": "Etwas stimmt nicht",
    "error.bad_request.detail": (
        "Das Formular konnte nicht gelesen werden. Bitte versuchen Sie es erneut."
    ),
    "error.unexpected.title": "Etwas ist schiefgelaufen",
    "error.unexpected.detail": "Bitte versuchen Sie es gleich noch einmal.",
    # every page
    "page.powered_by": "Bereitgestellt mit closeloop",
    # dates ("3. März 2026") and numbers ("5.000")
    "date.format": "{day}. {month} {year}",
    "date.first_day": "1",
    "month.1": "Januar",
    "month.2": "Februar",
    "month.3": "März",
    "month.4": "April",
    "month.5": "Mai",
    "month.6": "Juni",
    "month.7": "Juli",
    "month.8": "August",
    "month.9": "September",
    "month.10": "Oktober",
    "month.11": "November",
    "month.12": "Dezember",
    "number.group_separator": ".",
}
