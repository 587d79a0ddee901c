"""Event ingest: idempotent by message id, all or nothing, contacts created on the way."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from closeloop.clock import FrozenClock
from closeloop.contacts.models import Account, Contact
from closeloop.errors import Conflict, InvalidInput
from closeloop.events import service as events
from closeloop.events.models import Event
from closeloop.events.records import IngestResult, ItemResult
from closeloop.events.schemas import EventIn
from closeloop.runtime import Runtime
from tests.integration.contacts.factories import upsert
from tests.integration.events.factories import count_rows, event_in


def ingest(runtime: Runtime, *batch: EventIn) -> IngestResult:
    with runtime.transaction() as session:
        return events.ingest(session=session, events=batch, now=runtime.clock.now())


def test_a_batch_is_stored_and_reported_in_order(runtime: Runtime, clock: FrozenClock) -> None:
    ana_id, _ = upsert(runtime, email="ana@acme.example")
    when = datetime(2026, 3, 1, 16, 45, tzinfo=UTC)
    result = ingest(
        runtime,
        event_in(message_id="m-1", timestamp=when.isoformat()),
        event_in(message_id="m-2", name="Order Delivered", properties={"order": "A-1"}),
    )
    assert [(r.message_id, r.status) for r in result.results] == [
        ("m-1", "created"),
        ("m-2", "created"),
    ]
    assert (result.created, result.duplicates) == (2, 0)
    first, second = result.stored
    assert (first.id, first.contact_id, first.occurred_at) == (
        result.results[0].event_id,
        ana_id,
        when,
    )
    assert (second.name, second.properties, second.occurred_at) == (
        "Order Delivered",
        {"order": "A-1"},
        clock.now(),
    )
    assert second.received_at == clock.now()
    assert second.source == "api"
    assert count_rows(runtime) == (2, 1)


def test_a_retried_message_id_is_stored_once(runtime: Runtime) -> None:
    first = ingest(runtime, event_in(message_id="m-1"))
    again = ingest(runtime, event_in(message_id="m-1", name="Changed on retry"))
    assert again.results == [ItemResult("m-1", "duplicate", first.results[0].event_id)]
    assert (again.created, again.duplicates, again.stored) == (0, 1, [])
    with runtime.transaction() as session:
        assert list(session.scalars(select(Event.name))) == ["Ticket Solved"]


def test_duplicates_inside_one_batch_count_once(runtime: Runtime) -> None:
    ingest(runtime, event_in(message_id="old"))
    result = ingest(
        runtime,
        event_in(message_id="a"),
        event_in(message_id="a"),
        event_in(message_id="old"),
        event_in(message_id="b"),
        event_in(message_id="a"),
    )
    statuses = [(r.message_id, r.status) for r in result.results]
    assert statuses == [
        ("a", "created"),
        ("a", "duplicate"),
        ("old", "duplicate"),
        ("b", "created"),
        ("a", "duplicate"),
    ]
    ids = [r.event_id for r in result.results]
    assert ids[0] == ids[1] == ids[4]
    assert (result.created, result.duplicates) == (2, 3)
    assert [stored.message_id for stored in result.stored] == ["a", "b"]
    assert count_rows(runtime)[0] == 3


def test_without_a_message_id_one_is_generated(runtime: Runtime) -> None:
    result = ingest(runtime, event_in(message_id=None), event_in(message_id=None))
    first, second = (r.message_id for r in result.results)
    assert first != second
    assert uuid.UUID(first).version == 4
    assert result.created == 2


def test_unknown_people_are_created_with_their_traits(runtime: Runtime) -> None:
    result = ingest(
        runtime,
        event_in(contact={"email": "New@Acme.example", "name": "Nora", "traits": {"plan": "pro"}}),
        event_in(contact={"external_id": "u-9", "locale": "pt_BR"}),
        event_in(contact={"email": "new@acme.example", "external_id": "u-10"}),
    )
    first, second, third = result.stored
    assert first.contact_id == third.contact_id != second.contact_id
    with runtime.transaction() as session:
        nora = session.get_one(Contact, first.contact_id)
        other = session.get_one(Contact, second.contact_id)
        assert (nora.email, nora.external_id, nora.name) == ("new@acme.example", "u-10", "Nora")
        assert nora.traits == {"plan": "pro"}
        assert (other.external_id, other.locale) == ("u-9", "pt-BR")


def test_the_account_is_created_and_the_person_joins_it(runtime: Runtime) -> None:
    ana_id, _ = upsert(runtime, email="ana@acme.example")
    result = ingest(runtime, event_in(account={"external_id": "acct-42"}))
    with runtime.transaction() as session:
        account = session.scalars(select(Account)).one()
        ana = session.get_one(Contact, ana_id)
        assert (account.external_id, account.name) == ("acct-42", "acct-42")
        assert ana.account_id == account.id
    assert result.stored[0].account_id == account.id


@pytest.mark.parametrize(
    ("ahead", "accepted"),
    [(timedelta(days=1), True), (timedelta(days=1, seconds=1), False)],
)
def test_a_timestamp_may_be_at_most_a_day_ahead(
    runtime: Runtime, clock: FrozenClock, ahead: timedelta, accepted: bool
) -> None:
    late = event_in(timestamp=(clock.now() + ahead).isoformat())
    if accepted:
        assert ingest(runtime, late).created == 1
        return
    with pytest.raises(InvalidInput) as raised:
        ingest(runtime, event_in(), late)
    assert raised.value.field == "events.1.timestamp"
    assert count_rows(runtime) == (0, 0)


def test_a_single_event_names_its_fields_without_a_prefix(
    runtime: Runtime, clock: FrozenClock
) -> None:
    with runtime.transaction() as session, pytest.raises(InvalidInput) as raised:
        events.ingest_one(
            session=session,
            event=event_in(timestamp=(clock.now() + timedelta(days=2)).isoformat()),
            now=clock.now(),
        )
    assert raised.value.field == "timestamp"
    with runtime.transaction() as session, pytest.raises(InvalidInput) as raised:
        events.ingest_one(session=session, event=event_in(contact={"id": 77}), now=clock.now())
    assert raised.value.field == "contact.id"


def test_a_batch_with_a_conflicting_person_writes_nothing(runtime: Runtime) -> None:
    upsert(runtime, email="ana@acme.example")
    upsert(runtime, external_id="u-2")
    with pytest.raises(Conflict) as raised:
        ingest(
            runtime,
            event_in(contact={"email": "someone.new@acme.example"}),
            event_in(account={"external_id": "acct-1"}),
            event_in(contact={"email": "ana@acme.example", "external_id": "u-2"}),
        )
    assert raised.value.field == "events.2.contact.email"
    assert count_rows(runtime) == (0, 2)
    with runtime.transaction() as session:
        assert session.scalars(select(Account)).all() == []


def test_list_for_contact_is_newest_first(runtime: Runtime, clock: FrozenClock) -> None:
    ana_id, _ = upsert(runtime, email="ana@acme.example")
    start = clock.now()
    ingest(
        runtime,
        *(
            event_in(name=f"Day {day}", timestamp=(start - timedelta(days=day)).isoformat())
            for day in (3, 0, 2, 1)
        ),
        event_in(contact={"email": "other@acme.example"}),
    )
    with runtime.transaction() as session:
        listed = events.list_for_contact(session=session, contact_id=ana_id, limit=3)
    assert [event.name for event in listed] == ["Day 0", "Day 1", "Day 2"]
    assert all(event.contact_id == ana_id for event in listed)


def test_stored_values_read_back_exactly_as_sent(runtime: Runtime) -> None:
    """Whatever path the insert takes, the ORM reads back the same values."""
    when = datetime(2026, 3, 1, 16, 45, 12, 345678, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    properties = {"ticket": "T-1", "nested": {"ok": True, "n": [1, 2.5]}, "text": "façade ✓"}
    result = ingest(
        runtime,
        event_in(message_id="exact-1", timestamp=when.isoformat(), properties=properties),
    )
    with runtime.read_transaction() as session:
        stored = session.scalars(select(Event).where(Event.message_id == "exact-1")).one()
    assert stored.id == result.results[0].event_id
    assert stored.occurred_at == when
    assert stored.occurred_at.tzinfo is not None
    assert stored.received_at == runtime.clock.now()
    assert stored.properties == properties
    assert result.stored[0].properties == properties
