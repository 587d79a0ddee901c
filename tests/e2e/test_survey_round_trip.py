"""One survey out by email and back, through the real server, SMTP and HTTP.

The server runs on loopback with its embedded dispatcher; mail goes to an aiosmtpd sink;
the links inside the parsed MIME are clicked over HTTP, as a respondent would.
"""

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
) -> Iterator[tuple[str, str, Runtime]]:
    """The app with its dispatcher, on a known port so links point back at it."""
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
        dispatch_interval_seconds=0.05,
    )
    runtime = Runtime.create(settings, clock=clock)
    with runtime.transaction() as session:
        _, key = auth.create_api_key(
            session=session, name="e2e", scope=Scope.ADMIN, now=clock.now()
        )
    try:
        with live_server(create_app(runtime, with_worker=True), port=port) as base_url:
            yield base_url, key, runtime
    finally:
        runtime.close()


def _api(base_url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def _html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, "the email has no HTML part"
    return str(part.get_content())


def _text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the email has no text part"
    return str(part.get_content())


def _score_links(html: str, base_url: str) -> dict[int, str]:
    links = re.findall(rf'href="({re.escape(base_url)}/r/[^"/]+/(\d+))"', html)
    return {int(score): url.replace("&amp;", "&") for url, score in links}


def test_a_survey_goes_out_by_email_and_the_answer_comes_back(
    server: tuple[str, str, Runtime], smtp: tuple[SmtpSink, int]
) -> None:
    base_url, key, _ = server
    sink, _ = smtp
    with _api(base_url, key) as api, httpx.Client(timeout=10, follow_redirects=True) as respondent:
        _round_trip(api, respondent, sink, base_url)


def _round_trip(api: httpx.Client, respondent: httpx.Client, sink: SmtpSink, base_url: str) -> None:
    created = api.post(
        "/api/v1/contacts",
        json={
            "email": "ana.garcia@acme.test",
            "name": "Ana García",
            "time_zone": "Europe/Madrid",
            "role": "decision_maker",
            "account": {"external_id": "acme", "name": "Acme Facturas SL"},
        },
    )
    assert created.status_code == 201, created.text
    contact_id = created.json()["id"]

    asked = api.post("/api/v1/invitations", json={"contact": {"email": "ana.garcia@acme.test"}})
    assert asked.status_code == 201, asked.text

    (message,) = sink.wait_for(1)
    assert message["To"] is not None and "ana.garcia@acme.test" in message["To"]
    assert message.get_content_type() == "multipart/alternative"
    html, text = _html_part(message), _text_part(message)
    assert "Ana" in html and "FacturaPlus" in html
    links = _score_links(html, base_url)
    assert sorted(links) == list(range(11)), "the 0–10 scale must be eleven links"
    for url in links.values():
        assert url in text, "the text part lists the same links"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = str(message["List-Unsubscribe"]).strip("<>")

    page = respondent.get(links[9])
    assert page.status_code == 200
    assert "9" in page.text

    follow_up_action = re.search(r'<form[^>]*method="post"[^>]*action="([^"]+)"', page.text)
    assert follow_up_action is not None, "the follow-up page has a form that works without JS"
    thanks = respondent.post(
        httpx.URL(links[9]).join(follow_up_action.group(1)),
        data={"comment": "Fast e-invoicing <b>and</b> great support", "score": "9"},
    )
    assert thanks.status_code == 200

    listed = api.get("/api/v1/responses").json()["data"]
    assert len(listed) == 1
    assert listed[0]["score"] == 9
    assert listed[0]["comment"] == "Fast e-invoicing <b>and</b> great support"

    # a second click within the answer window changes the answer instead of adding one
    assert respondent.get(links[6]).status_code == 200
    listed = api.get("/api/v1/responses").json()["data"]
    assert [(r["score"], r["comment"]) for r in listed] == [
        (6, "Fast e-invoicing <b>and</b> great support")
    ]
    report = api.get("/api/v1/reports/nps").json()
    assert report["responses"] == 1
    assert report["nps"] == -100

    timeline = api.get(f"/api/v1/contacts/{contact_id}").json()
    assert timeline["id"] == contact_id

    # RFC 8058 one-click unsubscribe, as a mail client sends it
    unsubscribed = httpx.post(unsubscribe_url, data={"List-Unsubscribe": "One-Click"}, timeout=10)
    assert unsubscribed.status_code == 200
    again = api.post("/api/v1/invitations", json={"contact": {"id": contact_id}})
    assert again.status_code == 201
    assert again.json()["state"] == "suppressed"
    assert len(sink.messages) == 1, "nothing more is sent to an unsubscribed person"


def test_a_tampered_link_records_nothing(
    server: tuple[str, str, Runtime], smtp: tuple[SmtpSink, int]
) -> None:
    base_url, key, _ = server
    sink, _ = smtp
    with _api(base_url, key) as api:
        api.post("/api/v1/contacts", json={"email": "bo@acme.test", "name": "Bo"})
        api.post("/api/v1/invitations", json={"contact": {"email": "bo@acme.test"}})
        (message,) = sink.wait_for(1)
        url = _score_links(_html_part(message), base_url)[10]
        token = url.rsplit("/", 2)[-2]
        flipped = "A" if token[-2] != "A" else "B"
        tampered = url.replace(token, token[:-2] + flipped + token[-1])

        page = httpx.get(tampered, timeout=10)
        assert 400 <= page.status_code < 500
        assert "text/html" in page.headers["content-type"]
        assert api.get("/api/v1/responses").json()["data"] == []
