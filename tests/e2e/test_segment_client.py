"""The official Segment library, pointed at closeloop, over HTTP on loopback.

``segment-analytics-python`` is configured as a customer would: the closeloop key as
its write key, closeloop's ``/compat/segment`` as its host, gzip on. What it sends is
then read back through the native API, as the rest of closeloop sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from segment.analytics.client import Client
from segment.analytics.request import APIError

from closeloop.api.app import create_app
from closeloop.auth import service as auth
from closeloop.auth.models import Scope
from closeloop.clock import FrozenClock
from closeloop.config import Settings
from closeloop.runtime import Runtime
from tests.conftest import TEST_SECRET
from tests.servers import live_server

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(db_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[tuple[str, str, str]]:
    """The app on loopback: its base URL, a write (ingest) key and an admin key."""
    settings = Settings(
        database_url=db_url,
        data_dir=tmp_path / "data",
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        base_url="http://127.0.0.1:8000",
    )
    runtime = Runtime.create(settings, clock=clock)
    with runtime.transaction() as session:
        _, write_key = auth.create_api_key(
            session=session, name="segment", scope=Scope.INGEST, now=clock.now()
        )
        _, admin_key = auth.create_api_key(
            session=session, name="reader", scope=Scope.ADMIN, now=clock.now()
        )
    try:
        with live_server(create_app(runtime)) as base_url:
            yield base_url, write_key, admin_key
    finally:
        runtime.close()


def test_identify_group_and_track_from_the_official_client_are_read_back(
    server: tuple[str, str, str],
) -> None:
    base_url, write_key, admin_key = server
    failures: list[Exception] = []
    segment = Client(
        write_key=write_key,
        host=f"{base_url}/compat/segment",
        gzip=True,
        max_retries=1,
        on_error=lambda error, _batch: failures.append(error),
    )
    segment.identify(
        "user-1001",
        {
            "email": "Ana@Acme.example",
            "name": "Ana García",
            "plan": "pro",
            "timezone": "Europe/Madrid",
        },
        anonymous_id="visitor-9",
    )
    segment.group("user-1001", "acct-42", {"name": "Acme Logistics", "industry": "logistics"})
    segment.track("user-1001", "Order Delivered", {"order_id": "A-1"}, message_id="order-A-1")
    segment.page("user-1001", name="Pricing")
    segment.flush()  # the library's own batching: one gzip POST to /v1/batch
    segment.shutdown()
    assert failures == []

    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=10
    ) as api:
        found = api.get("/api/v1/contacts", params={"external_id": "user-1001"})
        assert found.status_code == 200, found.text
        [listed] = found.json()["items"]
        detail = api.get(f"/api/v1/contacts/{listed['id']}")
        assert detail.status_code == 200, detail.text
        ana: dict[str, Any] = detail.json()

    assert (ana["email"], ana["name"], ana["time_zone"]) == (
        "ana@acme.example",
        "Ana García",
        "Europe/Madrid",
    )
    assert ana["traits"] == {"plan": "pro"}
    assert ana["account"]["external_id"] == "acct-42"
    assert ana["account"]["name"] == "Acme Logistics"
    assert ana["account"]["traits"] == {"industry": "logistics"}
    tracked = {
        entry["name"]: entry for entry in ana["timeline"]["entries"] if entry["kind"] == "event"
    }
    assert set(tracked) == {"Order Delivered", "Viewed Pricing Page"}
    assert tracked["Order Delivered"]["properties"] == {"order_id": "A-1"}
    assert tracked["Order Delivered"]["source"] == "segment"


def test_the_client_hears_a_wrong_write_key_as_segment_errors_are_shaped(
    server: tuple[str, str, str],
) -> None:
    base_url, _, _ = server
    segment = Client(
        write_key="cl_not-a-real-key", host=f"{base_url}/compat/segment", sync_mode=True
    )
    with pytest.raises(APIError) as refused:
        segment.track("user-1001", "Order Delivered")
    assert (refused.value.status, refused.value.code) == (401, "unauthorized")
    assert "not valid" in refused.value.message
