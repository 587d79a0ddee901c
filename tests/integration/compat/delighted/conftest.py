"""The Delighted-compatible API under a test client, and keys sent as Delighted's clients do."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from closeloop.api.app import create_app
from closeloop.auth import service as auth
from closeloop.auth.models import Scope
from closeloop.clock import FrozenClock
from closeloop.config import Settings
from closeloop.runtime import Runtime

API = "/compat/delighted/v1"


def basic(key: str, *, colon: bool = False) -> dict[str, str]:
    """The header Delighted's Python client sends (the bare key), or curl's ``-u KEY:``."""
    user = f"{key}:" if colon else key
    return {"Authorization": "Basic " + base64.b64encode(user.encode()).decode()}


def new_key(runtime: Runtime, scope: Scope) -> str:
    with runtime.transaction() as session:
        _, plain = auth.create_api_key(
            session=session, name=scope.value, scope=scope, now=runtime.clock.now()
        )
    return plain


def delighted_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """A Delighted-shaped error: plain JSON with ``status`` and ``message``, never problem+json."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    return body


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as client:
        yield client


@pytest.fixture
def admin(runtime: Runtime) -> dict[str, str]:
    return basic(new_key(runtime, Scope.ADMIN))


@pytest.fixture
def ingest(runtime: Runtime) -> dict[str, str]:
    return basic(new_key(runtime, Scope.INGEST), colon=True)


@pytest.fixture
def runtime_with(settings: Settings, clock: FrozenClock) -> Iterator[Callable[..., Runtime]]:
    """Another runtime on the same database with a few settings changed."""
    made: list[Runtime] = []

    def make(**changes: Any) -> Runtime:
        changed = Settings.model_validate({**settings.model_dump(), **changes})
        runtime = Runtime.create(changed, clock=clock)
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.close()
