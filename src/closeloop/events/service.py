"""Ingesting journey events: idempotent by message id, in bulk, in the caller's transaction.

Idempotency lives in the database, not in a check-then-insert: the unique index on
``events.message_id`` and ``INSERT … ON CONFLICT DO NOTHING … RETURNING`` mean that two
concurrent retries of one event store one row, and the one that lost learns it from the
missing returned row. Rows go in through SQLAlchemy Core, one multi-row statement per
batch, because building an ORM object per event would cost more than the insert itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.contacts import bulk as contacts_bulk
from closeloop.contacts.bulk import field_path
from closeloop.errors import InvalidInput
from closeloop.events.models import Event
from closeloop.events.records import IngestResult, ItemResult, StoredEvent
from closeloop.events.schemas import EventIn

MAX_FUTURE = timedelta(days=1)


def ingest(
    *, session: Session, events: Sequence[EventIn], now: datetime, source: str = "api"
) -> IngestResult:
    """Store a batch; an invalid item (named ``events.<i>.<field>``) rejects it whole."""
    return _ingest(
        session, events, [f"events.{index}" for index in range(len(events))], now, source
    )


def ingest_one(
    *, session: Session, event: EventIn, now: datetime, source: str = "api"
) -> IngestResult:
    """Store one event; errors name its fields directly (``timestamp``, ``contact.email``)."""
    return _ingest(session, [event], [""], now, source)


def list_for_contact(*, session: Session, contact_id: int, limit: int = 100) -> list[StoredEvent]:
    """A person's events, newest first."""
    query = (
        select(Event)
        .where(Event.contact_id == contact_id)
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(limit)
    )
    return [
        StoredEvent(
            id=event.id,
            message_id=event.message_id,
            name=event.name,
            contact_id=contact_id,
            account_id=event.account_id,
            properties=event.properties,
            source=event.source,
            occurred_at=event.occurred_at,
            received_at=event.received_at,
        )
        for event in session.scalars(query)
    ]


def _ingest(
    session: Session, events: Sequence[EventIn], paths: Sequence[str], now: datetime, source: str
) -> IngestResult:
    latest = now + MAX_FUTURE
    for event, path in zip(events, paths, strict=True):
        if event.timestamp is not None and event.timestamp > latest:
            raise InvalidInput(
                f"is more than {MAX_FUTURE.days} day in the future",
                field=field_path(path, "timestamp"),
            )
    message_ids = [event.message_id or str(uuid.uuid4()) for event in events]
    # the first of several items with one message id is the one stored
    first: dict[str, int] = {}
    for index, message_id in enumerate(message_ids):
        first.setdefault(message_id, index)
    unique = list(first.values())

    contact_ids = contacts_bulk.resolve(
        session=session,
        refs=[events[index].contact for index in unique],
        paths=[field_path(paths[index], "contact") for index in unique],
        now=now,
    )
    account_keys = {
        event.account.external_id
        for event in (events[index] for index in unique)
        if event.account is not None
    }
    account_ids = contacts_bulk.resolve_accounts(
        session=session, external_ids=account_keys, now=now
    )
    rows: list[dict[str, Any]] = []
    account_by_contact: dict[int, int] = {}
    for index, contact_id in zip(unique, contact_ids, strict=True):
        event = events[index]
        account_id = account_ids[event.account.external_id] if event.account else None
        if account_id is not None:
            account_by_contact.setdefault(contact_id, account_id)
        rows.append(
            {
                "message_id": message_ids[index],
                "name": event.name,
                "contact_id": contact_id,
                "account_id": account_id,
                "properties": event.properties,
                "source": source,
                "occurred_at": event.timestamp or now,
                "received_at": now,
            }
        )
    if account_by_contact:
        contacts_bulk.link_accounts(session=session, account_by_contact=account_by_contact)

    statement = contacts_bulk.insert_ignoring_duplicates(session, Event).returning(
        Event.message_id, Event.id
    )
    inserted: dict[str, int] = dict(session.execute(statement, rows).all())
    stored_before = _existing_ids(
        session, [row["message_id"] for row in rows if row["message_id"] not in inserted]
    )
    stored = [
        StoredEvent(id=inserted[row["message_id"]], **row)
        for row in rows
        if row["message_id"] in inserted
    ]
    results = []
    for index, message_id in enumerate(message_ids):
        if message_id in inserted and first[message_id] == index:
            results.append(ItemResult(message_id, "created", inserted[message_id]))
        else:
            event_id = inserted.get(message_id) or stored_before[message_id]
            results.append(ItemResult(message_id, "duplicate", event_id))
    return IngestResult(results=results, stored=stored)


def _existing_ids(session: Session, message_ids: list[str]) -> dict[str, int]:
    if not message_ids:
        return {}
    query = select(Event.message_id, Event.id).where(Event.message_id.in_(message_ids))
    return dict(session.execute(query).all())
