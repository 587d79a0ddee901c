"""Keys, scopes, rate limits and the shape of every error, as Delighted answered them."""

from __future__ import annotations

import base64
from collections.abc import Callable

from fastapi.testclient import TestClient

from closeloop.api.app import create_app
from closeloop.auth import service as auth
from closeloop.auth.models import ApiKey, Scope
from closeloop.clock import FrozenClock
from closeloop.compat.delighted.deps import MAX_BODY_BYTES
from closeloop.runtime import Runtime
from tests.integration.compat.delighted.conftest import API, basic, delighted_error, new_key


def test_a_bad_or_missing_key_is_a_401(client: TestClient, runtime: Runtime) -> None:
    key = new_key(runtime, Scope.ADMIN)
    for headers in (
        {},
        basic("cl_not-a-key"),
        {"Authorization": f"Bearer {key}"},
        {"Authorization": "Basic %%%"},
    ):
        refused = client.get(f"{API}/people.json", headers=headers)
        body = delighted_error(refused, 401)
        assert body == {"status": 401, "message": "Invalid API key"}
        assert refused.headers["WWW-Authenticate"].startswith("Basic")


def test_a_revoked_key_is_refused(client: TestClient, runtime: Runtime) -> None:
    key = new_key(runtime, Scope.ADMIN)
    with runtime.transaction() as session:
        row = auth.authenticate_key(session=session, key=key)
        auth.revoke_api_key(session=session, key_id=row.id, now=runtime.clock.now())
    delighted_error(client.get(f"{API}/people", headers=basic(key)), 401)


def test_an_ingest_key_may_only_push_people_and_unsubscribes(
    client: TestClient, ingest: dict[str, str]
) -> None:
    pushed = client.post(f"{API}/people", json={"email": "ana@acme.test"}, headers=ingest)
    assert pushed.status_code == 200, pushed.text
    unsubscribed = client.post(
        f"{API}/unsubscribes", json={"person_email": "bo@acme.test"}, headers=ingest
    )
    assert unsubscribed.status_code == 200, unsubscribed.text
    for method, path in (
        ("GET", "/people"),
        ("GET", "/survey_responses"),
        ("GET", "/metrics"),
        ("GET", "/unsubscribes"),
        ("GET", "/bounces"),
        ("DELETE", f"/people/{pushed.json()['id']}"),
        ("GET", "/autopilot/email"),
    ):
        refused = client.request(method, f"{API}{path}", headers=ingest)
        assert "admin" in delighted_error(refused, 403)["message"]


def test_a_key_over_its_rate_limit_gets_429_with_retry_after(
    runtime_with: Callable[..., Runtime], clock: FrozenClock
) -> None:
    runtime = runtime_with(delighted_rate_limit=2)
    key, other = new_key(runtime, Scope.ADMIN), new_key(runtime, Scope.ADMIN)
    with TestClient(create_app(runtime)) as client:
        for _ in range(2):
            assert client.get(f"{API}/people", headers=basic(key)).status_code == 200
        limited = client.get(f"{API}/people", headers=basic(key))
        assert delighted_error(limited, 429)["message"].startswith("Too many requests")
        assert limited.headers["Retry-After"] == "30", "two a minute: one every 30 seconds"
        assert client.get(f"{API}/people", headers=basic(other)).status_code == 200, (
            "each key has its own budget"
        )
        clock.advance(seconds=30)
        assert client.get(f"{API}/people", headers=basic(key)).status_code == 200


def test_unknown_paths_methods_and_huge_bodies_keep_delighted_shape(
    client: TestClient, admin: dict[str, str]
) -> None:
    delighted_error(client.get(f"{API}/nothing.json", headers=admin), 404)
    delighted_error(client.patch(f"{API}/people", headers=admin), 405)
    delighted_error(client.get(f"{API}/autopilot/kiosk", headers=admin), 422)
    huge = b'{"email": "' + b"a" * MAX_BODY_BYTES + b'"}'
    too_large = client.post(
        f"{API}/people", content=huge, headers={**admin, "Content-Type": "application/json"}
    )
    delighted_error(too_large, 413)


def test_the_native_api_keeps_its_own_errors(client: TestClient) -> None:
    native = client.get("/api/v1/contacts")
    assert native.status_code == 401
    assert native.headers["content-type"] == "application/problem+json"


def test_use_of_a_key_is_recorded(client: TestClient, runtime: Runtime) -> None:
    key = new_key(runtime, Scope.ADMIN)
    client.get(f"{API}/people", headers={"Authorization": "basic " + _encoded(f"{key}:")})
    with runtime.read_transaction() as session:
        row = session.get(ApiKey, auth.authenticate_key(session=session, key=key).id)
        assert row is not None and row.last_used_at == runtime.clock.now()


def _encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
