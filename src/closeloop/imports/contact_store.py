"""Writing a batch of contact rows: one lookup per identifier kind, one insert, grouped updates.

A general upsert costs a query or two per person; a list of a million contacts must
cost a handful of statements per batch instead. The people the batch names are loaded
with one query per identifier kind, ``contact_batches`` decides in memory, and the new
people go in with one multi-row insert (on SQLite straight through the driver's
``executemany``, each value converted by its column's own bind processor, so what is
stored is byte for byte what the ORM stores), the changes with one ``executemany`` per
set of changed columns. Companies are resolved with ``contacts.bulk``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from closeloop.contacts import bulk as contacts_bulk
from closeloop.contacts.models import Contact
from closeloop.errors import Conflict
from closeloop.imports import contact_batches
from closeloop.imports.contact_batches import COLUMNS, StoredContact
from closeloop.imports.contact_rows import ContactRow
from closeloop.imports.tally import Outcome

_CONTACTS = cast(Table, Contact.__table__)
# the order of the values _insert builds: COLUMNS, then the two timestamps
_SQLITE_INSERT = (
    "INSERT INTO contacts (email, external_id, phone, name, locale, time_zone, role, traits, "
    "account_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
_SQLITE_LOOKUP = {
    "email": (
        "SELECT id, email, external_id, phone, name, locale, time_zone, role, traits, "
        "account_id FROM contacts WHERE email IN (SELECT value FROM json_each(?))"
    ),
    "external_id": (
        "SELECT id, email, external_id, phone, name, locale, time_zone, role, traits, "
        "account_id FROM contacts WHERE external_id IN (SELECT value FROM json_each(?))"
    ),
}


class ContactWriter:
    """Writes the batches of one import, looking people up only when it has to.

    Looking up every person a batch names costs two index probes a row, and in a file
    of new people (the first import of a CRM) they find nobody. So while the batches
    bring only new people, a batch is planned against nobody and inserted straight
    away with ``ON CONFLICT DO NOTHING``: if every row went in, no identifier it named
    was stored, and the result is the one the lookups would have given. Otherwise the
    insert is rolled back to its savepoint and the batch is written the careful way,
    which later batches keep doing until one finds nobody stored again.
    """

    def __init__(self) -> None:
        self._hopeful = True

    def write(
        self, session: Session, rows: Sequence[ContactRow], now: datetime
    ) -> list[Outcome | str]:
        """Upsert the people of ``rows``; per row, its outcome or why it was refused."""
        account_keys = {row.account for row in rows if row.account is not None}
        account_ids = contacts_bulk.resolve_accounts(
            session=session, external_ids=account_keys, now=now
        )
        if self._hopeful:
            batch = contact_batches.plan(rows, [], account_ids)
            if batch.only_new_people and _insert_if_all_new(session, batch.new, now):
                return batch.results
        stored = _load(session, rows)
        self._hopeful = not stored
        batch = contact_batches.plan(rows, stored, account_ids)
        # changes first: an address someone gives up is then free for the new person taking it
        _update(session, batch.changes, now)
        if _insert(session, batch.new, now) != len(batch.new):
            # created by a concurrent writer between our look and our insert
            raise Conflict("another writer created some of these people at the same time")
        return batch.results


class _Stored(Exception):
    """Some of the people thought new are stored already."""


def _insert_if_all_new(session: Session, people: list[dict[str, Any]], now: datetime) -> bool:
    try:
        with session.begin_nested():
            if _insert(session, people, now) != len(people):
                raise _Stored
    except _Stored:
        return False
    return True


def _load(session: Session, rows: Sequence[ContactRow]) -> list[StoredContact]:
    """Everyone the rows name, by email or by external id: one query per kind."""
    wanted = {
        "email": list({row.email for row in rows if row.email is not None}),
        "external_id": list({row.external_id for row in rows if row.external_id is not None}),
    }
    connection = session.connection()
    found: dict[int, StoredContact] = {}
    for kind, values in wanted.items():
        if not values:
            continue
        if connection.dialect.name == "sqlite":
            # one JSON parameter instead of thousands: SQLAlchemy's expansion of a long
            # IN list costs more than the lookup itself
            traits = _CONTACTS.c.traits.type.dialect_impl(connection.dialect).result_processor(
                connection.dialect, None
            )
            assert traits is not None
            result = connection.exec_driver_sql(_SQLITE_LOOKUP[kind], (json.dumps(values),))
            for row in result:
                found[row[0]] = StoredContact._make((*row[:8], traits(row[8]), row[9]))
        else:
            columns = [_CONTACTS.c.id, *(_CONTACTS.c[name] for name in COLUMNS)]
            query = select(*columns).where(_CONTACTS.c[kind].in_(values))
            for row in connection.execute(query):
                found[row[0]] = StoredContact(*row)
    return list(found.values())


def _insert(session: Session, people: list[dict[str, Any]], now: datetime) -> int:
    """Insert the new people, skipping any whose address or external id is taken; how many."""
    if not people:
        return 0
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        dialect = connection.dialect
        json = _CONTACTS.c.traits.type.dialect_impl(dialect).bind_processor(dialect)
        stamp_processor = _CONTACTS.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
        stamp = stamp_processor(now) if stamp_processor is not None else now
        assert json is not None
        values = [
            (
                person["email"],
                person["external_id"],
                person["phone"],
                person["name"],
                person["locale"],
                person["time_zone"],
                person["role"],
                json(person["traits"]),
                person["account_id"],
                stamp,
                stamp,
            )
            for person in people
        ]
        return int(connection.exec_driver_sql(_SQLITE_INSERT, values).rowcount)
    statement = contacts_bulk.insert_ignoring_duplicates(session, Contact).returning(Contact.id)
    rows = [{**person, "created_at": now, "updated_at": now} for person in people]
    return len(connection.execute(statement, rows).all())


def _update(session: Session, changes: dict[int, dict[str, Any]], now: datetime) -> None:
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for contact_id, changed in changes.items():
        names = tuple(sorted(changed))
        by_columns.setdefault(names, []).append({"_id": contact_id, **changed, "updated_at": now})
    for names, rows in by_columns.items():
        statement = (
            update(_CONTACTS)
            .where(_CONTACTS.c.id == bindparam("_id"))
            .values({name: bindparam(name) for name in (*names, "updated_at")})
        )
        session.connection().execute(statement, rows)
