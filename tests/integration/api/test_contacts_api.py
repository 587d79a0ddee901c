"""The contacts API: upsert, patch, read with timeline, list, and every way to get it wrong."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from closeloop.api.app import create_app
from closeloop.auth import service as auth
from closeloop.auth.models import Scope
from closeloop.runtime import Runtime
from tests.integration.contacts.factories import count_contacts
from tests.integration.events.factories import event_payload

PROBLEM = "application/problem+json"
ANA = {"email": "ana@acme.example", "name": "Ana", "traits": {"plan": "pro"}}


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as client:
        yield client


def bearer(runtime: Runtime, scope: Scope) -> dict[str, str]:
    with runtime.transaction() as session:
        _, plain = auth.create_api_key(
            session=session, name=scope.value, scope=scope, now=runtime.clock.now()
        )
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def admin(runtime: Runtime) -> dict[str, str]:
    return bearer(runtime, Scope.ADMIN)


@pytest.fixture
def ingest(runtime: Runtime) -> dict[str, str]:
    return bearer(runtime, Scope.INGEST)


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body.get("errors", [])]


def test_post_creates_then_updates(client: TestClient, ingest: dict[str, str]) -> None:
    created = client.post(
        "/api/v1/contacts",
        json={
            **ANA,
            "email": " ANA@Acme.Example",
            "account": {"external_id": "a-1", "name": "Acme"},
        },
        headers=ingest,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["email"] == "ana@acme.example"
    assert body["account"]["name"] == "Acme"
    updated = client.post(
        "/api/v1/contacts",
        json={
            "email": "ana@acme.example",
            "external_id": "u-1",
            "traits": {"plan": None, "seats": 5},
        },
        headers=ingest,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["id"] == body["id"]
    assert updated.json()["traits"] == {"seats": 5}
    assert updated.json()["name"] == "Ana"


def test_conflicting_identifiers_are_409_naming_the_field(
    client: TestClient, ingest: dict[str, str], runtime: Runtime
) -> None:
    client.post("/api/v1/contacts", json=ANA, headers=ingest)
    client.post("/api/v1/contacts", json={"external_id": "u-2"}, headers=ingest)
    body = problem(
        client.post(
            "/api/v1/contacts",
            json={"email": "ana@acme.example", "external_id": "u-2"},
            headers=ingest,
        ),
        409,
    )
    assert fields(body) == ["email"]
    assert count_contacts(runtime) == 2


BAD_CONTACTS: list[tuple[dict[str, Any], str]] = [
    ({"name": "No identifier"}, "email"),
    ({**ANA, "emial": "typo@acme.example"}, "emial"),
    ({**ANA, "traits": ["plan", "pro"]}, "traits"),
    ({**ANA, "name": 42}, "name"),
    ({**ANA, "role": "ceo"}, "role"),
    ({"email": "ana(at)acme.example"}, "email"),
    ({**ANA, "time_zone": "Europe/Atlantis"}, "time_zone"),
    ({**ANA, "locale": "portuguese"}, "locale"),
    ({**ANA, "phone": "call me"}, "phone"),
    ({**ANA, "account": {"domain": "acme.example"}}, "account.external_id"),
    ({**ANA, "account": "Acme"}, "account"),
]
NOT_JSON_OBJECTS = [b'{"email": ', b"", b"[1, 2]", b'"ana@acme.example"', b"\xff\xfe"]


def test_bad_contacts_are_422_naming_the_field(
    client: TestClient, ingest: dict[str, str], runtime: Runtime
) -> None:
    # one database per test is the slow part, so the cases share one
    for payload, field in BAD_CONTACTS:
        body = problem(client.post("/api/v1/contacts", json=payload, headers=ingest), 422)
        assert field in fields(body), (payload, body)
        assert field in body["detail"], (payload, body)
    assert count_contacts(runtime) == 0


def test_a_body_that_is_not_a_json_object_is_422(
    client: TestClient, ingest: dict[str, str], runtime: Runtime
) -> None:
    for raw in NOT_JSON_OBJECTS:
        response = client.post(
            "/api/v1/contacts", content=raw, headers={**ingest, "Content-Type": "application/json"}
        )
        assert problem(response, 422)["errors"], raw
    assert count_contacts(runtime) == 0


def test_patch_changes_only_what_is_sent(client: TestClient, ingest: dict[str, str]) -> None:
    contact_id = client.post("/api/v1/contacts", json=ANA, headers=ingest).json()["id"]
    response = client.patch(
        f"/api/v1/contacts/{contact_id}",
        json={"role": "billing", "locale": "PT-br", "traits": {"seats": 3}},
        headers=ingest,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["role"], body["locale"], body["name"]) == ("billing", "pt-BR", "Ana")
    assert body["traits"] == {"plan": "pro", "seats": 3}


def test_patch_errors(client: TestClient, ingest: dict[str, str]) -> None:
    ana_id = client.post("/api/v1/contacts", json=ANA, headers=ingest).json()["id"]
    bob_id = client.post(
        "/api/v1/contacts", json={"email": "bob@acme.example"}, headers=ingest
    ).json()["id"]
    taken = client.patch(
        f"/api/v1/contacts/{bob_id}", json={"email": "ana@acme.example"}, headers=ingest
    )
    assert fields(problem(taken, 409)) == ["email"]
    emptied = client.patch(f"/api/v1/contacts/{ana_id}", json={"email": None}, headers=ingest)
    assert fields(problem(emptied, 422)) == ["email"]
    unknown = client.patch(f"/api/v1/contacts/{ana_id}", json={"nick": "A"}, headers=ingest)
    assert fields(problem(unknown, 422)) == ["nick"]
    problem(client.patch("/api/v1/contacts/999", json={"name": "x"}, headers=ingest), 404)
    assert fields(problem(client.patch("/api/v1/contacts/0", json={}, headers=ingest), 422)) == [
        "contact_id"
    ]
    assert fields(problem(client.patch("/api/v1/contacts/abc", json={}, headers=ingest), 422)) == [
        "contact_id"
    ]


def test_an_id_past_bigint_is_422_not_a_database_error(
    client: TestClient, ingest: dict[str, str], admin: dict[str, str]
) -> None:
    too_big = f"/api/v1/contacts/{2**63}"
    assert fields(problem(client.get(too_big, headers=admin), 422)) == ["contact_id"]
    patched = client.patch(too_big, json={"name": "x"}, headers=ingest)
    assert fields(problem(patched, 422)) == ["contact_id"]


def test_get_shows_the_account_and_the_timeline(
    client: TestClient, ingest: dict[str, str], admin: dict[str, str]
) -> None:
    contact_id = client.post(
        "/api/v1/contacts", json={**ANA, "account": {"name": "Acme"}}, headers=ingest
    ).json()["id"]
    client.post("/api/v1/events", json=event_payload(name="Signed Up"), headers=ingest)
    response = client.get(f"/api/v1/contacts/{contact_id}", headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["account"]["name"] == "Acme"
    assert body["timeline"]["truncated"] is False
    [entry] = body["timeline"]["entries"]
    assert (entry["kind"], entry["name"]) == ("event", "Signed Up")
    problem(client.get("/api/v1/contacts/999", headers=admin), 404)


def test_list_pages_with_an_opaque_cursor(
    client: TestClient, ingest: dict[str, str], admin: dict[str, str]
) -> None:
    for n in range(5):
        client.post("/api/v1/contacts", json={"email": f"p{n}@acme.example"}, headers=ingest)
    first = client.get("/api/v1/contacts", params={"limit": 3}, headers=admin).json()
    assert [c["email"] for c in first["items"]] == [f"p{n}@acme.example" for n in range(3)]
    second = client.get(
        "/api/v1/contacts", params={"limit": 3, "cursor": first["next_cursor"]}, headers=admin
    ).json()
    assert [c["email"] for c in second["items"]] == ["p3@acme.example", "p4@acme.example"]
    assert second["next_cursor"] is None


def test_lookup_by_email_or_external_id(
    client: TestClient, ingest: dict[str, str], admin: dict[str, str]
) -> None:
    client.post("/api/v1/contacts", json={**ANA, "external_id": "u-1"}, headers=ingest)
    by_email = client.get("/api/v1/contacts", params={"email": "ANA@acme.example"}, headers=admin)
    by_key = client.get("/api/v1/contacts", params={"external_id": "u-1"}, headers=admin)
    assert [c["name"] for c in by_email.json()["items"]] == ["Ana"]
    assert by_key.json()["items"] == by_email.json()["items"]
    nobody = client.get("/api/v1/contacts", params={"email": "x@acme.example"}, headers=admin)
    assert nobody.json() == {"items": [], "next_cursor": None}


BAD_LIST_PARAMETERS: list[tuple[dict[str, Any], str]] = [
    ({"limit": 0}, "limit"),
    ({"limit": 201}, "limit"),
    ({"limit": "many"}, "limit"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    # "c1:" and an id past BIGINT: well formed, but no id of ours
    ({"cursor": "YzE6OTIyMzM3MjAzNjg1NDc3NTgwOA"}, "cursor"),
    ({"email": "not-an-email"}, "email"),
]
ROUTES = [
    ("POST", "/api/v1/contacts"),
    ("PATCH", "/api/v1/contacts/1"),
    ("GET", "/api/v1/contacts/1"),
    ("GET", "/api/v1/contacts"),
]
NOT_KEYS: list[dict[str, str]] = [
    {},
    {"Authorization": "Bearer cl_not-a-real-key"},
    {"Authorization": "Basic YWRtaW46YWRtaW4="},
]


def test_bad_list_parameters_name_the_field(client: TestClient, admin: dict[str, str]) -> None:
    for params, field in BAD_LIST_PARAMETERS:
        response = client.get("/api/v1/contacts", params=params, headers=admin)
        assert fields(problem(response, 422)) == [field], params


def test_no_or_a_wrong_key_is_401(client: TestClient, runtime: Runtime) -> None:
    for method, path in ROUTES:
        for headers in NOT_KEYS:
            response = client.request(method, path, json=ANA, headers=headers)
            problem(response, 401)
            assert response.headers["www-authenticate"] == "Bearer", (method, path, headers)
    assert count_contacts(runtime) == 0


def test_a_revoked_key_is_401(client: TestClient, runtime: Runtime) -> None:
    with runtime.transaction() as session:
        key, plain = auth.create_api_key(
            session=session, name="old", scope=Scope.ADMIN, now=runtime.clock.now()
        )
        auth.revoke_api_key(session=session, key_id=key.id, now=runtime.clock.now())
    problem(
        client.post("/api/v1/contacts", json=ANA, headers={"Authorization": f"Bearer {plain}"}), 401
    )


def test_an_ingest_key_writes_but_cannot_read(client: TestClient, ingest: dict[str, str]) -> None:
    contact_id = client.post("/api/v1/contacts", json=ANA, headers=ingest).json()["id"]
    assert (
        "admin"
        in problem(client.get(f"/api/v1/contacts/{contact_id}", headers=ingest), 403)["detail"]
    )
    problem(client.get("/api/v1/contacts", headers=ingest), 403)
