"""/api/v1/rules: create, read, change (versions), switch on and off, and every refusal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from closeloop.api.app import create_app
from closeloop.auth.models import Scope
from closeloop.auth.service import create_api_key
from closeloop.clock import FrozenClock
from closeloop.journeys.models import Stage, Touchpoint
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from closeloop.triggers.schemas import RULE_EXAMPLES

PROBLEM = "application/problem+json"
ONBOARDING: dict[str, Any] = {
    "key": "onboarding",
    "kind": "event",
    "name": "Onboarding two weeks after sign-up",
    "survey": "onboarding",
    "touchpoint": "onboarding",
    "event": "Signed Up",
    "delay": "14d",
}


def _key(runtime: Runtime, scope: Scope) -> dict[str, str]:
    with runtime.transaction() as session:
        _, plain = create_api_key(
            session=session, name=scope.value, scope=scope, now=runtime.clock.now()
        )
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def api(runtime: Runtime) -> Iterator[TestClient]:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        for key, kind in (
            ("onboarding", "ces"),
            ("onboarding-ces", "ces"),
            ("support-csat", "csat"),
            ("renewal-nps", "nps"),
            ("relationship-nps", "nps"),
            ("feature-csat", "csat"),
        ):
            session.add(Survey(key=key, name=key, kind=kind, created_at=now))
        stage = Stage(key="purchase", name="Purchase", position=0, created_at=now)
        session.add(stage)
        session.flush()
        for key in ("onboarding", "support", "renewal", "relationship", "feature-release"):
            session.add(Touchpoint(key=key, name=key, stage_id=stage.id, events=[], created_at=now))
    with TestClient(create_app(runtime), headers=_key(runtime, Scope.ADMIN)) as client:
        yield client


def _errors(response: Any) -> list[str]:
    assert response.headers["content-type"] == PROBLEM, response.text
    return [error["field"] for error in response.json().get("errors", [])]


def test_create_and_read_a_rule(api: TestClient) -> None:
    created = api.post("/api/v1/rules", json=ONBOARDING)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body == {
        "key": "onboarding",
        "kind": "event",
        "name": "Onboarding two weeks after sign-up",
        "enabled": True,
        "version": 1,
        "origin": "api",
        "created_at": "2026-03-03T10:00:00Z",
        "updated_at": "2026-03-03T10:00:00Z",
        "definition": {
            **ONBOARDING,
            "enabled": True,
            "priority": 100,
            "channel": "email",
            "sample_percent": 100.0,
            "send_window": "default",
            "cancel_if": [],
        },
    }
    assert api.get("/api/v1/rules/onboarding").json() == body
    assert api.get("/api/v1/rules").json() == [body]
    assert api.get("/api/v1/rules", params={"kind": "recurring"}).json() == []


@pytest.mark.parametrize("example", sorted(RULE_EXAMPLES))
def test_every_documented_example_is_accepted(api: TestClient, example: str) -> None:
    response = api.post("/api/v1/rules", json=RULE_EXAMPLES[example]["value"])
    assert response.status_code == 201, response.text


def test_a_change_is_a_new_version_and_the_same_definition_is_not(
    api: TestClient, clock: FrozenClock
) -> None:
    api.post("/api/v1/rules", json=ONBOARDING)
    clock.advance(timedelta(hours=1))
    changed = api.put("/api/v1/rules/onboarding", json={**ONBOARDING, "delay": "21d"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["version"], changed.json()["definition"]["delay"]) == (2, "21d")
    assert changed.json()["updated_at"] == "2026-03-03T11:00:00Z"
    # the key may be left out of the body; the same definition again changes nothing
    without_key = {name: value for name, value in ONBOARDING.items() if name != "key"}
    same = api.put("/api/v1/rules/onboarding", json={**without_key, "delay": "21d"})
    assert same.json()["version"] == 2

    off = api.post("/api/v1/rules/onboarding/disable")
    assert (off.json()["enabled"], off.json()["version"]) == (False, 3)
    assert api.post("/api/v1/rules/onboarding/disable").json()["version"] == 3
    on = api.post("/api/v1/rules/onboarding/enable")
    assert (on.json()["enabled"], on.json()["version"]) == (True, 4)

    versions = api.get("/api/v1/rules/onboarding/versions").json()
    assert [
        (v["version"], v["definition"]["delay"], v["definition"]["enabled"]) for v in versions
    ] == [
        (1, "14d", True),
        (2, "21d", True),
        (3, "21d", False),
        (4, "21d", True),
    ]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (
            {"conditions": {"all": [{"field": "contact.role", "op": "equals", "value": "x"}]}},
            "conditions.all.0.op",
            "unknown operator 'equals'",
        ),
        ({"delay": "soon"}, "delay", "'soon' is not a duration"),
        ({"survey": "nope"}, "survey", "no survey with key 'nope'"),
        ({"key": "Onboarding Rule"}, "key", "should match pattern"),
        ({"colour": "red"}, "colour", "Extra inputs"),
    ],
)
def test_an_invalid_rule_names_its_field(
    api: TestClient, change: dict[str, Any], field: str, reason: str
) -> None:
    response = api.post("/api/v1/rules", json={**ONBOARDING, **change})
    assert response.status_code == 422, response.text
    assert _errors(response)[0].startswith(field)
    assert reason in response.json()["detail"]
    assert api.get("/api/v1/rules").json() == []


def test_refusals_on_existing_rules(api: TestClient) -> None:
    api.post("/api/v1/rules", json=ONBOARDING)
    taken = api.post("/api/v1/rules", json=ONBOARDING)
    assert (taken.status_code, _errors(taken)) == (409, ["key"])

    other_key = api.put("/api/v1/rules/onboarding", json={**ONBOARDING, "key": "welcome"})
    assert (other_key.status_code, _errors(other_key)) == (422, ["key"])

    recurring = {**ONBOARDING, "kind": "recurring", "every": "quarter"}
    for name in ("event", "delay"):
        recurring.pop(name)
    other_kind = api.put("/api/v1/rules/onboarding", json=recurring)
    assert (other_kind.status_code, _errors(other_kind)) == (409, ["kind"])
    assert api.get("/api/v1/rules/onboarding").json()["version"] == 1

    for method, path in (
        ("GET", "/api/v1/rules/welcome"),
        ("PUT", "/api/v1/rules/welcome"),
        ("POST", "/api/v1/rules/welcome/enable"),
        ("POST", "/api/v1/rules/welcome/disable"),
        ("GET", "/api/v1/rules/welcome/versions"),
    ):
        missing = api.request(method, path, json={**ONBOARDING, "key": "welcome"})
        assert missing.status_code == 404, path

    not_an_object = api.post("/api/v1/rules", json=["onboarding"])
    assert (not_an_object.status_code, _errors(not_an_object)) == (422, ["body"])


def test_rules_need_an_admin_key(runtime: Runtime) -> None:
    ingest = _key(runtime, Scope.INGEST)
    with TestClient(create_app(runtime)) as client:
        for method, path in (
            ("GET", "/api/v1/rules"),
            ("POST", "/api/v1/rules"),
            ("GET", "/api/v1/rules/onboarding"),
            ("PUT", "/api/v1/rules/onboarding"),
            ("POST", "/api/v1/rules/onboarding/enable"),
            ("POST", "/api/v1/rules/onboarding/disable"),
            ("GET", "/api/v1/rules/onboarding/versions"),
        ):
            assert client.request(method, path).status_code == 401, path
            assert client.request(method, path, headers=ingest).status_code == 403, path


def test_the_openapi_document_shows_the_examples(api: TestClient) -> None:
    schema = api.get("/openapi.json").json()
    body = schema["paths"]["/api/v1/rules"]["post"]["requestBody"]["content"]["application/json"]
    assert set(body["examples"]) == set(RULE_EXAMPLES)
    assert "/api/v1/journey/touchpoints/{key}" in schema["paths"]


def test_a_rule_names_a_touchpoint_of_the_journey(api: TestClient) -> None:
    unknown = api.post("/api/v1/rules", json={**ONBOARDING, "touchpoint": "nowhere"})
    assert unknown.status_code == 422
    assert _errors(unknown) == ["touchpoint"]
