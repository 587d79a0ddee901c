"""``GET /api/v1/contacts/{id}/decisions`` and the timeline: "why did this person not get
a survey?" answered in one place, with what became of each invitation since."""

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
from closeloop.responses import service as responses
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from closeloop.triggers import rules

ANA = "ana@acme.example"


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as client:
        yield client


def _key(runtime: Runtime, scope: Scope) -> dict[str, str]:
    with runtime.transaction() as session:
        _, plain = auth.create_api_key(
            session=session, name=scope.value, scope=scope, now=runtime.clock.now()
        )
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def admin(runtime: Runtime) -> dict[str, str]:
    return _key(runtime, Scope.ADMIN)


@pytest.fixture
def onboarding(runtime: Runtime) -> None:
    """Onboarding 14 days after sign-up, at once (no window), for pro plans only."""
    now = runtime.clock.now()
    with runtime.transaction() as session:
        session.add(Survey(key="onboarding", name="Onboarding", kind="nps", created_at=now))
        session.flush()
        rules.save(
            session=session,
            data={
                "kind": "event",
                "key": "onboarding",
                "name": "Onboarding",
                "survey": "onboarding",
                "event": "Signed Up",
                "delay": "14d",
                "send_window": "none",
                "conditions": {"field": "event.properties.plan", "op": "eq", "value": "pro"},
            },
            now=now,
        )


def _sign_up(client: TestClient, runtime: Runtime, plan: str) -> None:
    posted = client.post(
        "/api/v1/events",
        json={"name": "Signed Up", "contact": {"email": ANA}, "properties": {"plan": plan}},
        headers=_key(runtime, Scope.INGEST),
    )
    assert posted.status_code == 201, posted.text


def _contact_id(client: TestClient, admin: dict[str, str]) -> int:
    found = client.get("/api/v1/contacts", params={"email": ANA}, headers=admin).json()
    contact_id: int = found["items"][0]["id"]
    return contact_id


def _decisions(client: TestClient, admin: dict[str, str], contact_id: int, **params: Any) -> Any:
    answer = client.get(f"/api/v1/contacts/{contact_id}/decisions", params=params, headers=admin)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.usefixtures("onboarding")
def test_scheduled_then_cancelled_reads_in_one_place(
    client: TestClient, runtime: Runtime, clock: FrozenClock, admin: dict[str, str]
) -> None:
    start = clock.now()
    _sign_up(client, runtime, "pro")
    contact_id = _contact_id(client, admin)
    [scheduled] = _decisions(client, admin, contact_id)["items"]
    due = start + timedelta(days=14)
    assert scheduled["rule"] == {"key": "onboarding", "version": 1}
    assert scheduled["event"]["name"] == "Signed Up"
    assert (scheduled["outcome"], scheduled["reason"]) == ("scheduled", None)
    assert scheduled["due_at"] == due.isoformat().replace("+00:00", "Z")
    assert scheduled["invitation"]["state"] == "scheduled"
    assert scheduled["summary"] == (
        "Scheduled by rule 'onboarding' v1 after 'Signed Up' for 2026-03-17 10:00 UTC; "
        "still scheduled."
    )

    clock.advance(days=2)
    with runtime.transaction() as session:
        invitation_id = scheduled["invitation"]["id"]
        responses.unsubscribe(session=session, invitation_id=invitation_id, now=clock.now())
    [again] = _decisions(client, admin, contact_id)["items"]
    assert again["id"] == scheduled["id"]
    assert again["invitation"]["state"] == "cancelled"
    assert again["invitation"]["reason"] == "the person unsubscribed"
    assert again["summary"] == (
        "Scheduled by rule 'onboarding' v1 after 'Signed Up' for 2026-03-17 10:00 UTC; "
        "then cancelled on 2026-03-05 10:00 UTC: the person unsubscribed."
    )

    # the same rule firing again now says why nothing goes out
    _sign_up(client, runtime, "pro")
    newest, oldest = _decisions(client, admin, contact_id)["items"]
    assert oldest["id"] == scheduled["id"]
    assert (newest["outcome"], newest["reason"], newest["invitation"]) == (
        "skipped",
        "unsubscribed",
        None,
    )
    assert newest["summary"] == (
        "Not sent (unsubscribed) by rule 'onboarding' v1 after 'Signed Up': "
        "the person is unsubscribed."
    )


@pytest.mark.usefixtures("onboarding")
def test_pages_newest_first_and_the_timeline_shows_decisions(
    client: TestClient, runtime: Runtime, clock: FrozenClock, admin: dict[str, str]
) -> None:
    _sign_up(client, runtime, "free")  # outside the rule's conditions
    clock.advance(minutes=1)
    _sign_up(client, runtime, "pro")  # scheduled
    _sign_up(client, runtime, "pro")  # the same instant: pending, one is already waiting
    contact_id = _contact_id(client, admin)

    seen: list[tuple[str, str | None]] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = _decisions(client, admin, contact_id, **params)
        seen += [(item["outcome"], item["reason"]) for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # the two decisions of one instant are told apart by their order, across a page break
    assert pages == 3
    assert seen == [("skipped", "pending"), ("scheduled", None), ("skipped", "outside_audience")]

    timeline = client.get(f"/api/v1/contacts/{contact_id}", headers=admin).json()["timeline"]
    kinds = [entry["kind"] for entry in timeline["entries"]]
    # newest first; within one instant: invitations, then decisions, then events
    assert kinds == ["invitation", "decision", "decision", "event", "event", "decision", "event"]
    decided = [e for e in timeline["entries"] if e["kind"] == "decision"]
    assert [(e["outcome"], e["reason"]) for e in decided] == seen
    invitation = next(e for e in timeline["entries"] if e["kind"] == "invitation")
    assert decided[1]["invitation_id"] == invitation["invitation_id"]
    assert decided[0]["summary"].startswith("Not sent (pending) by rule 'onboarding' v1")


def test_refusals(client: TestClient, runtime: Runtime, admin: dict[str, str]) -> None:
    unknown = client.get("/api/v1/contacts/999/decisions", headers=admin)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/contacts/1/decisions").status_code == 401
    ingest = _key(runtime, Scope.INGEST)
    assert client.get("/api/v1/contacts/1/decisions", headers=ingest).status_code == 403

    _sign_up(client, runtime, "pro")
    contact_id = _contact_id(client, admin)
    bad = client.get(
        f"/api/v1/contacts/{contact_id}/decisions", params={"cursor": "nope"}, headers=admin
    )
    assert bad.status_code == 422
    assert [error["field"] for error in bad.json()["errors"]] == ["cursor"]
    too_many = client.get(
        f"/api/v1/contacts/{contact_id}/decisions", params={"limit": 201}, headers=admin
    )
    assert too_many.status_code == 422
    assert _decisions(client, admin, contact_id) == {"items": [], "next_cursor": None}
