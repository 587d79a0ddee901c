"""Merging two people: their whole history ends up under one contact, in one transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import ForeignKey, func, select
from sqlalchemy.orm import Session

from closeloop.contacts import merge
from closeloop.contacts.models import Account, Contact
from closeloop.db import models
from closeloop.errors import NotFound
from closeloop.events.models import Event
from closeloop.invitations import service as invitations
from closeloop.responses import service as responses
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from closeloop.triggers.models import Decision, RecurringSlot, Rule


def _person(session: Session, now: datetime, **fields: object) -> Contact:
    fields.setdefault("traits", {})
    contact = Contact(created_at=now, updated_at=now, **fields)
    session.add(contact)
    session.flush()
    return contact


def _history(session: Session, contact: Contact, survey: Survey, rule: Rule, now: datetime) -> None:
    """One of every kind of row a person can have."""
    session.add(
        Event(
            message_id=f"event-of-{contact.id}",
            name="Signed Up",
            contact_id=contact.id,
            properties={},
            source="api",
            occurred_at=now,
            received_at=now,
        )
    )
    invitation = invitations.schedule(
        session=session, survey=survey, contact=contact, due_at=now, now=now
    )
    responses.record_score(session=session, invitation_id=invitation.id, score=9, now=now)
    session.add(
        Decision(
            contact_id=contact.id,
            rule_key="welcome",
            outcome="skipped",
            reason="fatigue",
            context={},
            decided_at=now,
        )
    )
    session.add(RecurringSlot(rule_id=rule.id, contact_id=contact.id, period_start=now, due_at=now))
    session.flush()


def _rule(session: Session, now: datetime) -> Rule:
    rule = Rule(key="quarterly", kind="recurring", definition={}, created_at=now, updated_at=now)
    session.add(rule)
    session.flush()
    return rule


def _count(session: Session, model: type[models.Base], contact_id: int) -> int:
    column = model.__table__.c.contact_id  # type: ignore[attr-defined]
    query = select(func.count()).select_from(model).where(column == contact_id)
    return session.scalar(query) or 0


def test_every_row_moves_and_the_absorbed_person_is_gone(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        survey = Survey(key="nps", name="NPS", kind="nps", created_at=now)
        session.add(survey)
        session.flush()
        rule = _rule(session, now)
        visitor = _person(session, now, external_id="anonymous:v-1", email="ana@home.example")
        known = _person(session, now, external_id="user-1", email="ana@acme.example")
        _history(session, visitor, survey, rule, now - timedelta(days=2))
        visitor_id, known_id = visitor.id, known.id
        merged = merge.merge(session=session, absorbed_id=visitor_id, survivor_id=known_id, now=now)
        assert merged.id == known_id
    with runtime.read_transaction() as session:
        assert session.get(Contact, visitor_id) is None
        for model in merge.HISTORY:
            assert _count(session, model, known_id) == 1, model.__name__
            assert _count(session, model, visitor_id) == 0, model.__name__


def test_the_survivor_keeps_its_values_and_takes_what_it_lacked(runtime: Runtime) -> None:
    now = runtime.clock.now()
    earlier = now - timedelta(days=30)
    with runtime.transaction() as session:
        account = Account(name="Acme", traits={}, created_at=now, updated_at=now)
        session.add(account)
        session.flush()
        visitor = _person(
            session,
            earlier,
            external_id="anonymous:v-1",
            email="ana@home.example",
            phone="+34600123456",
            locale="es",
            account_id=account.id,
            traits={"plan": "free", "utm_source": "ads"},
            unsubscribed_at=earlier,
        )
        known = _person(
            session, now, external_id="user-1", name="Ana García", traits={"plan": "pro"}
        )
        merge.merge(session=session, absorbed_id=visitor.id, survivor_id=known.id, now=now)
        known_id, account_id = known.id, account.id
    with runtime.read_transaction() as session:
        person = session.get(Contact, known_id)
        assert person is not None
        assert (person.external_id, person.name) == ("user-1", "Ana García")
        # the gaps are filled, identifiers included: the address now finds this person
        assert (person.email, person.phone, person.locale) == (
            "ana@home.example",
            "+34600123456",
            "es",
        )
        assert person.account_id == account_id
        assert person.traits == {"plan": "pro", "utm_source": "ads"}
        # who said stop under either identity stays stopped; the person existed since then
        assert person.unsubscribed_at == earlier
        assert person.created_at == earlier


def test_a_recurring_slot_both_people_had_is_kept_once(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        rule = _rule(session, now)
        visitor = _person(session, now, external_id="anonymous:v-1")
        known = _person(session, now, external_id="user-1")
        for person, due in ((visitor, now), (known, now + timedelta(days=3))):
            session.add(
                RecurringSlot(rule_id=rule.id, contact_id=person.id, period_start=now, due_at=due)
            )
        session.flush()
        merge.merge(session=session, absorbed_id=visitor.id, survivor_id=known.id, now=now)
        known_id = known.id
    with runtime.read_transaction() as session:
        slots = session.scalars(select(RecurringSlot)).all()
        assert [(slot.contact_id, slot.due_at) for slot in slots] == [
            (known_id, now + timedelta(days=3))
        ]


def test_a_failed_merge_leaves_both_people_as_they_were(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        visitor_id = _person(session, now, external_id="anonymous:v-1").id
    with pytest.raises(NotFound), runtime.transaction() as session:
        merge.merge(session=session, absorbed_id=visitor_id, survivor_id=visitor_id + 99, now=now)
    with runtime.read_transaction() as session:
        assert session.get(Contact, visitor_id) is not None


def test_merging_a_person_into_themselves_changes_nothing(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        person = _person(session, now, external_id="user-1")
        merged = merge.merge(session=session, absorbed_id=person.id, survivor_id=person.id, now=now)
        assert merged is person
        assert session.get(Contact, person.id) is not None


def test_every_table_that_points_at_a_contact_is_moved() -> None:
    """A table left out would lose its rows with the absorbed person (ON DELETE CASCADE)."""
    pointing = {
        table.name
        for table in models.Base.metadata.tables.values()
        for column in table.columns
        for foreign_key in column.foreign_keys
        if isinstance(foreign_key, ForeignKey) and foreign_key.target_fullname == "contacts.id"
    }
    assert pointing == {model.__tablename__ for model in merge.HISTORY}
