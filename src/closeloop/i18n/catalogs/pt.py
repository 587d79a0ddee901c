"""Portuguese: *você*, with Brazilian spelling where the two standards differ."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

MESSAGES: Final[Mapping[str, str]] = {
    # the survey: the page asks plainly, the email greets the person first
    "nps.question": ("Qual é a probabilidade de você recomendar {product} a um amigo ou colega?"),
    "nps.email_question": (
        "Olá {name}, qual é a probabilidade de você recomendar {product} a um amigo ou colega?"
    ),
    "nps.low": "Nada provável",
    "nps.high": "Extremamente provável",
    "csat.question": "Qual é o seu nível de satisfação com {product}?",
    "csat.email_question": "Olá {name}, qual é o seu nível de satisfação com {product}?",
    "csat.low": "Muito insatisfeito",
    "csat.high": "Muito satisfeito",
    "ces.question": "Quão fácil foi conseguir o que você precisava com {product}?",
    "ces.email_question": (
        "Olá {name}, quão fácil foi conseguir o que você precisava com {product}?"
    ),
    "ces.low": "Muito difícil",
    "ces.high": "Muito fácil",
    "follow_up.question": "Qual é o principal motivo da sua nota?",
    # the email
    "email.subject": "Uma pergunta rápida sobre {product}",
    "email.pick_a_number": (
        "Clique no número que melhor se aplica ({low_score} = {low}, {high_score} = {high}):"
    ),
    "email.one_click": (
        "Um clique registra sua resposta; na página que se abre, você pode deixar um "
        "comentário, se quiser."
    ),
    "email.why_you_got_this": (
        "Você recebeu este e-mail porque {sender} pede a opinião dos seus clientes."
    ),
    "email.unsubscribe": "Cancelar inscrição",
    "email.unsubscribe_in_one_click": "Cancelar inscrição com um clique:",
    # the follow-up page
    "follow_up.you_answered": "Obrigado! Você respondeu {score}.",
    "follow_up.you_answered_named": "Obrigado, {name}! Você respondeu {score}.",
    "follow_up.your_score": "Sua nota",
    "follow_up.your_score_changeable": "Sua nota (você pode alterá-la)",
    "follow_up.comment_hint": "Opcional, até {limit} caracteres.",
    "follow_up.send_answer": "Enviar minha resposta",
    "follow_up.send": "Enviar",
    "follow_up.changeable_until": "Você pode alterar sua resposta até {date}.",
    "follow_up.score_error": "Escolha uma nota de {low_score} a {high_score}.",
    "follow_up.comment_too_long": (
        "Seu comentário tem mais de {limit} caracteres. Encurte-o, por favor: seu texto "
        "continua aqui."
    ),
    "follow_up.comment_unreadable": (
        "Seu comentário contém um caractere que não conseguimos salvar. Remova-o e envie novamente."
    ),
    # the follow-up page once the answer is final
    "answered.you_answered": "Obrigado! Você respondeu {score} em {date}.",
    "answered.you_answered_named": "Obrigado, {name}! Você respondeu {score} em {date}.",
    "answered.final": (
        "Esta resposta agora é definitiva e não pode mais ser alterada. Obrigado pelo seu tempo."
    ),
    # the thank-you page
    "thanks.title": "Obrigado",
    "thanks.heading": "Obrigado!",
    "thanks.heading_named": "Obrigado, {name}!",
    "thanks.your_answer": "Recebemos sua resposta:",
    "thanks.message": "Sua opinião vai direto para as pessoas que podem agir.",
    "thanks.change": "Alterar sua resposta",
    "thanks.change_until": "(até {date}).",
    "thanks.not_answered": "Você ainda não respondeu",
    "thanks.answer_now": "Responder à pesquisa",
    # unsubscribing
    "unsubscribe.title": "Deixar de receber pesquisas?",
    "unsubscribe.consequence": "Você não receberá mais pesquisas de {workspace}.",
    "unsubscribe.button": "Cancelar inscrição",
    "unsubscribed.title": "Sua inscrição foi cancelada",
    "unsubscribed.no_more": "Você não receberá mais pesquisas de {workspace}.",
    "unsubscribed.thanks": "Obrigado pelas respostas que você nos deu.",
    # when something is wrong
    "error.expired.title": "Este link expirou",
    "error.expired.detail": (
        "Os links das pesquisas valem por tempo limitado. Use o link do seu e-mail de "
        "pesquisa mais recente."
    ),
    "error.invalid_link.title": "Este link não é válido",
    "error.invalid_link.detail": (
        "Talvez ele tenha sido cortado ao ser copiado. Use o link do seu e-mail de pesquisa "
        "mais recente."
    ),
    "error.not_found.title": "Não encontramos esta pesquisa",
    "error.not_found.detail": (
        "Talvez ela tenha sido retirada. Obrigado pelo seu tempo mesmo assim."
    ),
    "error.closed.title": "Esta pesquisa está encerrada",
    "error.closed.detail": "Ela não aceita mais respostas. Obrigado pelo seu tempo mesmo assim.",
    "error.final.title": "Sua resposta é definitiva",
    "error.final.detail": (
        "Você já respondeu, e a resposta não pode mais ser alterada. Obrigado pelo seu tempo."
    ),
    "error.bad_score.detail": (
        "Este link não contém uma nota que possamos registrar. Clique em um dos números do e-mail."
    ),
    "error.bad_request.title": "Algo não está certo",
    "error.bad_request.detail": "Não foi possível ler o formulário. Tente novamente.",
    "error.unexpected.title": "Algo deu errado",
    "error.unexpected.detail": "Tente novamente em instantes.",
    # every page
    "page.powered_by": "Com tecnologia closeloop",
    # dates ("3 de março de 2026", "1º de março de 2026") and numbers ("5.000")
    "date.format": "{day} de {month} de {year}",
    "date.first_day": "1º",
    "month.1": "janeiro",
    "month.2": "fevereiro",
    "month.3": "março",
    "month.4": "abril",
    "month.5": "maio",
    "month.6": "junho",
    "month.7": "julho",
    "month.8": "agosto",
    "month.9": "setembro",
    "month.10": "outubro",
    "month.11": "novembro",
    "month.12": "dezembro",
    "number.group_separator": ".",
}
