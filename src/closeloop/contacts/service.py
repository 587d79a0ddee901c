"""Contacts and accounts: lookup, consent and suppression."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from closeloop.contacts.models import Contact
from closeloop.errors import NotFound


def get(*, session: Session, contact_id: int) -> Contact | None:
    return session.get(Contact, contact_id)


def get_or_404(*, session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact with id {contact_id}")
    return contact


def unsubscribe(*, session: Session, contact_id: int, now: datetime) -> Contact:
    """Stop every future survey to this person; idempotent (the first time is kept)."""
    contact = get_or_404(session=session, contact_id=contact_id)
    if contact.unsubscribed_at is None:
        contact.unsubscribed_at = now
        contact.updated_at = now
    return contact


def mark_bounced(*, session: Session, contact_id: int, reason: str, now: datetime) -> Contact:
    """A hard bounce: the address does not take mail, so nothing more is sent to it."""
    contact = get_or_404(session=session, contact_id=contact_id)
    if contact.bounced_at is None:
        contact.bounced_at = now
        contact.bounce_reason = reason[:500]
        contact.updated_at = now
    return contact
