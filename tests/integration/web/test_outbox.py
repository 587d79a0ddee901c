"""The development outbox: newest first, a message in full, and its raw source."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from email import message_from_bytes, policy

from fastapi.testclient import TestClient

from closeloop.runtime import Runtime
from tests.integration.web import factories


def _subjects(page: str) -> list[str]:
    return re.findall(r'<td><a href="/outbox/\d+">([^<]*)</a></td>', page)


def test_the_list_is_newest_first_and_paginated(logged_in: TestClient, runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        for number in range(28):
            factories.outbox_message(
                session,
                created_at=now - timedelta(minutes=30 - number),
                subject=f"Message {number}",
            )
        for number in (28, 29):  # the same instant: the later row is the newer
            factories.outbox_message(session, created_at=now, subject=f"Message {number}")

    first = logged_in.get("/outbox")
    second = logged_in.get("/outbox?page=2")

    assert first.status_code == second.status_code == 200
    assert _subjects(first.text) == [f"Message {n}" for n in range(29, 4, -1)]
    assert _subjects(second.text) == [f"Message {n}" for n in range(4, -1, -1)]
    assert "Page 1 of 2 · 30 messages" in first.text
    assert 'href="/outbox?page=2" rel="next"' in first.text
    assert 'href="/outbox?page=1" rel="prev"' in second.text
    assert 'rel="next"' not in second.text
    assert '<span class="pill">30</span>' in first.text


def test_the_edges_of_the_list(logged_in: TestClient, runtime: Runtime) -> None:
    assert "No messages yet." in logged_in.get("/outbox").text
    for page in ("0", "-1", "two", "99999999999"):
        response = logged_in.get(f"/outbox?page={page}")
        assert response.status_code == 422, page
        assert "page" in response.text
    with runtime.transaction() as session:
        factories.outbox_message(session, created_at=runtime.clock.now())
    past_the_end = logged_in.get("/outbox?page=9")
    assert past_the_end.status_code == 200
    assert "There is no page 9." in past_the_end.text


def test_a_message_in_full(logged_in: TestClient, runtime: Runtime) -> None:
    with runtime.transaction() as session:
        message = factories.outbox_message(
            session,
            created_at=runtime.clock.now(),
            text="Rate us: https://nps.example/r/tok/10\nThanks & bye <3",
            html='<html><head></head><body><a href="https://nps.example/r/tok/10">10</a>'
            "<a href='https://nps.example/r/tok/9'>9</a> \"quoted\" &amp;</body></html>",
        )

    page = logged_in.get(f"/outbox/{message.id}")

    assert page.status_code == 200
    assert "<h1>A quick question about FacturaPlus</h1>" in page.text
    assert "<dt>From</dt><dd>FacturaPlus &lt;surveys@facturaplus.test&gt;</dd>" in page.text
    assert "<dt>Subject</dt>" in page.text
    assert "<dt>Content-Type</dt>" not in page.text
    # the text view: escaped, with its links clickable
    assert (
        '<a href="https://nps.example/r/tok/10" target="_blank" rel="noopener noreferrer">'
        in page.text
    )
    assert "Thanks &amp; bye &lt;3" in page.text
    # the HTML view: sandboxed, its source escaped into srcdoc, links opening a new tab
    frame = re.search(r"<iframe ([^>]*)></iframe>", page.text)
    assert frame is not None
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in frame.group(1)
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame.group(1))
    assert srcdoc is not None
    assert html.unescape(srcdoc.group(1)) == (
        '<html><head><base target="_blank"></head><body>'
        '<a href="https://nps.example/r/tok/10">10</a>'
        "<a href='https://nps.example/r/tok/9'>9</a> \"quoted\" &amp;</body></html>"
    )
    assert f'href="/outbox/{message.id}/raw"' in page.text

    with runtime.transaction() as session:
        text_only = factories.outbox_message(session, created_at=runtime.clock.now(), html=None)
    page = logged_in.get(f"/outbox/{text_only.id}")
    assert "<iframe" not in page.text
    assert 'href="https://nps.example/r/tok/10"' in page.text


def test_the_raw_message_downloads_as_rfc822(logged_in: TestClient, runtime: Runtime) -> None:
    with runtime.transaction() as session:
        message = factories.outbox_message(session, created_at=runtime.clock.now())

    response = logged_in.get(f"/outbox/{message.id}/raw")

    assert response.status_code == 200
    assert response.headers["content-type"] == "message/rfc822"
    assert (
        response.headers["content-disposition"] == f'attachment; filename="outbox-{message.id}.eml"'
    )
    assert response.headers["cache-control"] == "no-store"
    assert response.text == message.raw
    parsed = message_from_bytes(response.content, policy=policy.default)
    assert parsed["Subject"] == "A quick question about FacturaPlus"


def test_unknown_and_malformed_ids(logged_in: TestClient) -> None:
    for path, status in [
        ("/outbox/12345", 404),
        ("/outbox/12345/raw", 404),
        ("/outbox/abc", 422),
        ("/outbox/abc/raw", 422),
        # past a BIGINT: refused, not a database overflow (a 500 once)
        ("/outbox/9223372036854775808", 422),
        ("/outbox/99999999999999999999999/raw", 422),
    ]:
        response = logged_in.get(path)
        assert response.status_code == status, path
        assert response.headers["content-type"].startswith("text/html")
    assert "no outbox message with id 12345" in logged_in.get("/outbox/12345").text
