"""Rendering an invitation as an email that reads well in Gmail, Outlook and Apple Mail.

A multipart/alternative message: a plain-text part (every score link written out) and
an HTML part built the way mail clients still need it — nested tables, inline styles, no
images, no scripts, colours that stay legible when a client switches to dark mode. Every
score is a link, so one click answers. The Message-ID is derived from the invitation, so
a message sent twice (see docs/adr/0001-dispatch-lease.md) can be recognised as one.

Only the links are signed here (an HMAC, no I/O): rendering reads no database and no
clock, so it is tested with plain values.

Our own words (the default question and subject, the scale labels, the frame around
them) are in the person's language (``closeloop.i18n``); a survey's own wording is sent
as written. A right-to-left language turns the whole layout around, scale included.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from closeloop.config import Settings
from closeloop.i18n.locales import negotiate
from closeloop.i18n.markup import HtmlTexts
from closeloop.i18n.texts import Texts
from closeloop.responses.links import answer_token, answer_url, unsubscribe_url
from closeloop.surveys import wording
from closeloop.surveys.models import SurveyKind

TEMPLATES_DIR = Path(__file__).parent / "templates"


class _HeaderClasses(HeaderRegistry):
    """The standard header classes, each made once.

    ``HeaderRegistry`` makes a new class every time a header is set or written out, some
    thirty times a message: about a third of the time building and flattening a message
    took (bench/dispatch.py). The class depends only on the header's name, so it is kept.
    """

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


# Lines may be long (RFC 5322 allows 998): the default of 78 would fold the long
# List-Unsubscribe URL into RFC 2047 encoded words that no mail client can follow.
MESSAGE_POLICY = policy.default.clone(max_line_length=998, header_factory=_HeaderClasses())


@dataclass(frozen=True)
class InvitationEmail:
    """Everything the message says, as plain values."""

    invitation_id: int
    to_email: str
    # the full name goes in the To header, the first name in the greeting
    to_name: str | None
    first_name: str | None
    kind: SurveyKind
    # the survey's own wording (templates with {name} / {product}), or None for ours
    product_name: str | None
    question: str | None
    email_subject: str | None
    # the person's languages, first choice first (their own, then the request's); none
    # means the workspace's default
    locales: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScoreLink:
    score: int
    url: str
    label: str | None


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def message_id(*, settings: Settings, invitation_id: int) -> str:
    """The same Message-ID every time this invitation is rendered; opaque to recipients.

    Keyed with the signing key, so two installations sending from one domain do not
    collide and the id does not reveal how many invitations we send.
    """
    digest = hmac.new(
        settings.signing_key.encode(), f"message-id:{invitation_id}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    domain = settings.from_email.rpartition("@")[2] or "closeloop.localhost"
    return f"<{digest}@{domain}>"


def _html_context(context: dict[str, Any], texts: Texts) -> dict[str, Any]:
    """The HTML part's extras: direction, alignment, and our texts isolated when needed."""
    html = HtmlTexts(texts)
    right_to_left = texts.locale.direction == "rtl"
    return {
        **context,
        "t": html,
        "lang": texts.locale.tag,
        "dir": texts.locale.direction,
        # mail clients ignore logical CSS, so alignment is spelled out
        "start": "right" if right_to_left else "left",
        "end": "left" if right_to_left else "right",
        "low_label": html.isolate(context["low_label"]),
        "high_label": html.isolate(context["high_label"]),
    }


def render(*, settings: Settings, invitation: InvitationEmail, now: datetime) -> EmailMessage:
    """The complete message for one invitation, headers included."""
    texts = Texts(negotiate(invitation.locales, default=settings.default_locale))
    locale = texts.locale
    product = invitation.product_name or settings.product_name
    question = wording.fill(
        invitation.question or texts.email_question(invitation.kind),
        name=invitation.first_name,
        product=product,
    )
    subject = wording.fill(
        invitation.email_subject or texts.template("email.subject"),
        name=invitation.first_name,
        product=product,
    )
    token = answer_token(settings=settings, invitation_id=invitation.invitation_id, now=now)
    low, high = texts.scale_ends(invitation.kind)
    scale = invitation.kind.scale
    links = [
        ScoreLink(
            score=score,
            url=answer_url(settings=settings, token=token, score=score),
            label=low if score == scale.start else high if score == scale[-1] else None,
        )
        for score in scale
    ]
    unsubscribe = unsubscribe_url(
        settings=settings, invitation_id=invitation.invitation_id, now=now
    )
    context = {
        "t": texts,
        "subject": subject,
        "question": question,
        "links": links,
        "low_label": low,
        "high_label": high,
        "sender": wording.clean(settings.from_name),
        "unsubscribe_url": unsubscribe,
    }
    environment = _environment()
    text = environment.get_template("invitation.txt").render(context)
    html = environment.get_template("invitation.html").render(_html_context(context, texts))

    message = EmailMessage(policy=MESSAGE_POLICY)
    message["From"] = Address(
        display_name=wording.clean(settings.from_name), addr_spec=settings.from_email
    )
    message["To"] = Address(
        display_name=wording.clean(invitation.to_name), addr_spec=invitation.to_email.strip()
    )
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = identity = message_id(
        settings=settings, invitation_id=invitation.invitation_id
    )
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    # quoted-printable keeps the message 7-bit clean for servers without 8BITMIME
    message.set_content(text, cte="quoted-printable")
    # Our own boundary, or sending makes a random one and compiles a regular expression to
    # check that neither part contains it. Quoted-printable never writes "==" (an "=" is
    # followed by two hex digits or ends the line), so this one cannot occur in a part.
    message.make_alternative(boundary=f"=={identity.strip('<>').partition('@')[0]}==")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    # after the parts: setting content clears every Content-* header set before it
    message["Content-Language"] = locale.tag
    return message
