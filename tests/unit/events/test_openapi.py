"""The contacts and events API documents itself: every shape in /docs has an example."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.api.app import create_app
from closeloop.config import Settings
from closeloop.runtime import Runtime


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # the schema is built without touching the database
    settings = Settings(
        _env_file=None,
        database_url="sqlite://",
        data_dir=tmp_path_factory.mktemp("data"),
        secret_key="openapi-test-secret-0123456789abcdef",
    )
    runtime = Runtime.create(settings)
    try:
        return create_app(runtime).openapi()
    finally:
        runtime.close()


@pytest.mark.parametrize(
    "schema",
    [
        "ContactIn",
        "ContactPatch",
        "AccountIn",
        "ContactOut",
        "ContactPage",
        "ContactDetail",
        "AccountOut",
        "Timeline",
        "EventEntry",
        "InvitationEntry",
        "ResponseEntry",
        "ContactRef",
        "EventBatchIn",
        "EventIn",
        "AccountRef",
        "EventResult",
        "BatchResult",
    ],
)
def test_each_schema_has_an_example(openapi: dict[str, Any], schema: str) -> None:
    assert openapi["components"]["schemas"][schema].get("examples")


@pytest.mark.parametrize(
    ("path", "method", "tag"),
    [
        ("/api/v1/contacts", "post", "contacts"),
        ("/api/v1/contacts", "get", "contacts"),
        ("/api/v1/contacts/{contact_id}", "get", "contacts"),
        ("/api/v1/contacts/{contact_id}", "patch", "contacts"),
        ("/api/v1/events", "post", "events"),
        ("/api/v1/events/batch", "post", "events"),
    ],
)
def test_the_routes_are_documented_under_their_tag(
    openapi: dict[str, Any], path: str, method: str, tag: str
) -> None:
    operation = openapi["paths"][path][method]
    assert operation["tags"] == [tag]
    assert "401" in operation["responses"]
