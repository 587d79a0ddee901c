"""People on the Delighted-compatible API: upsert, list, erase, unsubscribe, bounces.

Glue over the contacts and invitations services: a Delighted "person" is a closeloop
contact (its id is the contact id), found by email, else by phone number, and its
properties are traits (see :mod:`.properties` for the special ones).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from closeloop.channels.models import OutboxMessage
from closeloop.compat.delighted import paging
from closeloop.compat.delighted.errors import Invalid
from closeloop.compat.delighted.properties import SortedProperties
from closeloop.compat.delighted.schemas import PageQuery, PeopleQuery, PersonIn, field_errors
from closeloop.compat.delighted.schemas import instant as from_unix
from closeloop.contacts import service as contacts
from closeloop.contacts.fields import normalise_email, normalise_phone
from closeloop.contacts.models import Contact
from closeloop.contacts.schemas import ContactIn, ContactPatch
from closeloop.db.base import MAX_ID
from closeloop.errors import Conflict, InvalidInput, NotFound
from closeloop.invitations import service as invitations
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.responses.models import Response

# our field names → the ones Delighted's clients sent, for error messages
_DELIGHTED_NAMES = {"phone": "phone_number", "traits": "properties"}
ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Activity:
    """What Delighted reported about a person's surveys."""

    last_sent_at: datetime | None = None
    last_responded_at: datetime | None = None
    next_survey_scheduled_at: datetime | None = None


@dataclass(frozen=True)
class PeoplePage:
    people: list[Contact]
    activity: Mapping[int, Activity]
    # the page's last id when more people follow, else None
    last_id: int | None


def upsert(
    *, session: Session, data: PersonIn, sorted_: SortedProperties, now: datetime
) -> Contact:
    """Create or update the person by email, else by phone number; then apply the updates.

    ``email_update`` / ``phone_number_update`` change the address of the person found, as
    Delighted's did; an address that is someone else's is a 422 naming the field.
    """
    fields: dict[str, Any] = {
        name: value
        for name, value in (
            ("email", data.email),
            ("phone", data.phone_number),
            ("name", data.name),
            ("locale", sorted_.locale),
        )
        if value is not None
    }
    if sorted_.traits:
        fields["traits"] = sorted_.traits
    contact, _ = contacts.upsert(session=session, data=contact_in(fields), now=now)
    changes = {
        name: value
        for name, value in (("email", data.email_update), ("phone", data.phone_number_update))
        if value is not None
    }
    if changes:
        try:
            contact = contacts.update(
                session=session, contact_id=contact.id, data=ContactPatch(**changes), now=now
            )
        except Conflict as conflict:
            field = f"{_DELIGHTED_NAMES.get(conflict.field or '', conflict.field)}_update"
            raise InvalidInput("belongs to another person", field=field) from None
    return contact


def merge_properties(
    *, session: Session, contact: Contact, properties: Mapping[str, Any], now: datetime
) -> None:
    """Store ``properties`` as the person's traits (``person_properties`` of an answer)."""
    if properties:
        contacts.update(
            session=session,
            contact_id=contact.id,
            data=contact_patch({"traits": dict(properties)}),
            now=now,
        )


def contact_in(fields: dict[str, Any]) -> ContactIn:
    """The fields as a contact upsert; a bad one is a 422 under the name the client sent."""
    try:
        return ContactIn(**fields)
    except ValidationError as error:
        raise Invalid(_renamed(field_errors(error))) from None


def contact_patch(fields: dict[str, Any]) -> ContactPatch:
    """The fields as a contact change; a bad one is a 422 under the name the client sent."""
    try:
        return ContactPatch(**fields)
    except ValidationError as error:
        raise Invalid(_renamed(field_errors(error))) from None


def _renamed(errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    renamed: dict[str, list[str]] = {}
    for field, messages in errors.items():
        head, dot, rest = field.partition(".")
        renamed[f"{_DELIGHTED_NAMES.get(head, head)}{dot}{rest}"] = messages
    return renamed


def find(*, session: Session, identifier: str) -> Contact:
    """The person a Delighted identifier names: ``42``, ``email:…`` or ``phone_number:…``."""
    kind, colon, value = identifier.partition(":")
    if not colon and identifier.isdigit() and 0 < int(identifier) <= MAX_ID:
        return contacts.get_or_404(session=session, contact_id=int(identifier))
    if colon and kind == "email":
        return find_by_email(session=session, email=value)
    if colon and kind == "phone_number":
        try:
            phone = normalise_phone(value)
        except ValueError:
            raise NotFound(f"no person with phone number {value}") from None
        found = list(session.scalars(select(Contact).where(Contact.phone == phone).limit(2)))
        if len(found) > 1:
            raise InvalidInput(
                "several people have this phone number; name the person by id",
                field="phone_number",
            )
        if not found:
            raise NotFound(f"no person with phone number {phone}")
        return found[0]
    raise NotFound(f"no person {identifier!r}: use an id, email:ADDRESS or phone_number:NUMBER")


def find_by_email(*, session: Session, email: str) -> Contact:
    try:
        address = normalise_email(email)
    except ValueError:
        raise NotFound(f"no person with email {email}") from None
    contact = contacts.get_by_email(session=session, email=address)
    if contact is None:
        raise NotFound(f"no person with email {address}")
    return contact


def erase(*, session: Session, identifier: str) -> None:
    """Delete the person and everything about them, including the copies of their emails
    kept in the development outbox (which outlive invitations by design)."""
    contact = find(session=session, identifier=identifier)
    invited = select(Invitation.id).where(Invitation.contact_id == contact.id)
    session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.invitation_id.in_(invited))
        .execution_options(synchronize_session=False)
    )
    contacts.erase(session=session, contact_id=contact.id)


