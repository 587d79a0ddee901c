"""Small factories for contact tests, with overridable defaults."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from closeloop.contacts import service as contacts
from closeloop.contacts.models import Contact
from closeloop.contacts.schemas import ContactIn
from closeloop.runtime import Runtime


def contact_in(**fields: Any) -> ContactIn:
    """A valid upsert payload; only the fields given are 'sent'."""
    if not {"email", "phone", "external_id"} & fields.keys():
        fields["email"] = "ana@acme.example"
    return ContactIn.model_validate(fields)


def upsert(runtime: Runtime, **fields: Any) -> tuple[int, bool]:
    """Upsert in a transaction of its own; returns the contact id and whether it was new."""
    with runtime.transaction() as session:
        contact, created = contacts.upsert(
            session=session, data=contact_in(**fields), now=runtime.clock.now()
        )
        return contact.id, created


def load(runtime: Runtime, contact_id: int) -> Contact:
    with runtime.transaction() as session:
        contact = contacts.get_or_404(session=session, contact_id=contact_id)
        contact.account  # noqa: B018 - load it while the session is open
        return contact


def count_contacts(runtime: Runtime) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(Contact)) or 0
