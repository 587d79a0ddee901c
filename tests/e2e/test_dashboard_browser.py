"""A newcomer's first minutes, in a real browser: log in, read the NPS, answer from the outbox.

The server runs on loopback with the demo loaded and its embedded dispatcher, which puts
the demo's due invitations in the outbox. Chromium is Debian's (``/usr/bin/chromium``),
driven by Playwright; ``playwright install`` is never needed.

With ``CLOSELOOP_SCREENSHOTS=DIR`` set, the test also saves the README's screenshots.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

from closeloop.api.app import create_app
from closeloop.clock import FrozenClock
from closeloop.config import Settings
from closeloop.demo import service as demo
from closeloop.responses.models import Response
from closeloop.runtime import Runtime
from closeloop.web import display, queries
from tests.conftest import TEST_SECRET
from tests.servers import free_port, live_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOTS = os.environ.get("CLOSELOOP_SCREENSHOTS")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="Debian's Chromium is not installed (apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _wait_for_outbox(runtime: Runtime, count: int, timeout: float = 20.0) -> None:
    """Wait (bounded) for the dispatcher to put ``count`` messages in the outbox."""
    deadline = time.monotonic() + timeout
    while True:
        with runtime.transaction() as session:
            if queries.outbox_count(session=session) >= count:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"the dispatcher wrote fewer than {count} messages in {timeout}s")
        time.sleep(0.05)


@pytest.fixture
def demo_server(db_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[tuple[str, Runtime]]:
    port = free_port()
    settings = Settings(
        database_url=db_url,
        data_dir=tmp_path / "data",
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        base_url=f"http://127.0.0.1:{port}",
        from_email="surveys@facturaplus.test",
        from_name="FacturaPlus",
        product_name="FacturaPlus",
        dispatch_interval_seconds=0.05,
    )
    runtime = Runtime.create(settings, clock=clock)
    with runtime.transaction() as session:
        demo.load(session=session, now=clock.now())
    try:
        with live_server(create_app(runtime, with_worker=True), port=port) as base_url:
            _wait_for_outbox(runtime, 1)
            yield base_url, runtime
    finally:
        runtime.close()


def _snap(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def _log_in(page: Page) -> None:
    page.get_by_label("Email").fill(demo.DEMO_EMAIL)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_newcomer_answers_their_own_survey_from_the_outbox(
    demo_server: tuple[str, Runtime], browser: Browser
) -> None:
    base_url, runtime = demo_server
    with runtime.transaction() as session:
        overview = queries.overview(session=session, now=runtime.clock.now())
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    page = context.new_page()
    try:
        page.goto(base_url + "/")
        expect(page).to_have_url(f"{base_url}/login")
        expect(page.locator(".hint")).to_contain_text(demo.DEMO_EMAIL)
        _snap(page, "login")

        _log_in(page)
        expect(page).to_have_url(f"{base_url}/")
        expect(page.locator("#nps-value")).to_have_text(display.signed_number(overview.summary.nps))
        expect(page.locator("#response-count")).to_have_text(str(overview.summary.responses))
        expect(page.locator(".answer")).to_have_count(20)
        _snap(page, "overview")

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Outbox").click()
        expect(page).to_have_url(f"{base_url}/outbox")
        _snap(page, "outbox")
        first = page.locator("table tbody a").first
        message_id = int((first.get_attribute("href") or "").rsplit("/", 1)[1])
        first.click()
        expect(page.locator("h1")).to_contain_text("FacturaPlus")
        _snap(page, "outbox-message")

        email = page.frame_locator("iframe.preview")
        with page.expect_popup() as popup:
            email.get_by_role("link", name="10", exact=True).click()
        respondent = popup.value
        respondent.wait_for_load_state()
        assert respondent.url.startswith(f"{base_url}/r/")
        # the demo's people mostly read Spanish: the page speaks the respondent's language
        expect(respondent.locator("h1")).to_contain_text("10")
        page_language = respondent.locator("html").get_attribute("lang") or ""
    finally:
        context.close()

    with runtime.transaction() as session:
        message = queries.get_outbox_message(session=session, message_id=message_id)
        response = session.scalar(
            select(Response).where(Response.invitation_id == message.invitation_id)
        )
        assert response is not None
        assert response.score == 10
        locale = response.contact.locale if response.contact is not None else None
        assert page_language == (locale or "en")


def test_the_dashboard_works_without_javascript(
    demo_server: tuple[str, Runtime], browser: Browser
) -> None:
    base_url, _ = demo_server
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)  # type: ignore[arg-type]
    page = context.new_page()
    try:
        page.goto(f"{base_url}/outbox")
        expect(page).to_have_url(re.compile(r"/login\?next=%2Foutbox$"))
        page.get_by_label("Password").fill("not the password")
        page.get_by_label("Email").fill(demo.DEMO_EMAIL)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")

        _log_in(page)
        expect(page).to_have_url(f"{base_url}/outbox")
        expect(page.locator("table tbody tr").first).to_be_visible()

        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(f"{base_url}/login")
        page.goto(f"{base_url}/")
        expect(page).to_have_url(f"{base_url}/login")
    finally:
        context.close()