def cancel_pending(*, session: Session, email: str, now: datetime) -> list[Invitation]:
    """Stop every survey still waiting to go to the person with this email."""
    contact = find_by_email(session=session, email=email)
    return invitations.cancel_pending(
        session=session,
        contact_id=contact.id,
        reason="pending survey requests deleted through the Delighted-compatible API",
        now=now,
    )


def unsubscribe(*, session: Session, email: str, now: datetime) -> Contact:
    """Unsubscribe the person, creating them if unknown so that no later request surveys
    them, and cancel what is waiting for them."""
    contact, _ = contacts.upsert(session=session, data=ContactIn(email=email), now=now)
    contacts.unsubscribe(session=session, contact_id=contact.id, now=now)
    invitations.cancel_pending(
        session=session, contact_id=contact.id, reason="the person unsubscribed", now=now
    )
    return contact


def list_(*, session: Session, query: PeopleQuery) -> PeoplePage:
    """People in creation order, ``per_page`` at a time after ``page_info``."""
    statement = select(Contact).order_by(Contact.id).limit(query.per_page + 1)
    if query.page_info is not None:
        statement = statement.where(Contact.id > paging.decode(query.page_info))
    statement = statement.where(*_created_between(query.since, query.until))
    if query.email is not None:
        statement = statement.where(Contact.email == as_stored(normalise_email, query.email))
    if query.phone_number is not None:
        statement = statement.where(Contact.phone == as_stored(normalise_phone, query.phone_number))
    found = list(session.scalars(statement))
    page = found[: query.per_page]
    return PeoplePage(
        people=page,
        activity=activity(session=session, contact_ids=[person.id for person in page]),
        last_id=page[-1].id if len(found) > query.per_page else None,
    )


def _created_between(since: int | None, until: int | None) -> list[ColumnElement[bool]]:
    """Delighted's bounds are whole seconds, both included."""
    bounds = []
    if since is not None:
        bounds.append(Contact.created_at >= from_unix(since))
    if until is not None:
        bounds.append(Contact.created_at < from_unix(until) + ONE_SECOND)
    return bounds


def as_stored(normalise: Callable[[str], str], value: str) -> str:
    """A filter value in the stored spelling; one no contact can have simply matches nobody
    (a search, not an error)."""
    try:
        return normalise(value)
    except ValueError:
        return value


def activity(*, session: Session, contact_ids: Iterable[int]) -> dict[int, Activity]:
    """Last sent, last answered and next scheduled survey of each person (3 queries)."""
    ids = list(contact_ids)
    if not ids:
        return {}
    sent = dict(
        session.execute(
            select(Invitation.contact_id, func.max(Invitation.sent_at))
            .where(Invitation.contact_id.in_(ids), Invitation.sent_at.is_not(None))
            .group_by(Invitation.contact_id)
        ).all()
    )
    answered = dict(
        session.execute(
            select(Response.contact_id, func.max(Response.responded_at))
            .where(Response.contact_id.in_(ids))
            .group_by(Response.contact_id)
        ).all()
    )
    scheduled = dict(
        session.execute(
            select(Invitation.contact_id, func.min(Invitation.due_at))
            .where(Invitation.contact_id.in_(ids), Invitation.state == InvitationState.SCHEDULED)
            .group_by(Invitation.contact_id)
        ).all()
    )
    return {
        contact_id: Activity(
            sent.get(contact_id), answered.get(contact_id), scheduled.get(contact_id)
        )
        for contact_id in ids
    }


def list_unsubscribed(*, session: Session, query: PageQuery) -> list[Contact]:
    """Unsubscribed people, in the order they unsubscribed."""
    return _page_by(session, Contact.unsubscribed_at, query)


def list_bounced(*, session: Session, query: PageQuery) -> list[Contact]:
    """People whose address bounced, in the order it bounced."""
    return _page_by(session, Contact.bounced_at, query)


def _page_by(
    session: Session, column: InstrumentedAttribute[datetime | None], query: PageQuery
) -> list[Contact]:
    statement = select(Contact).where(column.is_not(None)).order_by(column, Contact.id)
    if query.since is not None:
        statement = statement.where(column >= from_unix(query.since))
    if query.until is not None:
        statement = statement.where(column < from_unix(query.until) + ONE_SECOND)
    offset = (query.page - 1) * query.per_page
    return list(session.scalars(statement.offset(offset).limit(query.per_page)))
