"""API keys: checked on every request, their last use written at most once a minute."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from closeloop.api.app import create_app
from closeloop.auth import service as auth
from closeloop.auth.models import ApiKey, Scope
from closeloop.clock import FrozenClock
from closeloop.runtime import Runtime


def _last_used(runtime: Runtime, key_id: int) -> object:
    with runtime.read_transaction() as session:
        api_key = session.get(ApiKey, key_id)
        assert api_key is not None
        return api_key.last_used_at


def test_last_use_is_recorded_once_a_minute(runtime: Runtime, clock: FrozenClock) -> None:
    with runtime.transaction() as session:
        api_key, key = auth.create_api_key(
            session=session, name="crm", scope=Scope.ADMIN, now=clock.now()
        )
        key_id = api_key.id
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(runtime)) as client:
        first_use = clock.now()
        assert client.get("/api/v1/surveys", headers=headers).status_code == 200
        assert _last_used(runtime, key_id) == first_use

        clock.advance(seconds=30)
        assert client.get("/api/v1/surveys", headers=headers).status_code == 200
        assert _last_used(runtime, key_id) == first_use

        clock.advance(timedelta(minutes=2))
        assert client.get("/api/v1/surveys", headers=headers).status_code == 200
        assert _last_used(runtime, key_id) == clock.now()


def test_a_revoked_key_is_refused(runtime: Runtime, clock: FrozenClock) -> None:
    with runtime.transaction() as session:
        api_key, key = auth.create_api_key(
            session=session, name="old", scope=Scope.ADMIN, now=clock.now()
        )
        auth.revoke_api_key(session=session, key_id=api_key.id, now=clock.now())
    with TestClient(create_app(runtime)) as client:
        response = client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_a_key_fits_basic_auth_encoders_that_wrap_lines(
    runtime: Runtime, clock: FrozenClock
) -> None:
    """Ruby's pack("m") (the Delighted gem) breaks base64 lines after 45 input bytes."""
    with runtime.transaction() as session:
        keys = [
            auth.create_api_key(session=session, name=f"k{i}", scope=Scope.ADMIN, now=clock.now())[
                1
            ]
            for i in range(20)
        ]
    assert len(set(keys)) == 20
    for key in keys:
        assert key.startswith("cl_")
        assert len(f"{key}:".encode()) <= 45, key
