"""Each kind of import: how its columns are named, how a row is read and how a batch is written.

Reading a row is pure (``contact_rows``, ``event_rows``, ``delighted_rows``); writing a
batch goes through the same services as every other intake: contacts through
``contact_store`` and ``contacts.bulk``, accounts through ``contacts.service``, events
through ``events.service.ingest`` and then ``triggers.service.process_events`` in the
same transaction, exactly as the events API does, so imported events feed the trigger
engine (which does not survey anyone about an event older than its lateness limit).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.contacts import service as contacts
from closeloop.contacts.schemas import AccountIn
from closeloop.events import service as events
from closeloop.events.schemas import EventIn
from closeloop.imports import (
    contact_rows,
    contact_store,
    delighted_rows,
    delighted_store,
    event_rows,
)
from closeloop.imports.schemas import ImportKind
from closeloop.imports.tally import Outcome
from closeloop.triggers import service as triggers

EVENT_SOURCE = "import"

Write = Callable[[Session, Sequence[Any], datetime], list[Outcome | str]]


@dataclass(frozen=True)
class Kind:
    # a CSV column's field name (``Time Zone`` → ``time_zone``)
    canonical: Callable[[str], str]
    # a row's fields → the value ``write`` takes, or ``RowRejected``
    parse: Callable[[Mapping[str, Any]], Any]
    # per row of the batch: its outcome, or why the database side refused it
    write: Write
    # the columns a CSV file must have, as field names
    required: Callable[[Collection[str]], list[str]] = lambda names: []


def for_kind(kind: ImportKind, *, settings: Settings, now: datetime) -> Kind:
    """How ``kind`` is imported; ``now`` bounds timestamps (nothing days in the future)."""
    if kind is ImportKind.CONTACTS:
        return Kind(
            canonical=contact_rows.canonical_contact_column,
            parse=contact_rows.parse_contact,
            write=contact_store.ContactWriter().write,
        )
    if kind is ImportKind.ACCOUNTS:
        return Kind(
            canonical=contact_rows.canonical_account_column,
            parse=contact_rows.parse_account,
            write=_write_accounts,
        )
    if kind is ImportKind.EVENTS:
        return Kind(
            canonical=event_rows.canonical_event_column,
            parse=partial(event_rows.parse_event, now=now),
            write=partial(_write_events, settings=settings),
        )
    return Kind(
        canonical=delighted_rows.canonical_column,
        parse=partial(delighted_rows.parse_answer, now=now),
        write=lambda session, rows, at: delighted_store.write(session=session, rows=rows, now=at),
        required=delighted_rows.missing_columns,
    )


def _write_accounts(
    session: Session, rows: Sequence[AccountIn], now: datetime
) -> list[Outcome | str]:
    """One upsert a row: companies are few, and matching by name needs the service's rules."""
    results: list[Outcome | str] = []
    for data in rows:
        account = contacts.upsert_account(session=session, data=data, now=now)
        if account in session.new:
            results.append(Outcome.CREATED)
        elif session.is_modified(account):
            results.append(Outcome.UPDATED)
        else:
            results.append(Outcome.UNCHANGED)
    session.flush()
    return results


def _write_events(
    session: Session, rows: Sequence[EventIn], now: datetime, *, settings: Settings
) -> list[Outcome | str]:
    result = events.ingest(session=session, events=rows, now=now, source=EVENT_SOURCE)
    triggers.process_events(session=session, events=result.stored, settings=settings)
    return [
        Outcome.CREATED if item.status == "created" else Outcome.UNCHANGED
        for item in result.results
    ]
