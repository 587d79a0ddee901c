"""The b2b-saas playbook end to end: a sign-up posted over HTTP becomes, two weeks later on
the shared clock, an onboarding email at the SMTP sink, sent by the server's own
dispatcher."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from closeloop.api.app import create_app
from closeloop.auth import service as auth
from closeloop.auth.models import Scope
from closeloop.clock import FrozenClock
from closeloop.config import Settings
from closeloop.playbooks import loader
from closeloop.playbooks import service as playbooks
from closeloop.runtime import Runtime
from tests.conftest import TEST_SECRET
from tests.servers import SmtpSink, free_port, live_server

pytestmark = pytest.mark.e2e

DISPATCH_INTERVAL = 0.05


@pytest.fixture
def server(
    db_url: str, tmp_path: Path, clock: FrozenClock, smtp: tuple[SmtpSink, int]
) -> Iterator[tuple[httpx.Client, Runtime]]:
    """The app with its dispatcher and the b2b-saas playbook; an admin API client."""
    _, smtp_port = smtp
    port = free_port()
    settings = Settings(
        database_url=db_url,
        data_dir=tmp_path / "data",
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        base_url=f"http://127.0.0.1:{port}",
        smtp_url=f"smtp://127.0.0.1:{smtp_port}",
        from_email="surveys@facturaplus.test",
        from_name="FacturaPlus",
        product_name="FacturaPlus",
        dispatch_interval_seconds=DISPATCH_INTERVAL,
    )
    runtime = Runtime.create(settings, clock=clock)
    with runtime.transaction() as session:
        playbooks.apply(session=session, playbook=loader.load_shipped("b2b-saas"), now=clock.now())
        _, key = auth.create_api_key(
            session=session, name="e2e", scope=Scope.ADMIN, now=clock.now()
        )
    try:
        with (
            live_server(create_app(runtime, with_worker=True), port=port) as base_url,
            httpx.Client(
                base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=10
            ) as api,
        ):
            yield api, runtime
    finally:
        runtime.close()


def test_signed_up_then_two_weeks_later_the_onboarding_email_arrives(
    server: tuple[httpx.Client, Runtime], clock: FrozenClock, smtp: tuple[SmtpSink, int]
) -> None:
    api, _ = server
    sink, _ = smtp
    signed_up_at = clock.now()  # Tuesday 2026-03-03 10:00 UTC
    created = api.post(
        "/api/v1/contacts",
        json={"email": "ana@acme.test", "name": "Ana García", "time_zone": "Europe/Madrid"},
    )
    assert created.status_code == 201, created.text
    contact_id = created.json()["id"]
    posted = api.post(
        "/api/v1/events", json={"name": "Signed Up", "contact": {"email": "ana@acme.test"}}
    )
    assert posted.status_code == 201, posted.text

    # 14 days later is Tuesday 17 March 10:00 UTC, 11:00 in Madrid: inside the workspace's
    # Mon–Fri 09:00–17:00 window, so due exactly then
    due = signed_up_at + timedelta(days=14)
    [decision] = api.get(f"/api/v1/contacts/{contact_id}/decisions").json()["items"]
    assert (decision["rule"]["key"], decision["outcome"]) == ("onboarding", "scheduled")
    assert (
        datetime.fromisoformat(decision["due_at"]) == due == datetime(2026, 3, 17, 10, tzinfo=UTC)
    )

    clock.set(due - timedelta(minutes=1))
    time.sleep(20 * DISPATCH_INTERVAL)  # the dispatcher polls twenty times meanwhile
    assert sink.messages == [], "nothing goes out before it is due"

    clock.set(due)
    (message,) = sink.wait_for(1)
    assert "ana@acme.test" in str(message["To"])
    assert message["Subject"] == "Ana, how was getting started with FacturaPlus?"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    question = "Hi Ana, how easy was it to get started with FacturaPlus?"
    assert question in str(text.get_content())
    assert question in str(html.get_content())

    # the dispatcher records the send just after the sink has the message
    invitation = _invitation_once_settled(api, contact_id)
    assert (invitation["survey"], invitation["state"]) == ("onboarding-ces", "sent")


def _invitation_once_settled(api: httpx.Client, contact_id: int) -> dict[str, object]:
    deadline = time.monotonic() + 10
    while True:
        [decision] = api.get(f"/api/v1/contacts/{contact_id}/decisions").json()["items"]
        invitation: dict[str, object] = decision["invitation"]
        if invitation["state"] != "sending" or time.monotonic() > deadline:
            return invitation
        time.sleep(DISPATCH_INTERVAL)
