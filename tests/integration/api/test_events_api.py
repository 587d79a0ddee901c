"""The events API: one event, batches, idempotency, and every way to get it wrong."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from closeloop.api.app import create_app
from closeloop.auth import service as auth
from closeloop.auth.models import Scope
from closeloop.clock import FrozenClock
from closeloop.runtime import Runtime
from tests.integration.events.factories import count_rows, event_payload

PROBLEM = "application/problem+json"


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as client:
        yield client


@pytest.fixture
def ingest(runtime: Runtime) -> dict[str, str]:
    with runtime.transaction() as session:
        _, plain = auth.create_api_key(
            session=session, name="segment", scope=Scope.INGEST, now=runtime.clock.now()
        )
    return {"Authorization": f"Bearer {plain}"}


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body.get("errors", [])]


def test_one_event_then_its_retry(
    client: TestClient, ingest: dict[str, str], runtime: Runtime
) -> None:
    payload = event_payload(message_id="zd-8812-solved")
    created = client.post("/api/v1/events", json=payload, headers=ingest)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "created"
    retried = client.post("/api/v1/events", json=payload, headers=ingest)
    assert retried.status_code == 200, retried.text
    assert retried.json() == {
        "message_id": "zd-8812-solved",
        "status": "duplicate",
        "event_id": created.json()["event_id"],
    }
    assert count_rows(runtime) == (1, 1)


def test_a_batch_reports_each_item_in_order(
    client: TestClient, ingest: dict[str, str], runtime: Runtime
) -> None:
    client.post("/api/v1/events", json=event_payload(message_id="old"), headers=ingest)
    batch = [
        event_payload(message_id="a"),
        event_payload(message_id="old"),
        event_payload(message_id="a"),
        event_payload(message_id="b", contact={"external_id": "u-9"}),
    ]
    response = client.post("/api/v1/events/batch", json={"events": batch}, headers=ingest)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(r["message_id"], r["status"]) for r in body["results"]] == [
        ("a", "created"),
        ("old", "duplicate"),
        ("a", "duplicate"),
        ("b", "created"),
    ]
    assert (body["created"], body["duplicates"]) == (2, 2)
    assert count_rows(runtime) == (3, 2)


def test_a_batch_of_1001_is_refused_naming_events(
    client: TestClient, ingest: dict[str, str], runtime: Runtime
) -> None:
    batch = [event_payload(message_id=f"m-{n}") for n in range(1001)]
    body = problem(client.post("/api/v1/events/batch", json={"events": batch}, headers=ingest), 422)
    assert fields(body) == ["events"]
    assert count_rows(runtime) == (0, 0)


def test_a_full_batch_of_1000_is_taken(
    client: TestClient, ingest: dict[str, str], runtime: Runtime
) -> None:
    batch = [
        event_payload(message_id=f"m-{n}", contact={"email": f"p{n % 50}@acme.example"})
        for n in range(1000)
    ]
    response = client.post("/api/v1/events/batch", json={"events": batch}, headers=ingest)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1000
    assert count_rows(runtime) == (1000, 50)


BAD_ITEMS: list[tuple[dict[str, Any], str]] = [
    ({"name": ""}, "events.3.name"),
    ({"name": None}, "events.3.name"),
    ({"contact": {}}, "events.3.contact.id"),
    ({"contact": {"email": "nope"}}, "events.3.contact.email"),
    (
        {"contact": {"email": "x@acme.example", "time_zone": "Nowhere/City"}},
        "events.3.contact.time_zone",
    ),
    ({"properties": "plain text"}, "events.3.properties"),
    ({"timestamp": "2026-03-01T10:00:00"}, "events.3.timestamp"),
    ({"timestamp": 1.5e300}, "events.3.timestamp"),
    ({"anonymousId": "abc"}, "events.3.anonymousId"),
]
MALFORMED_BATCHES: list[tuple[Any, str]] = [
    ({}, "events"),
    ({"events": []}, "events"),
    ({"events": "all of them"}, "events"),
    ({"events": [], "extra": 1}, "extra"),
    ([], "body"),
]


def test_an_invalid_item_rejects_the_whole_batch(
    client: TestClient, ingest: dict[str, str], runtime: Runtime
) -> None:
    # one database per test is the slow part, so the cases share one
    for item, field in BAD_ITEMS:
        batch = [event_payload(contact={"email": f"p{n}@acme.example"}) for n in range(3)]
        bad = {**event_payload(), **item}
        batch.append({key: value for key, value in bad.items() if value is not None})
        response = client.post("/api/v1/events/batch", json={"events": batch}, headers=ingest)
        assert field in fields(problem(response, 422)), item
    assert count_rows(runtime) == (0, 0)


def test_a_future_timestamp_rejects_the_batch(
    client: TestClient, ingest: dict[str, str], runtime: Runtime, clock: FrozenClock
) -> None:
    later = (clock.now() + timedelta(days=2)).isoformat()
    batch = [event_payload(), event_payload(timestamp=later)]
    body = problem(client.post("/api/v1/events/batch", json={"events": batch}, headers=ingest), 422)
    assert fields(body) == ["events.1.timestamp"]
    assert count_rows(runtime) == (0, 0)
    single = problem(
        client.post("/api/v1/events", json=event_payload(timestamp=later), headers=ingest), 422
    )
    assert fields(single) == ["timestamp"]


def test_values_the_database_cannot_hold_are_422_not_500(
    client: TestClient, ingest: dict[str, str], runtime: Runtime
) -> None:
    unstorable = [
        (event_payload(contact={"id": 2**63}), "contact.id"),
        # valid ISO 8601, but an hour before the year 1 in UTC
        (event_payload(timestamp="0001-01-01T00:00:00+01:00"), "timestamp"),
    ]
    for payload, field in unstorable:
        response = client.post("/api/v1/events", json=payload, headers=ingest)
        assert fields(problem(response, 422)) == [field], payload
    assert count_rows(runtime) == (0, 0)


def test_a_conflicting_person_rejects_the_batch(
    client: TestClient, ingest: dict[str, str], runtime: Runtime
) -> None:
    client.post("/api/v1/contacts", json={"email": "ana@acme.example"}, headers=ingest)
    client.post("/api/v1/contacts", json={"external_id": "u-2"}, headers=ingest)
    batch = [
        event_payload(contact={"email": "new@acme.example"}),
        event_payload(contact={"email": "ana@acme.example", "external_id": "u-2"}),
    ]
    body = problem(client.post("/api/v1/events/batch", json={"events": batch}, headers=ingest), 409)
    assert fields(body) == ["events.1.contact.email"]
    assert count_rows(runtime) == (0, 2)


def test_a_malformed_batch_names_the_field(client: TestClient, ingest: dict[str, str]) -> None:
    for body, field in MALFORMED_BATCHES:
        response = client.post("/api/v1/events/batch", json=body, headers=ingest)
        assert field in fields(problem(response, 422)), body


def test_malformed_json_is_422_and_writes_nothing(
    client: TestClient, ingest: dict[str, str], runtime: Runtime
) -> None:
    for path in ("/api/v1/events", "/api/v1/events/batch"):
        response = client.post(
            path,
            content=b'{"events": [{"name": "A",',
            headers={**ingest, "Content-Type": "application/json"},
        )
        assert "JSON" in problem(response, 422)["detail"], path
    assert count_rows(runtime) == (0, 0)


def test_no_or_a_wrong_key_is_401(client: TestClient, runtime: Runtime) -> None:
    for path, payload in (
        ("/api/v1/events", event_payload()),
        ("/api/v1/events/batch", {"events": [event_payload()]}),
    ):
        for headers in ({}, {"Authorization": "Bearer cl_wrong"}, {"Authorization": "Bearer "}):
            problem(client.post(path, json=payload, headers=headers), 401)
    assert count_rows(runtime) == (0, 0)
