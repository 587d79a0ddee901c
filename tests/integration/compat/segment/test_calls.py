"""Every Segment call, as the libraries send it, and what closeloop makes of it."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from closeloop.auth import service as auth
from closeloop.auth.models import Scope
from closeloop.clock import FrozenClock
from closeloop.runtime import Runtime
from tests.integration.compat.segment.wire import (
    basic,
    contact,
    contacts,
    events,
    message,
    post,
    send,
)


def test_identify_fills_the_contact_and_keeps_the_rest_as_traits(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    traits = {
        "email": "Ana@Acme.example",
        "name": "Ana García",
        "phone": "+34 600 123 456",
        "role": "Decision Maker",
        "timezone": "europe/madrid",
        "locale": "es_ES",
        "plan": "pro",
        "seats": 25,
    }
    receipt = send(client, write_key, message("identify", userId="user-1", traits=traits))
    assert receipt == {"success": True, "accepted": 1, "rejected": []}
    ana = contact(runtime, "user-1")
    assert (ana.email, ana.name, ana.phone, ana.role) == (
        "ana@acme.example",
        "Ana García",
        "+34600123456",
        "decision_maker",
    )
    assert (ana.time_zone, ana.locale) == ("Europe/Madrid", "es-ES")
    assert ana.traits == {"plan": "pro", "seats": 25}


def test_free_text_hints_are_used_when_they_fit_and_kept_as_traits_otherwise(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    send(
        client,
        write_key,
        message(
            "identify",
            userId="user-1",
            traits={
                "firstName": "Ana",
                "lastName": "García",
                "role": "Engineer",
                "language": "English",
            },
            context={"timezone": "America/New_York", "locale": "en-US"},
        ),
    )
    ana = contact(runtime, "user-1")
    assert (ana.name, ana.role, ana.time_zone, ana.locale) == (
        "Ana García",
        None,
        "America/New_York",
        "en-US",
    )
    assert ana.traits == {
        "firstName": "Ana",
        "lastName": "García",
        "role": "Engineer",
        "language": "English",
    }


def test_identify_again_updates_and_a_null_trait_removes_it(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    send(client, write_key, message("identify", traits={"plan": "pro", "trial": True}))
    send(client, write_key, message("identify", traits={"plan": "enterprise", "trial": None}))
    assert [c.traits for c in contacts(runtime)] == [{"plan": "enterprise"}]


def test_group_puts_the_person_in_the_account(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    send(
        client,
        write_key,
        message(
            "group",
            userId="user-1",
            groupId=42,
            traits={"name": "Acme Logistics", "plan": "enterprise", "employees": 120},
        ),
    )
    account = contact(runtime, "user-1").account
    assert account is not None
    assert (account.external_id, account.name) == ("42", "Acme Logistics")
    assert account.traits == {"plan": "enterprise", "employees": 120}


def test_track_appends_an_event(client: TestClient, write_key: str, runtime: Runtime) -> None:
    happened = "2026-03-02T16:45:00+01:00"
    send(
        client,
        write_key,
        message(
            "track",
            messageId="zd-8812-solved",
            userId="user-1",
            event="Ticket Solved",
            properties={"ticket_id": 8812, "channel": "chat"},
            timestamp=happened,
        ),
    )
    [event] = events(runtime)
    assert (event.message_id, event.name, event.source) == (
        "zd-8812-solved",
        "Ticket Solved",
        "segment",
    )
    assert event.properties == {"ticket_id": 8812, "channel": "chat"}
    assert event.occurred_at == datetime.fromisoformat(happened)
    assert event.contact_id == contact(runtime, "user-1").id


@pytest.mark.parametrize(
    ("kind", "fields", "name", "properties"),
    [
        ("page", {"name": "Pricing"}, "Viewed Pricing Page", {"name": "Pricing"}),
        (
            "page",
            {"name": "Invoices", "category": "Billing", "properties": {"path": "/invoices"}},
            "Viewed Billing Invoices Page",
            {"path": "/invoices", "name": "Invoices", "category": "Billing"},
        ),
        ("page", {}, "Loaded a Page", {}),
        ("screen", {"name": "Checkout"}, "Viewed Checkout Screen", {"name": "Checkout"}),
        ("screen", {}, "Loaded a Screen", {}),
    ],
)
def test_pages_and_screens_are_events_named_as_segment_names_them(
    client: TestClient,
    write_key: str,
    runtime: Runtime,
    kind: str,
    fields: dict[str, object],
    name: str,
    properties: dict[str, object],
) -> None:
    send(client, write_key, message(kind, **fields))
    [event] = events(runtime)
    assert (event.name, event.properties) == (name, properties)


def test_anonymous_calls_belong_to_an_anonymous_contact_until_identified(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    send(
        client,
        write_key,
        message("page", userId=None, anonymousId="a-7", name="Pricing"),
        message("track", userId=None, anonymousId="a-7", event="Trial Started"),
    )
    [visitor] = contacts(runtime)
    assert visitor.external_id == "anonymous:a-7"
    send(client, write_key, message("identify", userId="user-1", anonymousId="a-7"))
    [person] = contacts(runtime)
    assert (person.id, person.external_id) == (visitor.id, "user-1")
    assert {event.contact_id for event in events(runtime)} == {person.id}


def test_identify_merges_the_visitor_into_a_user_already_known(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    send(
        client,
        write_key,
        message("identify", userId="user-1", traits={"email": "ana@acme.example"}),
        message("track", userId="user-1", event="Signed Up"),
        message("track", userId=None, anonymousId="a-7", event="Viewed Docs"),
        message("identify", userId="user-1", anonymousId="a-7", traits={"plan": "pro"}),
    )
    [ana] = contacts(runtime)
    assert (ana.external_id, ana.email, ana.traits) == (
        "user-1",
        "ana@acme.example",
        {"plan": "pro"},
    )
    assert [(e.name, e.contact_id) for e in events(runtime)] == [
        ("Signed Up", ana.id),
        ("Viewed Docs", ana.id),
    ]


def test_times_are_corrected_for_the_senders_clock(
    client: TestClient, write_key: str, runtime: Runtime, clock: FrozenClock
) -> None:
    # the sender's clock is two days behind: it sent at "03-01 10:00", we received at 03-03
    response = post(
        client,
        write_key,
        {
            "batch": [
                message("track", event="A", timestamp="2026-03-01T09:00:00Z"),
                message(
                    "track",
                    event="B",
                    originalTimestamp="2026-03-01T09:30:00Z",
                    sentAt="2026-03-01T09:40:00Z",
                ),
                message("track", event="C"),
            ],
            "sentAt": "2026-03-01T10:00:00Z",
        },
    )
    assert response.status_code == 200, response.text
    now = clock.now()
    assert [(e.name, e.occurred_at) for e in events(runtime)] == [
        ("A", now - timedelta(hours=1)),
        ("B", now - timedelta(minutes=10)),
        ("C", now),
    ]


def test_a_timestamp_without_sent_at_is_kept_as_given(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    send(client, write_key, message("track", event="Imported", timestamp="2025-06-01T08:00:00"))
    [event] = events(runtime)
    assert event.occurred_at == datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("identify", {"userId": "user-1", "traits": {"email": "ana@acme.example"}}),
        ("track", {"userId": "user-1", "event": "Signed Up"}),
        ("page", {"anonymousId": "a-7", "name": "Home"}),
        ("screen", {"userId": "user-1", "name": "Home"}),
        ("group", {"userId": "user-1", "groupId": "acct-42"}),
        ("alias", {"previousId": "a-7", "userId": "user-1"}),
    ],
)
def test_each_single_call_endpoint_takes_its_message(
    client: TestClient, write_key: str, kind: str, body: dict[str, object]
) -> None:
    response = post(client, write_key, body, path=f"/compat/segment/v1/{kind}")
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "accepted": 1, "rejected": []}


def test_a_gzip_batch_is_read(client: TestClient, write_key: str, runtime: Runtime) -> None:
    batch = [message("track", event="Signed Up", properties={"n": n}) for n in range(50)]
    response = post(client, write_key, {"batch": batch}, compress=True)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 50
    assert len(events(runtime)) == 50


def test_the_write_key_may_come_in_the_body_or_as_a_bearer_token(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    in_body = {"batch": [message("track", event="A")], "writeKey": write_key}
    assert client.post("/compat/segment/v1/batch", json=in_body).status_code == 200
    as_bearer = {"Authorization": f"Bearer {write_key}"}
    single = message("track", event="B")
    assert (
        client.post("/compat/segment/v1/track", json=single, headers=as_bearer).status_code == 200
    )
    # some clients put the key in the password instead of the user
    as_password = {"Authorization": "Basic " + base64.b64encode(f":{write_key}".encode()).decode()}
    single = message("track", event="C")
    assert (
        client.post("/compat/segment/v1/track", json=single, headers=as_password).status_code == 200
    )
    assert [e.name for e in events(runtime)] == ["A", "B", "C"]


def test_an_admin_key_is_a_write_key_too(client: TestClient, runtime: Runtime) -> None:
    with runtime.transaction() as session:
        _, admin = auth.create_api_key(
            session=session, name="admin", scope=Scope.ADMIN, now=runtime.clock.now()
        )
    response = client.post(
        "/compat/segment/v1/track", json=message("track", event="A"), headers=basic(admin)
    )
    assert response.status_code == 200, response.text
