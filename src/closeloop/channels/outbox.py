"""The development outbox: with no SMTP server configured, messages are kept, not sent.

The outbox stands in for a mail server and behaves like one: it accepts a message in
its own short transaction (its "250 OK"), and the dispatcher then records the
invitation as sent exactly as it would after SMTP. The dashboard lists what is here.
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import AddressHeader
from email.message import EmailMessage

from sqlalchemy.orm import Session, sessionmaker

from closeloop.channels.base import Delivery
from closeloop.channels.models import OutboxMessage
from closeloop.db.engine import transaction


def _part(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    content = part.get_content()
    return content if isinstance(content, str) else None


def _recipient(message: EmailMessage) -> str:
    header = message["To"]
    if isinstance(header, AddressHeader) and header.addresses:
        return header.addresses[0].addr_spec
    return str(header)


class OutboxChannel:
    """Keeps each message as an ``OutboxMessage`` row."""

    name = "email"

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def send(self, *, invitation_id: int, message: EmailMessage, now: datetime) -> Delivery:
        with transaction(self.sessions) as session:
            session.add(
                OutboxMessage(
                    invitation_id=invitation_id,
                    channel=self.name,
                    recipient=_recipient(message),
                    subject=str(message["Subject"]),
                    text_body=_part(message, "plain") or "",
                    html_body=_part(message, "html"),
                    raw=message.as_string(),
                    created_at=now,
                )
            )
        return Delivery.sent("kept in the outbox")

    def close(self) -> None:
        """Nothing to release: each message is its own transaction."""
