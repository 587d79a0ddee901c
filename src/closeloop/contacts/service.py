"""Contacts and accounts: lookup, upsert, consent and suppression.

Writes follow one rule, for creating and updating alike: the fields a caller sends are
written (``null`` clears), the fields it leaves out are kept, and traits merge key by
key. Identity decisions come from the pure ``contacts.identity``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from closeloop.contacts import identity, timeline
from closeloop.contacts.fields import merge_traits
from closeloop.contacts.identity import IdentityConflict, Known
from closeloop.contacts.models import Account, Contact
from closeloop.contacts.schemas import (
    PROFILE_COLUMNS,
    AccountIn,
    ContactIn,
    ContactPatch,
    Timeline,
)
from closeloop.db.base import MAX_ID
from closeloop.errors import Conflict, InvalidInput, NotFound

MAX_PAGE_SIZE = 200
_CURSOR_PREFIX = "c1:"


@dataclass(frozen=True)
class Page:
    items: list[Contact]
    next_cursor: str | None


def get(*, session: Session, contact_id: int) -> Contact | None:
    return session.get(Contact, contact_id)


def get_or_404(*, session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact with id {contact_id}")
    return contact


def get_by_email(*, session: Session, email: str) -> Contact | None:
    """Find a person by an already normalised address (see ``fields.normalise_email``)."""
    return session.scalar(select(Contact).where(Contact.email == email))


def get_by_external_id(*, session: Session, external_id: str) -> Contact | None:
    return session.scalar(select(Contact).where(Contact.external_id == external_id))


def get_with_timeline(*, session: Session, contact_id: int) -> tuple[Contact, Timeline]:
    """The person and what happened to them, newest first."""
    contact = get_or_404(session=session, contact_id=contact_id)
    return contact, timeline.build(session=session, contact_id=contact_id)


def list_(
    *,
    session: Session,
    limit: int = 50,
    cursor: str | None = None,
    email: str | None = None,
    external_id: str | None = None,
) -> Page:
    """Contacts in creation order, a page at a time; ``email``/``external_id`` filter."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"limit is 1–{MAX_PAGE_SIZE}", field="limit")
    query = select(Contact).options(selectinload(Contact.account)).order_by(Contact.id)
    if cursor is not None:
        query = query.where(Contact.id > _decode_cursor(cursor))
    if email is not None:
        query = query.where(Contact.email == email)
    if external_id is not None:
        query = query.where(Contact.external_id == external_id)
    rows = list(session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    items = rows[:limit]
    return Page(items=items, next_cursor=_encode_cursor(items[-1].id) if more else None)


def upsert(*, session: Session, data: ContactIn, now: datetime) -> tuple[Contact, bool]:
    """Create or update the person the data identifies; True when created.

    Runs in a savepoint: if a concurrent request creates the same person between our
    lookup and our insert, the unique index refuses ours and the second attempt finds
    and updates theirs.
    """
    try:
        with session.begin_nested():
            return _upsert(session, data, now)
    except IntegrityError:
        pass  # someone created the same person first: the second look finds theirs
    try:
        with session.begin_nested():
            return _upsert(session, data, now)
    except IntegrityError:
        raise Conflict("another request changed this contact at the same time; retry") from None


def update(*, session: Session, contact_id: int, data: ContactPatch, now: datetime) -> Contact:
    """Change the fields sent; an email or external_id that is someone else's is a 409."""
    contact = get_or_404(session=session, contact_id=contact_id)
    for name, value in (("email", data.email), ("external_id", data.external_id)):
        if name in data.model_fields_set and value is not None:
            owner = session.scalar(
                select(Contact.id).where(getattr(Contact, name) == value, Contact.id != contact.id)
            )
            if owner is not None:
                raise Conflict(f"{name} {value} belongs to contact {owner}", field=name)
    try:
        with session.begin_nested():
            _write(session, contact, data, now)
    except IntegrityError:
        raise Conflict("another request changed this contact at the same time; retry") from None
    return contact


def upsert_account(*, session: Session, data: AccountIn, now: datetime) -> Account:
    """Find the company by external_id, else by name, and write the fields sent.

    A name match adopts an account that has no external_id yet, so a company first
    created by name gets its key when the CRM starts sending one.
    """
    account: Account | None = None
    if data.external_id is not None:
        account = session.scalar(select(Account).where(Account.external_id == data.external_id))
    if account is None and data.name is not None:
        query = select(Account).where(Account.name == data.name).order_by(Account.id)
        if data.external_id is not None:
            query = query.where(Account.external_id.is_(None))
        account = session.scalars(query.limit(1)).first()
    if account is None:
        account = Account(
            name=data.name or data.external_id, traits={}, created_at=now, updated_at=now
        )
        session.add(account)
    values: dict[str, Any] = {
        name: getattr(data, name)
        for name in ("external_id", "name", "domain", "time_zone")
        if name in data.model_fields_set and getattr(data, name) is not None
    }
    if data.traits is not None:
        values["traits"] = merge_traits(account.traits or {}, data.traits)
    if _assign(account, values):
        account.updated_at = now
    return account


def unsubscribe(*, session: Session, contact_id: int, now: datetime) -> Contact:
    """Stop every future survey to this person; idempotent (the first time is kept)."""
    contact = get_or_404(session=session, contact_id=contact_id)
    if contact.unsubscribed_at is None:
        contact.unsubscribed_at = now
        contact.updated_at = now
    return contact


def mark_bounced(*, session: Session, contact_id: int, reason: str, now: datetime) -> Contact:
    """A hard bounce: the address does not take mail, so nothing more is sent to it."""
    contact = get_or_404(session=session, contact_id=contact_id)
    if contact.bounced_at is None:
        contact.bounced_at = now
        contact.bounce_reason = reason[:500]
        contact.updated_at = now
    return contact


def erase(*, session: Session, contact_id: int) -> None:
    """Delete the person and everything recorded about them (a GDPR erasure).

    Their events, invitations, answers, decisions and planned survey slots go with them
    through the database's ``ON DELETE CASCADE``; their account stays, as it is the
    company's, not theirs.
    """
    session.delete(get_or_404(session=session, contact_id=contact_id))
    session.flush()


def _upsert(session: Session, data: ContactIn, now: datetime) -> tuple[Contact, bool]:
    by_email = get_by_email(session=session, email=data.email) if data.email else None
    by_external_id = (
        get_by_external_id(session=session, external_id=data.external_id)
        if data.external_id
        else None
    )
    found: dict[int, Contact] = {c.id: c for c in (by_email, by_external_id) if c is not None}
    try:
        if data.email is None and data.external_id is None and data.phone is not None:
            by_phone = list(
                session.scalars(
                    select(Contact).where(Contact.phone == data.phone).order_by(Contact.id)
                )
            )
            found.update((c.id, c) for c in by_phone)
            match = identity.pick_by_phone([_known(c) for c in by_phone], phone=data.phone)
        else:
            match = identity.match(
                email=data.email,
                external_id=data.external_id,
                by_email=_known(by_email) if by_email else None,
                by_external_id=_known(by_external_id) if by_external_id else None,
            )
    except IdentityConflict as conflict:
        raise Conflict(conflict.detail, field=conflict.field) from None
    if match is not None:
        contact = found[match.key]
        _write(session, contact, data, now)
        return contact, False
    contact = Contact(traits={}, created_at=now, updated_at=now)
    _write(session, contact, data, now)
    return contact, True


def _write(
    session: Session, contact: Contact, data: ContactIn | ContactPatch, now: datetime
) -> None:
    """Apply the fields sent, then check the person can still be found, and flush."""
    sent = data.model_fields_set
    values: dict[str, Any] = {
        name: getattr(data, name)
        for name in ("email", "external_id", *PROFILE_COLUMNS)
        if name in sent
    }
    if "role" in values and values["role"] is not None:
        values["role"] = values["role"].value
    if data.traits is not None:
        values["traits"] = merge_traits(contact.traits or {}, data.traits)
    elif "traits" in sent:
        values["traits"] = {}
    if "account" in sent:
        values["account_id"] = _account_id(session, data.account, now)
    changed = _assign(contact, values)
    if contact.email is None and contact.phone is None and contact.external_id is None:
        raise InvalidInput(
            "a contact needs at least one of email, phone, external_id", field="email"
        )
    if changed:
        contact.updated_at = now
    # a new person joins the session only now, complete, so no autoflush sees them half-made
    session.add(contact)
    session.flush()
    if "account_id" in values:
        session.expire(contact, ["account"])  # reload the relationship the id now points at


def _account_id(session: Session, data: AccountIn | None, now: datetime) -> int | None:
    if data is None:
        return None
    account = upsert_account(session=session, data=data, now=now)
    session.flush()  # a new account gets its id
    return account.id


def _assign(target: Contact | Account, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed


def _known(contact: Contact) -> Known:
    return Known(key=contact.id, email=contact.email, external_id=contact.external_id)


def _encode_cursor(last_id: int) -> str:
    raw = f"{_CURSOR_PREFIX}{last_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        digits = raw.removeprefix(_CURSOR_PREFIX)
        if raw.startswith(_CURSOR_PREFIX) and digits.isdigit() and int(digits) <= MAX_ID:
            return int(digits)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidInput("not a cursor from a previous page", field="cursor")
