"""The app on both databases and a write key for the Segment intake tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from closeloop.api.app import create_app
from closeloop.auth import service as auth
from closeloop.auth.models import Scope
from closeloop.runtime import Runtime


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as client:
        yield client


@pytest.fixture
def write_key(runtime: Runtime) -> str:
    """An ``ingest`` key, the scope a Segment source is given."""
    with runtime.transaction() as session:
        _, plain = auth.create_api_key(
            session=session, name="segment", scope=Scope.INGEST, now=runtime.clock.now()
        )
    return plain
