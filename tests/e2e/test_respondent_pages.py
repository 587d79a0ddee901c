"""A respondent's visit over real HTTP: click a score, explain it, unsubscribe."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from closeloop.api.app import create_app
from closeloop.auth import service as auth
from closeloop.auth.models import Scope
from closeloop.contacts.models import Contact
from closeloop.runtime import Runtime
from tests.integration.responses import factories
from tests.servers import live_server

pytestmark = pytest.mark.e2e


@pytest.fixture
def base_url(runtime: Runtime) -> Iterator[str]:
    with live_server(create_app(runtime)) as url:
        yield url


def test_a_respondent_answers_explains_and_unsubscribes(runtime: Runtime, base_url: str) -> None:
    invitation_id = factories.sent_invitation(runtime, touchpoint="ticket_solved")
    token = factories.token_for(runtime, invitation_id)
    with runtime.transaction() as session:
        _, key = auth.create_api_key(
            session=session, name="e2e", scope=Scope.ADMIN, now=runtime.clock.now()
        )
    with (
        httpx.Client(base_url=base_url, timeout=10, follow_redirects=True) as browser,
        httpx.Client(
            base_url=base_url, timeout=10, headers={"Authorization": f"Bearer {key}"}
        ) as api,
    ):
        _visit(runtime, base_url, token, invitation_id, browser, api)


def _visit(
    runtime: Runtime,
    base_url: str,
    token: str,
    invitation_id: int,
    browser: httpx.Client,
    api: httpx.Client,
) -> None:
    page = browser.get(f"/r/{token}/7")
    assert page.status_code == 200
    assert "Thanks, Ana! You answered 7." in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert len(page.content) < 30_000
    action = re.search(r'<form method="post" action="([^"]+)">', page.text)
    assert action is not None

    thanks = browser.post(
        action.group(1),
        data={"score": "9", "comment": "Quick answer <script>alert(1)</script>"},
    )
    assert thanks.status_code == 200
    assert str(thanks.url).endswith(f"/r/{token}/thanks")
    assert "Thank you, Ana!" in thanks.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in thanks.text
    assert "<script>" not in thanks.text

    (listed,) = api.get("/api/v1/responses").json()["data"]
    assert (listed["score"], listed["touchpoint"]) == (9, "ticket_solved")
    assert listed["comment"] == "Quick answer <script>alert(1)</script>"
    assert api.get("/api/v1/reports/nps").json()["nps"] == 100.0

    tampered = browser.get(f"/r/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}/0")
    assert tampered.status_code == 404
    assert "This link is not valid" in tampered.text
    assert [r["score"] for r in api.get("/api/v1/responses").json()["data"]] == [9]

    # a mail client's RFC 8058 one-click unsubscribe: a bare POST, no cookies, no CSRF token
    unsubscribe = factories.unsubscribe_path(runtime, invitation_id)
    done = httpx.post(
        f"{base_url}{unsubscribe}", data={"List-Unsubscribe": "One-Click"}, timeout=10
    )
    assert done.status_code == 200
    assert "You are unsubscribed" in done.text
    with runtime.transaction() as session:
        contact = session.get(Contact, listed["contact_id"])
        assert contact is not None
        assert contact.unsubscribed_at == runtime.clock.now()
