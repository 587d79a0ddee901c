"""A library retries a batch it did not hear back about: the second time changes nothing."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from closeloop.clock import FrozenClock
from closeloop.contacts.models import Account
from closeloop.runtime import Runtime
from tests.integration.compat.segment.wire import contacts, events, message, send


def _snapshot(runtime: Runtime) -> tuple[object, ...]:
    with runtime.read_transaction() as session:
        accounts = [
            (a.id, a.external_id, a.name, a.traits, a.updated_at)
            for a in session.scalars(select(Account).order_by(Account.id))
        ]
    people = [
        (c.id, c.external_id, c.email, c.traits, c.account_id, c.updated_at)
        for c in contacts(runtime)
    ]
    stored = [(e.id, e.message_id, e.contact_id, e.occurred_at) for e in events(runtime)]
    return accounts, people, stored


def test_a_retried_batch_is_stored_once(
    client: TestClient, write_key: str, runtime: Runtime, clock: FrozenClock
) -> None:
    batch = [
        message("page", userId=None, anonymousId="a-7", name="Pricing"),
        message("track", userId=None, anonymousId="a-7", event="Trial Started"),
        message("identify", userId="user-1", anonymousId="a-7", traits={"email": "ana@x.test"}),
        message("group", userId="user-1", groupId="acct-42", traits={"name": "Acme"}),
        message("track", userId="user-1", event="Signed Up"),
        message("track", userId="user-2", event="Signed Up"),
        message("alias", previousId="user-2", userId="user-1"),
    ]
    first = send(client, write_key, *batch)
    assert first == {"success": True, "accepted": 7, "rejected": []}
    before = _snapshot(runtime)
    clock.advance(timedelta(hours=1))  # a change made by the retry would show its new time
    assert send(client, write_key, *batch) == first
    assert _snapshot(runtime) == before
    [person] = contacts(runtime)
    assert person.external_id == "user-1"
    assert len(events(runtime)) == 4


def test_a_message_id_repeated_within_a_batch_is_stored_once(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    twice = message("track", event="Signed Up")
    receipt = send(client, write_key, twice, message("identify"), twice)
    assert receipt["accepted"] == 3
    assert [e.message_id for e in events(runtime)] == [twice["messageId"]]
