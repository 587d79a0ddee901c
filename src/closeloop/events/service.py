"""Ingesting journey events: idempotent by message id, in bulk, in the caller's transaction.

Idempotency lives in the database, not in a check-then-insert: the unique index on
``events.message_id`` and ``INSERT … ON CONFLICT DO NOTHING … RETURNING`` mean that two
concurrent retries of one event store one row, and the one that lost learns it from the
missing returned row. Rows go in through SQLAlchemy Core, one multi-row statement per
batch, because building an ORM object per event would cost more than the insert itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from closeloop.contacts import bulk as contacts_bulk
from closeloop.contacts.bulk import field_path
from closeloop.errors import InvalidInput
from closeloop.events.models import Event
from closeloop.events.records import IngestResult, ItemResult, StoredEvent
from closeloop.events.schemas import EventIn

MAX_FUTURE = timedelta(days=1)
# the order of the placeholders in _SQLITE_INSERT
_COLUMNS = (
    "message_id",
    "name",
    "contact_id",
    "account_id",
    "properties",
    "source",
    "occurred_at",
    "received_at",
)
_SQLITE_INSERT = (
    "INSERT INTO events (message_id, name, contact_id, account_id, properties, source, "
    "occurred_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (message_id) DO NOTHING"
)


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


def stored_message_ids(*, session: Session, message_ids: Collection[str]) -> set[str]:
    """Which of these message ids are stored already: a retry can be told apart up front."""
    return set(_existing_ids(session, list(message_ids)))


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
    _refuse_far_future(events, paths, now)
    message_ids = [event.message_id or str(uuid.uuid4()) for event in events]
    # the first of several items with one message id is the one stored
    first: dict[str, int] = {}
    for index, message_id in enumerate(message_ids):
        first.setdefault(message_id, index)
    unique = [events[index] for index in first.values()]

    contact_ids = contacts_bulk.resolve(
        session=session,
        refs=[event.contact for event in unique],
        paths=[field_path(paths[index], "contact") for index in first.values()],
        now=now,
    )
    account_ids = _accounts(session, unique, contact_ids, now)
    rows: list[dict[str, Any]] = [
        {
            "message_id": message_id,
            "name": event.name,
            "contact_id": contact_id,
            "account_id": account_id,
            "properties": event.properties,
            "source": source,
            "occurred_at": event.timestamp or now,
            "received_at": now,
        }
        for message_id, event, contact_id, account_id in zip(
            first, unique, contact_ids, account_ids, strict=True
        )
    ]
    inserted = _insert_new(session, rows)
    stored = [
        StoredEvent(id=inserted[row["message_id"]], **row)
        for row in rows
        if row["message_id"] in inserted
    ]
    stored_before = _existing_ids(session, [key for key in first if key not in inserted])
    results = [
        ItemResult(message_id, "created", inserted[message_id])
        if message_id in inserted and first[message_id] == index
        else ItemResult(
            message_id, "duplicate", inserted.get(message_id) or stored_before[message_id]
        )
        for index, message_id in enumerate(message_ids)
    ]
    return IngestResult(results=results, stored=stored)


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert the rows whose message id is new; the ids of the rows stored, by message id."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        return _insert_new_sqlite(connection, rows)
    statement = contacts_bulk.insert_ignoring_duplicates(
        session, Event, on=["message_id"]
    ).returning(Event.message_id, Event.id)
    return dict(connection.execute(statement, rows).all())


def _insert_new_sqlite(connection: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """SQLite's fast path: one ``executemany`` through the driver, then the new ids.

    SQLAlchemy's multi-row ``INSERT … RETURNING`` costs more per row than SQLite itself
    (bench/ingest.py). Binding each value with its column's own processor keeps the
    stored formats exactly SQLAlchemy's. The transaction holds SQLite's write lock from
    ``BEGIN IMMEDIATE`` and new rowids only grow, so the rows above the previous highest
    id are exactly the ones this statement stored.
    """
    table = Event.__table__
    processors = [
        table.c[name].type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
        for name in _COLUMNS
    ]
    values = [
        tuple(
            process(row[name]) if process is not None else row[name]
            for name, process in zip(_COLUMNS, processors, strict=True)
        )
        for row in rows
    ]
    highest_before = connection.scalar(select(func.max(Event.id))) or 0
    connection.exec_driver_sql(_SQLITE_INSERT, values)
    stored = select(Event.message_id, Event.id).where(Event.id > highest_before)
    return dict(connection.execute(stored).all())


def _refuse_far_future(events: Sequence[EventIn], paths: Sequence[str], now: datetime) -> None:
    """A timestamp days ahead is a clock or unit mistake; storing it would skew triggers."""
    latest = now + MAX_FUTURE
    for event, path in zip(events, paths, strict=True):
        if event.timestamp is not None and event.timestamp > latest:
            raise InvalidInput(
                f"is more than {MAX_FUTURE.days} day in the future",
                field=field_path(path, "timestamp"),
            )


def _accounts(
    session: Session, events: Sequence[EventIn], contact_ids: Sequence[int], now: datetime
) -> list[int | None]:
    """Each event's account id; people join the company their events name."""
    keys = {event.account.external_id for event in events if event.account is not None}
    if not keys:
        return [None] * len(events)
    by_key = contacts_bulk.resolve_accounts(session=session, external_ids=keys, now=now)
    account_ids = [by_key[event.account.external_id] if event.account else None for event in events]
    account_by_contact: dict[int, int] = {}
    for contact_id, account_id in zip(contact_ids, account_ids, strict=True):
        if account_id is not None:
            account_by_contact.setdefault(contact_id, account_id)
    contacts_bulk.link_accounts(session=session, account_by_contact=account_by_contact, now=now)
    return account_ids


def _existing_ids(session: Session, message_ids: list[str]) -> dict[str, int]:
    """The rows stored before under these message ids (by an earlier or a racing request)."""
    if not message_ids:
        return {}
    query = select(Event.message_id, Event.id).where(Event.message_id.in_(message_ids))
    return dict(session.execute(query).all())
