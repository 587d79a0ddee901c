"""Resolving the people and companies of a whole batch of events at once.

Ingest must not cost a query per event. For a batch, one query per identifier kind
(ids, emails, external ids) loads everyone already known; the batch is then walked in
order against that directory, exactly as if the items were upserted one after another
(so two events about the same new person create one contact), and the people still
missing are created with one multi-row insert. Only people whose fields change are
loaded as ORM objects.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Insert, Table, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closeloop.contacts import identity
from closeloop.contacts.fields import merge_traits
from closeloop.contacts.identity import IdentityConflict, Known
from closeloop.contacts.models import Account, Contact
from closeloop.contacts.schemas import PROFILE_COLUMNS, ContactRef
from closeloop.db.base import Base
from closeloop.errors import Conflict, InvalidInput

_CONTACTS = cast(Table, Contact.__table__)
_CONTACT_COLUMNS = (
    "email",
    "external_id",
    *PROFILE_COLUMNS,
    "traits",
    "created_at",
    "updated_at",
)


def insert_ignoring_duplicates(
    session: Session, model: type[Base], *, on: Sequence[str] | None = None
) -> Insert:
    """``INSERT … ON CONFLICT [(on)] DO NOTHING`` for the session's database.

    Without ``on`` any unique index counts (a person is a duplicate by email or by
    external id); with it, only that one does and any other violation is an error.
    """
    table = cast(Table, model.__table__)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=on)
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=on)


def field_path(path: str, name: str) -> str:
    """``events.3`` + ``name`` → ``events.3.name``; an empty path is the body itself."""
    return f"{path}.{name}" if path else name


@dataclass
class _Person:
    """One person of the batch, and what the batch says about them."""

    known: Known
    values: dict[str, Any] = field(default_factory=dict)
    traits: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Directory:
    by_id: dict[int, Known] = field(default_factory=dict)
    by_email: dict[str, Known] = field(default_factory=dict)
    by_external_id: dict[str, Known] = field(default_factory=dict)

    def put(self, known: Known, replaces: Known | None = None) -> None:
        if replaces is not None:
            if replaces.email is not None:
                self.by_email.pop(replaces.email, None)
            if replaces.external_id is not None:
                self.by_external_id.pop(replaces.external_id, None)
        self.by_id[known.key] = known
        if known.email is not None:
            self.by_email[known.email] = known
        if known.external_id is not None:
            self.by_external_id[known.external_id] = known


def resolve(
    *, session: Session, refs: Sequence[ContactRef], paths: Sequence[str], now: datetime
) -> list[int]:
    """The contact id of each reference, creating and updating people as the refs say.

    ``paths[i]`` is where ``refs[i]`` sits in the request (``events.3.contact``), so an
    error names the exact field; nothing is written when any reference is refused.
    """
    directory = _load(session, refs)
    # pending people get negative keys until the insert gives them ids
    pending: dict[int, _Person] = {}
    changing: dict[int, _Person] = {}
    keys: list[int] = []
    for ref, path in zip(refs, paths, strict=True):
        found = _match(directory, ref, path)
        if found is None:
            found = Known(key=-1 - len(pending), email=ref.email, external_id=ref.external_id)
            directory.put(found)
            pending[found.key] = _Person(known=found)
        elif (ref.email is not None and ref.email != found.email) or (
            ref.external_id is not None and found.external_id is None
        ):
            renamed = Known(
                key=found.key,
                email=ref.email or found.email,
                external_id=ref.external_id or found.external_id,
            )
            directory.put(renamed, replaces=found)
            person = _person(pending if found.key < 0 else changing, found)
            person.known = renamed
            person.values.update(email=renamed.email, external_id=renamed.external_id)
            found = renamed
        if ref.has_profile:
            _collect(_person(pending if found.key < 0 else changing, found), ref)
        keys.append(found.key)
    _update_existing(session, list(changing.values()), now)
    created = _create_new(session, list(pending.values()), now)
    return [created.get(key, key) for key in keys]


def resolve_accounts(
    *, session: Session, external_ids: Collection[str], now: datetime
) -> dict[str, int]:
    """Account ids by external id; unknown companies are created, named by their key."""
    if not external_ids:
        return {}
    wanted = set(external_ids)
    query = select(Account.external_id, Account.id).where(Account.external_id.in_(wanted))
    found: dict[str, int] = {key: id_ for key, id_ in session.execute(query) if key}
    missing = sorted(wanted - found.keys())
    if missing:
        statement = insert_ignoring_duplicates(session, Account).returning(
            Account.external_id, Account.id
        )
        rows = [
            {"external_id": key, "name": key, "traits": {}, "created_at": now, "updated_at": now}
            for key in missing
        ]
        found.update((key, id_) for key, id_ in session.execute(statement, rows) if key)
        # created by a concurrent request after our look: theirs is just as good
        found.update((key, id_) for key, id_ in session.execute(query) if key)
    return found


def link_accounts(
    *, session: Session, account_by_contact: Mapping[int, int], now: datetime
) -> None:
    """Put people in the company their events name, unless they already belong to one.

    A person who joins a company is a changed person: ``updated_at`` moves, so the
    schedulers that read changes (a date rule on the account's renewal, an audience of a
    recurring rule) look at them again.
    """
    contacts_by_account: dict[int, list[int]] = {}
    for contact_id, account_id in account_by_contact.items():
        contacts_by_account.setdefault(account_id, []).append(contact_id)
    for account_id, contact_ids in contacts_by_account.items():
        session.execute(
            update(Contact)
            .where(Contact.id.in_(contact_ids), Contact.account_id.is_(None))
            .values(account_id=account_id, updated_at=now)
            .execution_options(synchronize_session=False)
        )


def _load(session: Session, refs: Sequence[ContactRef]) -> _Directory:
    """Everyone the batch names, with one query per identifier kind.

    The queries select table columns, not mapped attributes, so rows come back as plain
    tuples without the ORM's loading machinery: this runs once per batch of 1,000.
    """
    wanted: dict[str, set[Any]] = {
        "id": {ref.id for ref in refs if ref.id is not None},
        "email": {ref.email for ref in refs if ref.email is not None},
        "external_id": {ref.external_id for ref in refs if ref.external_id is not None},
    }
    columns = _CONTACTS.c
    directory = _Directory()
    for kind, values in wanted.items():
        if values:
            query = select(columns.id, columns.email, columns.external_id).where(
                columns[kind].in_(values)
            )
            for id_, email, external_id in session.execute(query):
                directory.put(Known(key=id_, email=email, external_id=external_id))
    return directory


def _match(directory: _Directory, ref: ContactRef, path: str) -> Known | None:
    """Who ``ref`` is, against everyone known so far in the batch; None for someone new."""
    if ref.id is None and ref.external_id is None:
        # the common case: an address alone cannot point at two people
        return directory.by_email.get(ref.email) if ref.email is not None else None
    if ref.id is not None and ref.id not in directory.by_id:
        raise InvalidInput(f"no contact with id {ref.id}", field=field_path(path, "id"))
    try:
        return identity.match(
            email=ref.email,
            external_id=ref.external_id,
            by_id=directory.by_id.get(ref.id) if ref.id is not None else None,
            by_email=directory.by_email.get(ref.email) if ref.email else None,
            by_external_id=(
                directory.by_external_id.get(ref.external_id) if ref.external_id else None
            ),
        )
    except IdentityConflict as conflict:
        raise Conflict(conflict.detail, field=field_path(path, conflict.field)) from None


def _person(book: dict[int, _Person], known: Known) -> _Person:
    person = book.get(known.key)
    if person is None:
        person = book[known.key] = _Person(known=known)
    return person


def _collect(person: _Person, ref: ContactRef) -> None:
    """Fold what ``ref`` says about the person into what the batch will write."""
    for name in PROFILE_COLUMNS:
        if name in ref.model_fields_set:
            value = getattr(ref, name)
            person.values[name] = value.value if name == "role" and value is not None else value
    if ref.traits is not None:
        person.traits.update(ref.traits)  # a None stays, to delete the trait when written


def _update_existing(session: Session, people: list[_Person], now: datetime) -> None:
    changing = {p.known.key: p for p in people if p.values or p.traits}
    if not changing:
        return
    # updates go first: an address a person gives up in this batch is then free for
    # the new person who takes it
    for contact in session.scalars(select(Contact).where(Contact.id.in_(changing))):
        person = changing[contact.id]
        values = dict(person.values)
        if person.traits:
            values["traits"] = merge_traits(contact.traits or {}, person.traits)
        changed = False
        for name, value in values.items():
            if getattr(contact, name) != value:
                setattr(contact, name, value)
                changed = True
        if changed:
            contact.updated_at = now
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("another request changed these contacts at the same time; retry") from None


def _create_new(session: Session, people: list[_Person], now: datetime) -> dict[int, int]:
    """Insert the new people in one statement; returns pending key → contact id."""
    if not people:
        return {}
    rows = []
    for person in people:
        row: dict[str, Any] = dict.fromkeys(_CONTACT_COLUMNS)
        row.update(person.values, created_at=now, updated_at=now)
        row.update(email=person.known.email, external_id=person.known.external_id)
        row["traits"] = merge_traits({}, person.traits)
        rows.append(row)
    statement = insert_ignoring_duplicates(session, Contact).returning(
        Contact.id, Contact.email, Contact.external_id
    )
    inserted = session.execute(statement, rows).all()
    by_email = {row.email: row.id for row in inserted if row.email is not None}
    by_external_id = {row.external_id: row.id for row in inserted if row.external_id is not None}
    ids: dict[int, int] = {}
    raced: list[_Person] = []
    for person in people:
        key = person.known
        id_ = by_external_id.get(key.external_id or "") or by_email.get(key.email or "")
        if id_ is None:
            raced.append(person)
        else:
            ids[key.key] = id_
    if raced:
        ids.update(_adopt_raced(session, raced, now))
    return ids


def _adopt_raced(session: Session, people: list[_Person], now: datetime) -> dict[int, int]:
    """People a concurrent request created between our look and our insert: update theirs."""
    emails = [p.known.email for p in people if p.known.email is not None]
    external_ids = [p.known.external_id for p in people if p.known.external_id is not None]
    rows = session.execute(
        select(Contact.id, Contact.email, Contact.external_id).where(
            or_(Contact.email.in_(emails), Contact.external_id.in_(external_ids))
        )
    ).all()
    directory = _Directory()
    for row in rows:
        directory.put(Known(key=row.id, email=row.email, external_id=row.external_id))
    ids: dict[int, int] = {}
    existing: list[_Person] = []
    for person in people:
        pending = person.known
        try:
            found = identity.match(
                email=pending.email,
                external_id=pending.external_id,
                by_email=directory.by_email.get(pending.email or ""),
                by_external_id=directory.by_external_id.get(pending.external_id or ""),
            )
        except IdentityConflict as conflict:
            raise Conflict(conflict.detail, field=conflict.field) from None
        if found is None:
            raise Conflict("another request changed these contacts at the same time; retry")
        ids[pending.key] = found.key
        values = {k: v for k, v in person.values.items() if k not in {"email", "external_id"}}
        if pending.email is not None and pending.email != found.email:
            values["email"] = pending.email
        if pending.external_id is not None and found.external_id is None:
            values["external_id"] = pending.external_id
        existing.append(_Person(known=found, values=values, traits=person.traits))
    _update_existing(session, existing, now)
    return ids
