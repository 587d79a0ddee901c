"""An app per test, a dashboard user, and a client already logged in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from closeloop.api.app import create_app
from closeloop.auth.models import User
from closeloop.runtime import Runtime
from tests.integration.web import factories


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as test_client:
        yield test_client


@pytest.fixture
def user(runtime: Runtime) -> User:
    with runtime.transaction() as session:
        return factories.user(session, now=runtime.clock.now())


@pytest.fixture
def logged_in(client: TestClient, user: User) -> TestClient:
    response = factories.log_in(client, user.email)
    assert response.status_code == 303
    return client
