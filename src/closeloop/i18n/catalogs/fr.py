"""French: *vous*, typographic apostrophes (’), a no-break space before ``? ! : ;``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

MESSAGES: Final[Mapping[str, str]] = {
    # the survey: the page asks plainly, the email greets the person first
    "nps.question": (
        "Quelle est la probabilité que vous recommandiez {product} à un ami ou à un collègue\u00a0?"
    ),
    "nps.email_question": (
        "Bonjour {name}, quelle est la probabilité que vous recommandiez {product} à un ami "
        "ou à un collègue\u00a0?"
    ),
    "nps.low": "Pas du tout probable",
    "nps.high": "Extrêmement probable",
    "csat.question": "Quel est votre niveau de satisfaction concernant {product}\u00a0?",
    "csat.email_question": (
        "Bonjour {name}, quel est votre niveau de satisfaction concernant {product}\u00a0?"
    ),
    "csat.low": "Très insatisfait",
    "csat.high": "Très satisfait",
    "ces.question": (
        "Dans quelle mesure a-t-il été facile d’obtenir ce dont vous aviez besoin avec "
        "{product}\u00a0?"
    ),
    "ces.email_question": (
        "Bonjour {name}, dans quelle mesure a-t-il été facile d’obtenir ce dont vous aviez "
        "besoin avec {product}\u00a0?"
    ),
    "ces.low": "Très difficile",
    "ces.high": "Très facile",
    "follow_up.question": "Quelle est la principale raison de votre note\u00a0?",
    # the email
    "email.subject": "Une petite question sur {product}",
    "email.pick_a_number": (
        "Cliquez sur la note qui vous correspond le mieux ({low_score} = {low}, "
        "{high_score} = {high})\u00a0:"
    ),
    "email.one_click": (
        "Un clic suffit pour enregistrer votre réponse\u00a0; la page qui s’ouvre vous permet "
        "d’ajouter un commentaire si vous le souhaitez."
    ),
    "email.why_you_got_this": (
        "Vous recevez cet e-mail parce que {sender} demande l’avis de ses clients."
    ),
    "email.unsubscribe": "Se désabonner",
    "email.unsubscribe_in_one_click": "Se désabonner en un clic\u00a0:",
    # the follow-up page
    "follow_up.you_answered": "Merci\u00a0! Vous avez répondu {score}.",
    "follow_up.you_answered_named": "Merci, {name}\u00a0! Vous avez répondu {score}.",
    "follow_up.your_score": "Votre note",
    "follow_up.your_score_changeable": "Votre note (vous pouvez la modifier)",
    "follow_up.comment_hint": "Facultatif, jusqu’à {limit} caractères.",
    "follow_up.send_answer": "Envoyer ma réponse",
    "follow_up.send": "Envoyer",
    "follow_up.changeable_until": "Vous pouvez modifier votre réponse jusqu’au {date}.",
    "follow_up.score_error": "Veuillez choisir une note de {low_score} à {high_score}.",
    "follow_up.comment_too_long": (
        "Votre commentaire dépasse {limit} caractères. Merci de le raccourcir\u00a0: votre "
        "texte est toujours là."
    ),
    "follow_up.comment_unreadable": (
        "Votre commentaire contient un caractère que nous ne pouvons pas enregistrer. "
        "Veuillez le supprimer et renvoyer votre réponse."
    ),
    # the follow-up page once the answer is final
    "answered.you_answered": "Merci\u00a0! Vous avez répondu {score} le {date}.",
    "answered.you_answered_named": "Merci, {name}\u00a0! Vous avez répondu {score} le {date}.",
    "answered.final": (
        "Cette réponse est désormais définitive et ne peut plus être modifiée. Merci pour "
        "votre temps."
    ),
    # the thank-you page
    "thanks.title": "Merci",
    "thanks.heading": "Merci\u00a0!",
    "thanks.heading_named": "Merci, {name}\u00a0!",
    "thanks.your_answer": "Nous avons bien reçu votre réponse\u00a0:",
    "thanks.message": "Vos retours parviennent directement aux personnes qui peuvent agir.",
    "thanks.change": "Modifier votre réponse",
    "thanks.change_until": "(jusqu’au {date}).",
    "thanks.not_answered": "Vous n’avez pas encore répondu",
    "thanks.answer_now": "Répondre à l’enquête",
    # unsubscribing
    "unsubscribe.title": "Se désabonner des enquêtes\u00a0?",
    "unsubscribe.consequence": "Vous ne recevrez plus d’enquêtes de {workspace}.",
    "unsubscribe.button": "Me désabonner",
    "unsubscribed.title": "Votre désabonnement est confirmé",
    "unsubscribed.no_more": "Vous ne recevrez plus d’enquêtes de {workspace}.",
    "unsubscribed.thanks": "Merci pour les réponses que vous nous avez données.",
    # when something is wrong
    "error.expired.title": "Ce lien a expiré",
    "error.expired.detail": (
        "Les liens d’enquête ne sont valables que pendant une durée limitée. Veuillez "
        "utiliser le lien de votre e-mail d’enquête le plus récent."
    ),
    "error.invalid_link.title": "Ce lien n’est pas valide",
    "error.invalid_link.detail": (
        "Il a peut-être été tronqué lors de la copie. Veuillez utiliser le lien de votre "
        "e-mail d’enquête le plus récent."
    ),
    "error.not_found.title": "Nous n’avons pas trouvé cette enquête",
    "error.not_found.detail": (
        "Elle a peut-être été retirée. Merci tout de même pour votre temps."
    ),
    "error.closed.title": "Cette enquête est clôturée",
    "error.closed.detail": (
        "Elle n’accepte plus de réponses. Merci tout de même pour votre temps."
    ),
    "error.final.title": "Votre réponse est définitive",
    "error.final.detail": (
        "Vous avez déjà répondu et cette réponse ne peut plus être modifiée. Merci pour "
        "votre temps."
    ),
    "error.bad_score.detail": (
        "Ce lien ne contient pas de note que nous puissions enregistrer. Veuillez cliquer "
        "sur l’un des chiffres de l’e-mail."
    ),
    "error.bad_request.title": "Quelque chose ne va pas",
    "error.bad_request.detail": "Le formulaire n’a pas pu être lu. Veuillez réessayer.",
    "error.unexpected.title": "Une erreur s’est produite",
    "error.unexpected.detail": "Veuillez réessayer dans un instant.",
    # every page
    "page.powered_by": "Propulsé par closeloop",
    # dates ("3 mars 2026", "1er mars 2026") and numbers ("5 000", a narrow no-break space)
    "date.format": "{day} {month} {year}",
    "date.first_day": "1er",
    "month.1": "janvier",
    "month.2": "février",
    "month.3": "mars",
    "month.4": "avril",
    "month.5": "mai",
    "month.6": "juin",
    "month.7": "juillet",
    "month.8": "août",
    "month.9": "septembre",
    "month.10": "octobre",
    "month.11": "novembre",
    "month.12": "décembre",
    "number.group_separator": "\u202f",
}
