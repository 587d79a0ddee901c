"""/api/v1/journey: the stages in order, touchpoints and their events, and every refusal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from closeloop.api.app import create_app
from closeloop.auth.models import Scope
from closeloop.auth.service import create_api_key
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey

PROBLEM = "application/problem+json"
STAGES = [
    {"key": "awareness", "name": "Awareness"},
    {"key": "purchase", "name": "Purchase"},
    {"key": "retention", "name": "Retention"},
]
SUPPORT = {
    "key": "support",
    "name": "Customer support",
    "stage": "retention",
    "description": "A ticket was solved.",
    "events": ["Ticket Solved", "Ticket Reopened"],
}


def _key(runtime: Runtime, scope: Scope) -> dict[str, str]:
    with runtime.transaction() as session:
        _, plain = create_api_key(
            session=session, name=scope.value, scope=scope, now=runtime.clock.now()
        )
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def api(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), headers=_key(runtime, Scope.ADMIN)) as client:
        yield client


@pytest.fixture
def journey(api: TestClient) -> TestClient:
    """Three stages and the support touchpoint."""
    assert api.put("/api/v1/journey/stages", json={"stages": STAGES}).status_code == 200
    assert api.post("/api/v1/journey/touchpoints", json=SUPPORT).status_code == 201
    return api


def _errors(response: Any) -> list[str]:
    assert response.headers["content-type"] == PROBLEM, response.text
    return [error["field"] for error in response.json().get("errors", [])]


def _map(api: TestClient) -> list[tuple[str, list[str]]]:
    body = api.get("/api/v1/journey").json()
    return [(s["key"], [t["key"] for t in s["touchpoints"]]) for s in body["stages"]]


def test_an_empty_journey(api: TestClient) -> None:
    response = api.get("/api/v1/journey")
    assert response.status_code == 200
    assert response.json() == {"stages": []}


def test_the_journey_reads_in_stage_order(journey: TestClient) -> None:
    body = journey.get("/api/v1/journey").json()
    assert [(s["key"], s["name"], s["position"]) for s in body["stages"]] == [
        ("awareness", "Awareness", 0),
        ("purchase", "Purchase", 1),
        ("retention", "Retention", 2),
    ]
    assert body["stages"][2]["touchpoints"] == [SUPPORT]
    assert journey.get("/api/v1/journey/touchpoints/support").json() == SUPPORT


def test_stages_are_reordered_renamed_added_and_removed(journey: TestClient) -> None:
    stages = [
        {"key": "retention", "name": "Keeping customers"},
        {"key": "purchase", "name": "Purchase"},
        {"key": "advocacy", "name": "Advocacy"},
    ]
    response = journey.put("/api/v1/journey/stages", json={"stages": stages})
    assert response.status_code == 200, response.text
    assert [(s["key"], s["name"]) for s in response.json()["stages"]] == [
        (s["key"], s["name"]) for s in stages
    ]
    assert _map(journey) == [("retention", ["support"]), ("purchase", []), ("advocacy", [])]


def test_a_stage_with_touchpoints_is_not_removed(journey: TestClient) -> None:
    response = journey.put("/api/v1/journey/stages", json={"stages": STAGES[:2]})
    assert response.status_code == 409
    assert _errors(response) == ["stages"]
    assert "still has touchpoints (support)" in response.json()["detail"]
    assert [key for key, _ in _map(journey)] == ["awareness", "purchase", "retention"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stages": []}, "stages"),
        ({"stages": [STAGES[0], STAGES[0]]}, "stages"),
        ({"stages": [{"key": "Aware ness", "name": "Awareness"}]}, "stages.0.key"),
        ({"stages": [{"key": "awareness", "name": "  "}]}, "stages.0.name"),
        ({"stages": [{"key": "awareness"}]}, "stages.0.name"),
    ],
)
def test_bad_stage_lists(api: TestClient, body: dict[str, Any], field: str) -> None:
    response = api.put("/api/v1/journey/stages", json=body)
    assert response.status_code == 422
    assert _errors(response) == [field]


def test_a_touchpoint_changes_stage_and_events(journey: TestClient) -> None:
    changed = {"name": "Help desk", "stage": "purchase", "events": ["Ticket Solved"]}
    response = journey.put("/api/v1/journey/touchpoints/support", json=changed)
    assert response.status_code == 200, response.text
    assert response.json() == {**changed, "key": "support", "description": None}
    assert _map(journey) == [("awareness", []), ("purchase", ["support"]), ("retention", [])]
    # the event it gave up is free for another touchpoint
    reopened = {"key": "reopen", "name": "Reopened", "stage": "retention"}
    created = journey.post(
        "/api/v1/journey/touchpoints", json={**reopened, "events": ["Ticket Reopened"]}
    )
    assert created.status_code == 201, created.text


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (SUPPORT, 409, "key"),
        ({**SUPPORT, "key": "help", "events": ["Signed Up", "Ticket Solved"]}, 409, "events.1"),
        ({**SUPPORT, "key": "help", "stage": "loyalty", "events": []}, 422, "stage"),
        ({**SUPPORT, "key": "help", "events": ["A", "A"]}, 422, "events"),
        ({**SUPPORT, "key": "help", "events": ["Line\nbreak"]}, 422, "events.0"),
        ({**SUPPORT, "key": "Help Desk"}, 422, "key"),
        ({**SUPPORT, "key": "help", "colour": "red"}, 422, "colour"),
    ],
)
def test_touchpoints_that_are_refused(
    journey: TestClient, body: dict[str, Any], status: int, field: str
) -> None:
    response = journey.post("/api/v1/journey/touchpoints", json=body)
    assert response.status_code == status, response.text
    assert _errors(response) == [field]


def test_deleting_a_touchpoint(journey: TestClient, runtime: Runtime) -> None:
    with runtime.transaction() as session:
        session.add(Survey(key="csat", name="CSAT", kind="csat", created_at=runtime.clock.now()))
    rule = {
        "key": "support-csat",
        "kind": "event",
        "name": "Support CSAT",
        "survey": "csat",
        "touchpoint": "support",
        "event": "Ticket Solved",
    }
    assert journey.post("/api/v1/rules", json=rule).status_code == 201
    refused = journey.delete("/api/v1/journey/touchpoints/support")
    assert refused.status_code == 409
    assert "named by rules support-csat" in refused.json()["detail"]

    assert journey.put("/api/v1/rules/support-csat", json={**rule, "touchpoint": None}).is_success
    assert journey.delete("/api/v1/journey/touchpoints/support").status_code == 204
    assert journey.get("/api/v1/journey/touchpoints/support").status_code == 404
    assert journey.delete("/api/v1/journey/touchpoints/support").status_code == 404
    assert journey.put("/api/v1/journey/stages", json={"stages": STAGES[:1]}).status_code == 200


def test_the_journey_needs_an_admin_key(runtime: Runtime) -> None:
    ingest = _key(runtime, Scope.INGEST)
    with TestClient(create_app(runtime)) as client:
        for method, path in (
            ("GET", "/api/v1/journey"),
            ("PUT", "/api/v1/journey/stages"),
            ("POST", "/api/v1/journey/touchpoints"),
            ("PUT", "/api/v1/journey/touchpoints/support"),
            ("DELETE", "/api/v1/journey/touchpoints/support"),
        ):
            assert client.request(method, path).status_code == 401, path
            refused = client.request(method, path, headers=ingest)
            assert refused.status_code == 403, path
