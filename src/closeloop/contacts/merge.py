"""Folding one person into another, when a caller says two records are the same human.

An anonymous visitor who signs up, a CRM record that turns out to be a duplicate: the
history of both (events, invitations, answers, decisions, planned recurring surveys)
must end up under one contact, or fatigue, reports and timelines see two people. The
rows are re-pointed, the profiles combined by the pure ``identity.combine``, and the
absorbed contact deleted, all in the caller's transaction: a crash in between leaves
both people as they were, never half of one.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.orm import Session, aliased

from closeloop.contacts import identity
from closeloop.contacts.models import Contact
from closeloop.errors import NotFound
from closeloop.events.models import Event
from closeloop.invitations.models import Invitation
from closeloop.responses.models import Response
from closeloop.triggers.models import Decision, RecurringSlot

# every table that points at a contact; a test checks none is missing, because a row
# left behind would be deleted with the absorbed contact (ON DELETE CASCADE)
HISTORY: tuple[type[Event | Invitation | Response | Decision | RecurringSlot], ...] = (
    Event,
    Invitation,
    Response,
    Decision,
    RecurringSlot,
)


def merge(*, session: Session, absorbed_id: int, survivor_id: int, now: datetime) -> Contact:
    """Move everything of ``absorbed_id`` to ``survivor_id``, combine them, delete the first.

    Both rows are locked first (in id order, as the trigger engine locks people), so a
    concurrent event for either person waits instead of landing on a deleted contact.
    Merging a person into themselves changes nothing.
    """
    session.flush()  # the moves below are SQL: pending changes must be in the database
    people = {
        contact.id: contact
        for contact in session.scalars(
            select(Contact)
            .where(Contact.id.in_((absorbed_id, survivor_id)))
            .order_by(Contact.id)
            .with_for_update()
        )
    }
    for contact_id in (absorbed_id, survivor_id):
        if contact_id not in people:
            raise NotFound(f"no contact with id {contact_id}")
    absorbed, survivor = people[absorbed_id], people[survivor_id]
    if absorbed is survivor:
        return survivor
    combined = identity.combine(_profile(survivor), _profile(absorbed))
    _move_history(session, absorbed_id, survivor_id)
    # the absorbed row goes first: its email and external id are unique, and may move over
    session.delete(absorbed)
    session.flush()
    for name, value in dataclasses.asdict(combined).items():
        setattr(survivor, name, value)
    survivor.updated_at = now
    session.flush()
    session.expire(survivor, ["account"])  # the account id may have come from the absorbed
    return survivor


def _move_history(session: Session, absorbed_id: int, survivor_id: int) -> None:
    # a recurring rule plans one slot per person and period: where both people have one,
    # the survivor's stands and the absorbed one's goes
    theirs = aliased(RecurringSlot)
    session.execute(
        delete(RecurringSlot)
        .where(
            RecurringSlot.contact_id == absorbed_id,
            exists().where(
                and_(
                    theirs.contact_id == survivor_id,
                    theirs.rule_id == RecurringSlot.rule_id,
                    theirs.period_start == RecurringSlot.period_start,
                )
            ),
        )
        .execution_options(synchronize_session="fetch")
    )
    # the default synchronisation also re-points rows already loaded in this session
    for model in HISTORY:
        session.execute(
            update(model).where(model.contact_id == absorbed_id).values(contact_id=survivor_id)
        )


def _profile(contact: Contact) -> identity.Profile:
    return identity.Profile(
        external_id=contact.external_id,
        email=contact.email,
        phone=contact.phone,
        name=contact.name,
        locale=contact.locale,
        time_zone=contact.time_zone,
        role=contact.role,
        traits=contact.traits or {},
        account_id=contact.account_id,
        unsubscribed_at=contact.unsubscribed_at,
        bounced_at=contact.bounced_at,
        bounce_reason=contact.bounce_reason,
        created_at=contact.created_at,
    )
