"""Event rows: from a file's fields to the ``EventIn`` the events API takes. Pure.

A JSONL line with a ``contact`` object is the API's own shape (what ``POST
/api/v1/events`` and ``triggers simulate --file`` read). Anything else is flat, as a CSV
row is: ``name`` (or ``event``), ``timestamp``, ``message_id``, the person's ``email``,
``external_id`` or ``contact_id``, the company's ``account``; every other column is a
property.

A row without a ``message_id`` gets one derived from what it says (its name, person,
company, properties and timestamp), so importing the same file again, or a later export
that repeats its rows, stores each event once wherever the row sits in the file; two
rows that say exactly the same thing are one event. A row's line number would not do:
an export with one more row at the top would shift every line and store everything twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from closeloop.events.schemas import EventIn
from closeloop.events.service import MAX_FUTURE
from closeloop.imports import cells
from closeloop.imports.cells import RowRejected

EVENT_FIELDS = frozenset(
    {"message_id", "name", "timestamp", "email", "external_id", "contact_id", "account"}
)
_ALIASES = {"event": "name", "event_name": "name", "occurred_at": "timestamp"}
_CONTACT_KEYS = {"email": "email", "external_id": "external_id", "contact_id": "id"}
DERIVED_PREFIX = "import:"


def canonical_event_column(column: str) -> str:
    """``Event`` → ``name``, ``Occurred at`` → ``timestamp``; other columns are properties."""
    key = cells.key_name(column)
    key = _ALIASES.get(key, key)
    return key if key in EVENT_FIELDS else column.strip()


def parse_event(row: Mapping[str, Any], *, now: datetime) -> EventIn:
    """The event a row describes, with its message id; ``RowRejected`` says why not."""
    data = dict(row) if "contact" in row else _from_flat(row)
    try:
        event = EventIn.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise RowRejected(f"{where}: {first['msg']}" if where else first["msg"]) from None
    if event.timestamp is not None and event.timestamp > now + MAX_FUTURE:
        raise RowRejected(f"timestamp: is more than {MAX_FUTURE.days} day in the future")
    if event.message_id is None:
        event.message_id = derived_message_id(event)
    return event


def derived_message_id(event: EventIn) -> str:
    """A stable id for an event that came without one: the digest of what it says."""
    contact = event.contact.model_dump(include={"id", "email", "external_id"}, exclude_none=True)
    said = [
        event.name,
        contact,
        event.account.external_id if event.account is not None else None,
        event.properties,
        event.timestamp.astimezone(UTC).isoformat() if event.timestamp is not None else None,
    ]
    canonical = json.dumps(said, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return DERIVED_PREFIX + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def _from_flat(row: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    contact: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for key, value in row.items():
        if value is None or value == "":
            continue
        if key in _CONTACT_KEYS:
            contact[_CONTACT_KEYS[key]] = value
        elif key == "account":
            data["account"] = value if isinstance(value, dict) else {"external_id": value}
        elif key == "properties" and isinstance(value, dict):
            properties.update(value)
        elif key in EVENT_FIELDS:
            data[key] = value
        else:
            properties[key] = value
    if not contact:
        raise RowRejected("needs an email, an external_id or a contact_id")
    data["contact"] = contact
    data["properties"] = properties
    return data
