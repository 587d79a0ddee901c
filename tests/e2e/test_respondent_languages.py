"""A German contact, end to end: a German email through SMTP, then German pages over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from closeloop.api.app import create_app
from closeloop.auth import service as auth
from closeloop.auth.models import Scope
from closeloop.clock import FrozenClock
from closeloop.config import Settings
from closeloop.runtime import Runtime
from tests.conftest import TEST_SECRET
from tests.servers import SmtpSink, free_port, live_server

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(
    db_url: str, tmp_path: Path, clock: FrozenClock, smtp: tuple[SmtpSink, int]
) -> Iterator[tuple[str, str]]:
    """The app with its dispatcher, on a known port so links point back at it."""
    _, smtp_port = smtp
    port = free_port()
    settings = Settings(
        database_url=db_url,
        data_dir=tmp_path / "data",
        secret_key=TEST_SECRET,
        base_url=f"http://127.0.0.1:{port}",
        smtp_url=f"smtp://127.0.0.1:{smtp_port}",
        from_email="surveys@facturaplus.test",
        from_name="FacturaPlus",
        product_name="FacturaPlus",
        workspace_name="FacturaPlus",
        dispatch_interval_seconds=0.05,
    )
    runtime = Runtime.create(settings, clock=clock)
    with runtime.transaction() as session:
        _, key = auth.create_api_key(
            session=session, name="e2e", scope=Scope.ADMIN, now=clock.now()
        )
    try:
        with live_server(create_app(runtime, with_worker=True), port=port) as base_url:
            yield base_url, key
    finally:
        runtime.close()


def _part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"the email has no {subtype} part"
    return str(part.get_content())


def test_a_german_contact_reads_german_from_the_email_to_the_last_page(
    server: tuple[str, str], smtp: tuple[SmtpSink, int]
) -> None:
    base_url, key = server
    sink, _ = smtp
    with (
        httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}) as api,
        httpx.Client(timeout=10, follow_redirects=True) as browser,
    ):
        created = api.post(
            "/api/v1/contacts",
            json={"email": "jonas@kunde.test", "name": "Jonas Weber", "locale": "de-AT"},
        )
        assert created.status_code == 201, created.text
        asked = api.post("/api/v1/invitations", json={"contact": {"email": "jonas@kunde.test"}})
        assert asked.status_code == 201, asked.text

        (message,) = sink.wait_for(1)
        assert message["Subject"] == "Eine kurze Frage zu FacturaPlus"
        assert message["Content-Language"] == "de-AT"
        html, text = _part(message, "html"), _part(message, "plain")
        for part in (html, text):
            assert "Hallo Jonas, wie wahrscheinlich ist es, dass Sie FacturaPlus" in part
            assert "Überhaupt nicht wahrscheinlich" in part
            assert "Äußerst wahrscheinlich" in part
            assert "Sie erhalten diese E-Mail, weil FacturaPlus" in part
        assert "Mit einem Klick abmelden:" in text
        assert '<html lang="de-AT" dir="ltr">' in html
        unsubscribe = str(message["List-Unsubscribe"]).strip("<>")
        assert re.search(rf'<a href="{re.escape(unsubscribe)}"[^>]*>Abmelden</a>', html)

        nine = re.search(rf'href="({re.escape(base_url)}/r/[^"/]+/9)"', html)
        assert nine is not None
        page = browser.get(nine[1])
        assert page.status_code == 200
        assert '<html lang="de-AT" dir="ltr">' in page.text
        assert "Danke, Jonas! Sie haben mit 9 geantwortet." in page.text
        assert "Was ist der wichtigste Grund für Ihre Bewertung?" in page.text

        action = re.search(r'<form method="post" action="([^"]+)">', page.text)
        assert action is not None
        thanks = browser.post(
            httpx.URL(nine[1]).join(action[1]), data={"comment": "Sehr gut", "score": "9"}
        )
        assert thanks.status_code == 200
        assert "Vielen Dank, Jonas!" in thanks.text

        asking = browser.get(unsubscribe)
        assert "<h1>Von Umfragen abmelden?</h1>" in asking.text
        done = httpx.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}, timeout=10)
        assert done.status_code == 200
        assert "<h1>Sie sind abgemeldet</h1>" in done.text
        assert "Sie erhalten keine Umfragen mehr von FacturaPlus." in done.text
