"""What ingest hands downstream: stored events as plain, immutable values.

The trigger engine is pure, so it gets these rather than ORM rows: no session, no lazy
loading, nothing that changes under it. They are named tuples because ingest makes one
per event, and a tuple is built several times faster than a frozen dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

Status = Literal["created", "duplicate"]


class StoredEvent(NamedTuple):
    id: int
    message_id: str
    name: str
    contact_id: int
    account_id: int | None
    properties: dict[str, Any]
    source: str
    occurred_at: datetime
    received_at: datetime


class ItemResult(NamedTuple):
    """The fate of one submitted event; a duplicate names the row stored before."""

    message_id: str
    status: Status
    event_id: int


@dataclass(frozen=True)
class IngestResult:
    results: list[ItemResult]
    # only the events this call stored, in submission order, for the trigger engine
    stored: list[StoredEvent]

    @property
    def created(self) -> int:
        return len(self.stored)

    @property
    def duplicates(self) -> int:
        return len(self.results) - len(self.stored)
