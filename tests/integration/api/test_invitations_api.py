"""The invitation and survey API: happy paths, and every way a request can be wrong."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from closeloop.api.app import create_app
from closeloop.auth.models import Scope
from closeloop.auth.service import create_api_key
from closeloop.clock import FrozenClock
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from tests.integration.invitations.factories import make_contact

PROBLEM = "application/problem+json"


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as client:
        yield client


def key(runtime: Runtime, scope: Scope) -> dict[str, str]:
    with runtime.transaction() as session:
        _, plain = create_api_key(
            session=session, name=scope.value, scope=scope, now=runtime.clock.now()
        )
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def admin(runtime: Runtime) -> dict[str, str]:
    return key(runtime, Scope.ADMIN)


@pytest.fixture
def contact_id(runtime: Runtime) -> int:
    with runtime.transaction() as session:
        return make_contact(
            session, email="ana@example.com", external_id="crm-1", name="Ana Souza"
        ).id


def count(runtime: Runtime, model: type[Any]) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def fields_of(response: Any) -> list[str]:
    assert response.headers["content-type"] == PROBLEM
    return [error["field"] for error in response.json().get("errors", [])]


# --- invitations -------------------------------------------------------------------------


def test_schedule_an_invitation_now(
    client: TestClient, admin: dict[str, str], contact_id: int, clock: FrozenClock
) -> None:
    response = client.post(
        "/api/v1/invitations", json={"contact": {"email": "ana@example.com"}}, headers=admin
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "scheduled"
    assert body["survey"] == "nps"
    assert body["contact_id"] == contact_id
    assert body["channel"] == "email"
    assert body["reason"] is None
    assert body["due_at"] == "2026-03-03T10:00:00Z"
    again = client.get(f"/api/v1/invitations/{body['id']}", headers=admin)
    assert again.status_code == 200
    assert again.json() == body


def test_send_at_with_an_offset_is_stored_in_utc(
    client: TestClient, admin: dict[str, str], contact_id: int
) -> None:
    response = client.post(
        "/api/v1/invitations",
        json={
            "contact": {"id": contact_id},
            "send_at": "2026-03-10T09:30:00+01:00",
            "touchpoint": "onboarding-30d",
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    assert response.json()["due_at"] == "2026-03-10T08:30:00Z"
    assert response.json()["touchpoint"] == "onboarding-30d"


def test_an_unsubscribed_person_gets_a_suppressed_invitation_with_the_reason(
    client: TestClient, admin: dict[str, str], runtime: Runtime, clock: FrozenClock
) -> None:
    with runtime.transaction() as session:
        make_contact(session, external_id="crm-9", unsubscribed_at=clock.now())
    response = client.post(
        "/api/v1/invitations", json={"contact": {"external_id": "crm-9"}}, headers=admin
    )
    assert response.status_code == 201
    assert (response.json()["state"], response.json()["reason"]) == ("suppressed", "unsubscribed")


def test_list_a_contacts_invitations(
    client: TestClient, admin: dict[str, str], contact_id: int
) -> None:
    for _ in range(2):
        client.post("/api/v1/invitations", json={"contact": {"id": contact_id}}, headers=admin)
    response = client.get("/api/v1/invitations", params={"contact_id": contact_id}, headers=admin)
    assert response.status_code == 200
    assert len(response.json()["invitations"]) == 2
    missing = client.get("/api/v1/invitations", headers=admin)
    assert missing.status_code == 422 and fields_of(missing) == ["contact_id"]


# (body, status, the field the problem must name): every case runs against each database
BAD_INVITATIONS: list[tuple[Any, int, str]] = [
    ({"contact": {"email": "nobody@example.com"}}, 404, "contact"),
    ({"contact": {"id": 4040}}, 404, "contact"),
    ({"contact": {"email": "ana@example.com"}, "survey": "churn"}, 404, "survey"),
    (
        {"contact": {"email": "ana@example.com"}, "send_at": "2026-03-03T09:00:00Z"},
        422,
        "send_at",
    ),
    (
        {"contact": {"email": "ana@example.com"}, "send_at": "2026-03-10T09:30:00"},
        422,
        "send_at",
    ),
    ({"contact": {"email": "ana@example.com"}, "send_at": "next tuesday"}, 422, "send_at"),
    ({"contact": {"email": "ana@example.com"}, "channel": "sms"}, 422, "channel"),
    ({"contact": {"email": "ana@example.com"}, "colour": "red"}, 422, "colour"),
    ({"contact": {"email": "ana@example.com", "phone": "1"}}, 422, "contact.phone"),
    ({"contact": {"email": "ana@example.com", "external_id": "crm-1"}}, 422, "contact"),
    ({"contact": {}}, 422, "contact"),
    ({"contact": {"email": "not-an-address"}}, 422, "contact.email"),
    ({"contact": {"id": "7"}}, 422, "contact.id"),
    ({"contact": {"id": 0}}, 422, "contact.id"),
    ({"contact": {"id": 2**63}}, 422, "contact.id"),
    ({"contact": "ana@example.com"}, 422, "contact"),
    ({}, 422, "contact"),
    ({"contact": {"email": "ana@example.com"}, "survey": ""}, 422, "survey"),
    ({"contact": {"email": "ana@example.com"}, "survey": 7}, 422, "survey"),
    ([], 422, "body"),
]


def test_bad_requests_name_the_field_and_write_nothing(
    client: TestClient, admin: dict[str, str], runtime: Runtime, contact_id: int
) -> None:
    for body, status, field in BAD_INVITATIONS:
        response = client.post("/api/v1/invitations", json=body, headers=admin)
        assert response.status_code == status, (body, response.text)
        assert field in fields_of(response), (body, response.text)
    assert count(runtime, Invitation) == 0
    assert count(runtime, Survey) == 0


def test_malformed_json_is_a_clear_422(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/invitations",
        content=b'{"contact": {"email": ',
        headers={**admin, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert "JSON" in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "body"


ROUTES = [
    ("post", "/api/v1/invitations"),
    ("get", "/api/v1/invitations/1"),
    ("post", "/api/v1/invitations/1/cancel"),
    ("get", "/api/v1/invitations?contact_id=1"),
    ("get", "/api/v1/surveys"),
    ("post", "/api/v1/surveys"),
    ("get", "/api/v1/surveys/nps"),
]


def test_every_route_needs_an_admin_key(client: TestClient, runtime: Runtime) -> None:
    body = {"contact": {"email": "ana@example.com"}}
    ingest = key(runtime, Scope.INGEST)
    for method, path in ROUTES:
        missing = client.request(method, path, json=body)
        assert missing.status_code == 401, path
        assert missing.headers["www-authenticate"] == "Bearer"
        wrong = client.request(method, path, json=body, headers={"Authorization": "Bearer cl_no"})
        assert wrong.status_code == 401, path
        forbidden = client.request(method, path, json=body, headers=ingest)
        assert forbidden.status_code == 403, path
        assert "admin" in forbidden.json()["detail"]
    assert count(runtime, Invitation) == 0


def test_cancel(
    client: TestClient, admin: dict[str, str], contact_id: int, runtime: Runtime
) -> None:
    created = client.post(
        "/api/v1/invitations", json={"contact": {"id": contact_id}}, headers=admin
    ).json()
    response = client.post(
        f"/api/v1/invitations/{created['id']}/cancel",
        json={"reason": "ticket reopened"},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    assert (response.json()["state"], response.json()["reason"]) == ("cancelled", "ticket reopened")
    again = client.post(f"/api/v1/invitations/{created['id']}/cancel", headers=admin)
    assert again.status_code == 200 and again.json()["reason"] == "ticket reopened"

    other = client.post(
        "/api/v1/invitations", json={"contact": {"id": contact_id}}, headers=admin
    ).json()
    without_reason = client.post(f"/api/v1/invitations/{other['id']}/cancel", headers=admin)
    assert without_reason.json()["reason"] == "cancelled through the API"


def test_a_sent_invitation_cannot_be_cancelled(
    client: TestClient, admin: dict[str, str], contact_id: int, runtime: Runtime
) -> None:
    created = client.post(
        "/api/v1/invitations", json={"contact": {"id": contact_id}}, headers=admin
    ).json()
    with runtime.transaction() as session:
        session.get_one(Invitation, created["id"]).state = InvitationState.SENT.value
    response = client.post(f"/api/v1/invitations/{created['id']}/cancel", headers=admin)
    assert response.status_code == 409
    assert fields_of(response) == ["state"]


BAD_CANCELS: list[tuple[str, Any, int, str | None]] = [
    ("/api/v1/invitations/999/cancel", None, 404, None),
    ("/api/v1/invitations/abc/cancel", None, 422, "invitation_id"),
    (f"/api/v1/invitations/{2**63}/cancel", None, 422, "invitation_id"),
    ("/api/v1/invitations/1/cancel", {"reason": ""}, 422, "reason"),
    ("/api/v1/invitations/1/cancel", {"why": "x"}, 422, "why"),
    ("/api/v1/invitations/1/cancel", {"reason": "x" * 501}, 422, "reason"),
]


def test_bad_cancel_requests(client: TestClient, admin: dict[str, str]) -> None:
    for path, body, status, field in BAD_CANCELS:
        response = client.post(path, json=body, headers=admin)
        assert response.status_code == status, (path, body, response.text)
        assert response.headers["content-type"] == PROBLEM
        if field is not None:
            assert field in fields_of(response), (path, body, response.text)


def test_reading_an_unknown_invitation(client: TestClient, admin: dict[str, str]) -> None:
    unknown = client.get("/api/v1/invitations/999", headers=admin)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == PROBLEM
    impossible = client.get("/api/v1/invitations/0", headers=admin)
    assert impossible.status_code == 422 and fields_of(impossible) == ["invitation_id"]


# --- surveys -----------------------------------------------------------------------------

SURVEY = {
    "key": "onboarding-nps",
    "name": "Onboarding NPS",
    "product_name": "Cargo Cloud",
    "question": "{name}, how likely are you to recommend {product} to other businesses?",
    "follow_up_question": "What is the main reason for your score?",
    "email_subject": "{name}, a quick question about {product}",
}


def test_create_list_and_read_surveys(client: TestClient, admin: dict[str, str]) -> None:
    created = client.post("/api/v1/surveys", json=SURVEY, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kind"] == "nps" and body["active"] is True
    assert {name: body[name] for name in SURVEY} == SURVEY
    csat = client.post(
        "/api/v1/surveys",
        json={"key": "support-csat", "name": "Support CSAT", "kind": "csat"},
        headers=admin,
    )
    assert csat.status_code == 201 and csat.json()["kind"] == "csat"
    listed = client.get("/api/v1/surveys", headers=admin).json()
    assert [survey["key"] for survey in listed] == ["onboarding-nps", "support-csat"]
    assert client.get("/api/v1/surveys/onboarding-nps", headers=admin).json() == body
    unknown = client.get("/api/v1/surveys/nope", headers=admin)
    assert unknown.status_code == 404 and fields_of(unknown) == ["survey"]


def test_an_invitation_can_use_a_created_survey(
    client: TestClient, admin: dict[str, str], contact_id: int
) -> None:
    client.post("/api/v1/surveys", json=SURVEY, headers=admin)
    response = client.post(
        "/api/v1/invitations",
        json={"contact": {"id": contact_id}, "survey": "onboarding-nps"},
        headers=admin,
    )
    assert response.status_code == 201 and response.json()["survey"] == "onboarding-nps"


def test_a_survey_key_is_taken_once(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    assert client.post("/api/v1/surveys", json=SURVEY, headers=admin).status_code == 201
    again = client.post("/api/v1/surveys", json={**SURVEY, "name": "Another"}, headers=admin)
    assert again.status_code == 409 and fields_of(again) == ["key"]
    assert count(runtime, Survey) == 1


BAD_SURVEYS: list[tuple[dict[str, Any], str]] = [
    ({"kind": "mood"}, "kind"),
    ({"key": "Onboarding NPS"}, "key"),
    ({"key": ""}, "key"),
    ({"key": "k" * 65}, "key"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"question": "How was {company}?"}, "question"),
    ({"email_subject": "Hello\r\nBcc: eve@example.com"}, "email_subject"),
    ({"follow_up_question": "Why {product.__class__}?"}, "follow_up_question"),
    ({"active": "sometimes"}, "active"),
    ({"colour": "red"}, "colour"),
    ({"key": None}, "key"),
]


def test_bad_surveys_name_the_field(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    for changes, field in BAD_SURVEYS:
        response = client.post("/api/v1/surveys", json={**SURVEY, **changes}, headers=admin)
        assert response.status_code == 422, (changes, response.text)
        assert field in fields_of(response), (changes, response.text)
    assert count(runtime, Survey) == 0


def test_every_schema_has_an_openapi_example(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    ours = [
        "InvitationContact",
        "InvitationCreate",
        "InvitationCancel",
        "InvitationRead",
        "InvitationList",
        "SurveyCreate",
        "SurveyRead",
    ]
    for name in ours:
        assert schemas[name].get("examples"), f"{name} has no example"
