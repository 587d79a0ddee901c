"""Small factories for event tests, with overridable defaults."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import func, select

from closeloop.contacts.models import Contact
from closeloop.events.models import Event
from closeloop.events.schemas import EventIn
from closeloop.runtime import Runtime

_numbers = itertools.count(1)


def event_payload(**fields: Any) -> dict[str, Any]:
    """An event as an integration would post it; a fresh message id unless given."""
    payload: dict[str, Any] = {
        "message_id": f"msg-{next(_numbers)}",
        "name": "Ticket Solved",
        "contact": {"email": "ana@acme.example"},
        "properties": {"ticket_id": 8812},
    }
    payload.update(fields)
    return {key: value for key, value in payload.items() if value is not None}


def event_in(**fields: Any) -> EventIn:
    return EventIn.model_validate(event_payload(**fields))


def count_rows(runtime: Runtime) -> tuple[int, int]:
    """How many events and contacts are stored."""
    with runtime.transaction() as session:
        events = session.scalar(select(func.count()).select_from(Event)) or 0
        contacts = session.scalar(select(func.count()).select_from(Contact)) or 0
    return events, contacts
