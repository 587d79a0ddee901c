"""Reading and seeding the database around the Delighted-compatible API's tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from closeloop.contacts import service as contacts
from closeloop.contacts.models import Contact
from closeloop.contacts.schemas import ContactIn
from closeloop.invitations import service as invitations
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.runtime import Runtime
from closeloop.surveys import service as surveys
from closeloop.triggers.models import Decision


def person(runtime: Runtime, **fields: Any) -> Contact:
    """A contact made through the contacts service (an email unless told otherwise)."""
    fields.setdefault("email", "ana@acme.test")
    with runtime.transaction() as session:
        contact, _ = contacts.upsert(
            session=session, data=ContactIn(**fields), now=runtime.clock.now()
        )
    return contact


def contact_by_email(runtime: Runtime, email: str) -> Contact | None:
    with runtime.read_transaction() as session:
        return contacts.get_by_email(session=session, email=email)


def count_contacts(runtime: Runtime) -> int:
    with runtime.read_transaction() as session:
        return session.scalar(select(func.count()).select_from(Contact)) or 0


def invitations_of(runtime: Runtime, contact_id: int) -> list[Invitation]:
    with runtime.read_transaction() as session:
        query = select(Invitation).where(Invitation.contact_id == contact_id)
        return list(session.scalars(query.order_by(Invitation.id)))


def decisions_of(runtime: Runtime, contact_id: int) -> list[Decision]:
    with runtime.read_transaction() as session:
        query = select(Decision).where(Decision.contact_id == contact_id)
        return list(session.scalars(query.order_by(Decision.id)))


def sent_survey(runtime: Runtime, contact_id: int, *, sent_at: datetime) -> Invitation:
    """An invitation of the default survey that went out at ``sent_at``."""
    with runtime.transaction() as session:
        survey = surveys.get_or_create_default(
            session=session, product_name="FacturaPlus", now=sent_at
        )
        invitation = invitations.schedule(
            session=session,
            survey=survey,
            contact=contacts.get_or_404(session=session, contact_id=contact_id),
            due_at=sent_at,
            now=sent_at,
        )
        invitation.state = InvitationState.SENT.value
        invitation.sent_at = sent_at
    return invitation
