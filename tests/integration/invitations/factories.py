"""Small factories with overridable defaults, for the invitation and channel tests."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.contacts.models import Contact
from closeloop.invitations import service as invitations
from closeloop.invitations.models import Invitation
from closeloop.surveys.models import Survey

_numbers = itertools.count(1)


def make_contact(session: Session, **fields: Any) -> Contact:
    number = next(_numbers)
    fields.setdefault("email", f"person{number}@example.com")
    fields.setdefault("name", "Ana Souza")
    contact = Contact(**fields)
    session.add(contact)
    session.flush()
    return contact


def make_survey(session: Session, **fields: Any) -> Survey:
    number = next(_numbers)
    fields.setdefault("key", f"survey-{number}")
    fields.setdefault("name", f"Survey {number}")
    fields.setdefault("kind", "nps")
    fields.setdefault("product_name", "FacturaPlus")
    survey = Survey(**fields)
    session.add(survey)
    session.flush()
    return survey


def make_invitation(
    session: Session,
    *,
    now: datetime,
    due_at: datetime | None = None,
    contact: Contact | None = None,
    survey: Survey | None = None,
    **contact_fields: Any,
) -> Invitation:
    """A scheduled invitation (through the real service), due now unless told."""
    return invitations.schedule(
        session=session,
        survey=survey or make_survey(session),
        contact=contact or make_contact(session, **contact_fields),
        due_at=due_at or now,
        now=now,
    )


def changed(settings: Settings, **changes: Any) -> Settings:
    """A copy of the test settings with a few knobs turned (Settings is frozen)."""
    return Settings.model_validate({**settings.model_dump(), **changes})
