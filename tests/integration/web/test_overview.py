"""The overview page shows exactly what the answers say."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text

from closeloop.analytics.nps import NpsSummary
from closeloop.runtime import Runtime
from closeloop.surveys.models import SurveyKind
from closeloop.web import display, queries
from tests.integration.web import factories


def _text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.DOTALL)
    assert match is not None, f"no element #{element_id}"
    return " ".join(match.group(1).split())


def test_the_figures_of_the_last_90_days(logged_in: TestClient, runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        person = factories.contact(session, now=now)
        for days, score in enumerate([10, 10, 9, 8, 7, 6, 0]):
            factories.answer(
                session, score=score, responded_at=now - timedelta(days=days * 12), person=person
            )
        # outside the window, or not NPS: none of these count
        factories.answer(session, score=0, responded_at=now - timedelta(days=90, seconds=1))
        factories.answer(session, score=0, responded_at=now + timedelta(minutes=1))
        csat = factories.survey(session, now=now, kind=SurveyKind.CSAT)
        factories.answer(session, score=1, responded_at=now - timedelta(days=1), on=csat)
        for _ in range(4):
            factories.outbox_message(session, created_at=now)

    page = logged_in.get("/")

    assert page.status_code == 200
    expected = NpsSummary(promoters=3, passives=2, detractors=2)
    assert _text_of(page.text, "nps-value") == "+14"
    assert _text_of(page.text, "nps-margin") == display.margin(expected.margin_of_error)
    assert _text_of(page.text, "response-count") == "7"
    assert _text_of(page.text, "outbox-count") == "4"
    assert re.search(r"Promoters</strong> <span class=\"count\">3</span>", page.text)
    assert re.search(r"Passives</strong> <span class=\"count\">2</span>", page.text)
    assert re.search(r"Detractors</strong> <span class=\"count\">2</span>", page.text)
    assert "43 %" in page.text  # 3 of 7 promoters
    assert '<rect class="promoter" x="0.000" y="0" width="42.857"' in page.text
    with runtime.transaction() as session:
        overview = queries.overview(session=session, now=now)
    assert overview.summary == expected
    assert overview.since == now - timedelta(days=90)


def test_the_latest_answers_newest_first(logged_in: TestClient, runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        ana = factories.contact(session, now=now, name="Ana Costa", company="Conservas Atlântico")
        anonymous_person = factories.contact(session, now=now, name="Raj Iyer", company=None)
        factories.answer(
            session,
            score=3,
            responded_at=now - timedelta(days=2, hours=1),
            person=ana,
            comment="Invoices failed to send <script>alert(1)</script>",
        )
        factories.answer(
            session, score=9, responded_at=now - timedelta(minutes=5), person=anonymous_person
        )
        factories.answer(session, score=8, responded_at=now - timedelta(hours=3))

    page = logged_in.get("/").text

    answers = re.findall(r'<span class="score (\w+)" title="\w+">(\d+)</span>', page)
    assert answers == [("promoter", "9"), ("passive", "8"), ("detractor", "3")]
    assert "Ana Costa" in page
    assert "Conservas Atlântico" in page
    assert "Anonymous" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "5 min ago" in page
    assert "3 h ago" in page
    assert "2 days ago" in page


def test_only_twenty_answers_are_listed(logged_in: TestClient, runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        for minutes in range(25):
            factories.answer(session, score=10, responded_at=now - timedelta(minutes=minutes))
    page = logged_in.get("/").text
    assert page.count('<li class="answer">') == 20
    assert _text_of(page, "response-count") == "25"


def test_an_empty_workspace_and_the_nav(logged_in: TestClient) -> None:
    page = logged_in.get("/").text
    assert _text_of(page, "nps-value") == "–"
    assert 'id="nps-margin"' not in page
    assert _text_of(page, "response-count") == "0"
    assert "closeloop demo" in page
    assert "No answers yet." in page
    # the nav links only to pages that exist
    nav = page[page.index('<nav class="nav"') : page.index("</nav>")]
    assert re.findall(r'href="([^"]+)"', nav) == ["/", "/outbox"]
    assert '<a href="/" aria-current="page">Overview</a>' in nav


def test_the_stylesheet_is_served(client: TestClient) -> None:
    css = client.get("/static/dashboard.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert client.get("/static/favicon.svg").status_code == 200
    assert client.get("/static/missing.css").status_code == 404


def test_viewing_the_dashboard_does_not_wait_for_a_writer(
    logged_in: TestClient, runtime: Runtime
) -> None:
    """Page views only read: on SQLite they must not queue for the write lock."""
    with runtime.transaction() as writer:
        writer.execute(text("SELECT 1"))  # SQLite: BEGIN IMMEDIATE, the write lock held
        started = time.monotonic()
        for path in ("/", "/outbox"):
            assert logged_in.get(path).status_code == 200, path
        assert time.monotonic() - started < 5
