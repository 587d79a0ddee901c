"""Rendering an invitation as an email that reads well in Gmail, Outlook and Apple Mail.

A multipart/alternative message: a plain-text part (every score link written out) and
an HTML part built the way mail clients still need it — nested tables, inline styles, no
images, no scripts, colours that stay legible when a client switches to dark mode. Every
score is a link, so one click answers. The Message-ID is derived from the invitation, so
a message sent twice (see docs/adr/0001-dispatch-lease.md) can be recognised as one.

Only the links are signed here (an HMAC, no I/O): rendering reads no database and no
clock, so it is tested with plain values.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from closeloop.config import Settings
from closeloop.responses.links import answer_token, answer_url, unsubscribe_url
from closeloop.surveys import wording
from closeloop.surveys.models import SurveyKind

TEMPLATES_DIR = Path(__file__).parent / "templates"
# Lines may be long (RFC 5322 allows 998): the default of 78 would fold the long
# List-Unsubscribe URL into RFC 2047 encoded words that no mail client can follow.
MESSAGE_POLICY = policy.default.clone(max_line_length=998)


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


def render(*, settings: Settings, invitation: InvitationEmail, now: datetime) -> EmailMessage:
    """The complete message for one invitation, headers included."""
    product = invitation.product_name or settings.product_name
    question = wording.fill(
        invitation.question or wording.DEFAULT_QUESTIONS[invitation.kind],
        name=invitation.first_name,
        product=product,
    )
    subject = wording.fill(
        invitation.email_subject or wording.DEFAULT_SUBJECT,
        name=invitation.first_name,
        product=product,
    )
    token = answer_token(settings=settings, invitation_id=invitation.invitation_id, now=now)
    low, high = wording.SCALE_LABELS[invitation.kind]
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
    html = environment.get_template("invitation.html").render(context)

    message = EmailMessage(policy=MESSAGE_POLICY)
    message["From"] = Address(
        display_name=wording.clean(settings.from_name), addr_spec=settings.from_email
    )
    message["To"] = Address(
        display_name=wording.clean(invitation.to_name), addr_spec=invitation.to_email.strip()
    )
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(settings=settings, invitation_id=invitation.invitation_id)
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    # quoted-printable keeps the message 7-bit clean for servers without 8BITMIME
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message
