"""The respondent pages under /r/, through the app in-process (both databases)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from closeloop.api.app import create_app
from closeloop.clock import FrozenClock
from closeloop.contacts.models import Contact
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.responses.answering import MAX_COMMENT_LENGTH
from closeloop.responses.models import Response
from closeloop.responses.tokens import Purpose, issue
from closeloop.runtime import Runtime
from tests.integration.responses import factories

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), follow_redirects=False) as client:
        yield client


@pytest.fixture
def invitation_id(runtime: Runtime) -> int:
    return factories.sent_invitation(runtime)


@pytest.fixture
def token(runtime: Runtime, invitation_id: int) -> str:
    return factories.token_for(runtime, invitation_id)


def _responses(runtime: Runtime) -> list[Response]:
    with runtime.transaction() as session:
        return list(session.scalars(select(Response)))


def _assert_respondent_page(page: httpx.Response, status: int) -> None:
    assert page.status_code == status, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CSP
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert '<html lang="en" dir="ltr">' in page.text
    assert len(page.content) < 30_000
    assert "<script" not in page.text.lower()
    assert "http://" not in page.text and "https://" not in page.text, "nothing external"


def _checked(page: httpx.Response) -> list[str]:
    return re.findall(r'name="score" value="(\d+)" checked', page.text)


def test_one_click_records_the_score_and_asks_why(
    client: TestClient, runtime: Runtime, token: str
) -> None:
    page = client.get(f"/r/{token}/8")
    _assert_respondent_page(page, 200)
    assert "Thanks, Ana! You answered 8." in page.text
    assert "What is the main reason for your score?" in page.text
    assert f'<form method="post" action="/r/{token}">' in page.text
    assert re.findall(r'name="score" value="(\d+)"', page.text) == [str(n) for n in range(11)]
    assert _checked(page) == ["8"]
    assert '<label for="comment">' in page.text and 'id="comment" name="comment"' in page.text
    assert '<button type="submit">' in page.text
    assert [r.score for r in _responses(runtime)] == [8]


def test_the_follow_up_page_before_an_answer_asks_the_question(
    client: TestClient, runtime: Runtime, token: str
) -> None:
    page = client.get(f"/r/{token}")
    _assert_respondent_page(page, 200)
    assert (
        "<h1><bdi>How likely are you to recommend FacturaPlus to a friend or colleague?</bdi></h1>"
        in page.text
    )
    assert _checked(page) == []
    assert _responses(runtime) == []


def test_the_follow_up_page_shows_the_current_answer(client: TestClient, token: str) -> None:
    client.get(f"/r/{token}/3")
    client.get(f"/r/{token}/6")
    page = client.get(f"/r/{token}")
    _assert_respondent_page(page, 200)
    assert "You answered 6." in page.text
    assert _checked(page) == ["6"]


def test_posting_the_form_saves_and_redirects_to_the_thanks_page(
    client: TestClient, runtime: Runtime, token: str
) -> None:
    client.get(f"/r/{token}/8")
    saved = client.post(f"/r/{token}", data={"comment": "  Fast invoicing  ", "score": "9"})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/r/{token}/thanks"
    assert saved.headers["cache-control"] == "no-store"
    (response,) = _responses(runtime)
    assert (response.score, response.comment) == (9, "Fast invoicing")

    thanks = client.get(saved.headers["location"])
    _assert_respondent_page(thanks, 200)
    assert "Thank you, Ana!" in thanks.text
    assert "<strong>9</strong>" in thanks.text
    assert "Fast invoicing" in thanks.text
    assert f'href="/r/{token}"' in thanks.text


def test_the_form_can_answer_without_the_email_click(
    client: TestClient, runtime: Runtime, token: str
) -> None:
    saved = client.post(f"/r/{token}", data={"score": "10", "comment": ""})
    assert saved.status_code == 303
    assert [(r.score, r.comment) for r in _responses(runtime)] == [(10, None)]


def test_a_post_without_the_comment_field_keeps_the_comment(
    client: TestClient, runtime: Runtime, token: str
) -> None:
    """Only our form's empty textarea clears a comment; a stray POST must not erase it."""
    client.get(f"/r/{token}/6")
    assert client.post(f"/r/{token}", data={"comment": "Slow exports"}).status_code == 303
    for body in ({"score": "7"}, {}, b"{}", b"--x\r\nbroken"):
        if isinstance(body, bytes):
            saved = client.post(
                f"/r/{token}", content=body, headers={"content-type": "application/json"}
            )
        else:
            saved = client.post(f"/r/{token}", data=body)
        assert saved.status_code == 303, body
        assert [(r.score, r.comment) for r in _responses(runtime)] == [(7, "Slow exports")]


def test_html_in_a_comment_is_stored_as_text_and_shown_escaped(
    client: TestClient, runtime: Runtime, token: str
) -> None:
    comment = '<script>alert("x")</script><img src=x onerror=alert(1)> & more'
    client.get(f"/r/{token}/4")
    assert client.post(f"/r/{token}", data={"comment": comment}).status_code == 303
    assert _responses(runtime)[0].comment == comment

    for path in (f"/r/{token}/thanks", f"/r/{token}"):
        page = client.get(path)
        _assert_respondent_page(page, 200)
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x" in page.text
        assert "<img" not in page.text


def test_a_too_long_comment_shows_the_form_again_with_the_words_kept(
    client: TestClient, runtime: Runtime, token: str
) -> None:
    client.get(f"/r/{token}/8")
    too_long = "w" * (MAX_COMMENT_LENGTH + 1)
    page = client.post(f"/r/{token}", data={"comment": too_long, "score": "2"})
    _assert_respondent_page_without_size_limit(page, 400)
    assert 'role="alert"' in page.text
    assert "Your comment is longer than 5,000 characters." in page.text
    assert too_long in page.text, "nothing the person typed is lost"
    assert _checked(page) == ["2"]
    assert 'aria-invalid="true"' in page.text
    (response,) = _responses(runtime)
    assert (response.score, response.comment) == (8, None), "nothing of the attempt is saved"


def _assert_respondent_page_without_size_limit(page: httpx.Response, status: int) -> None:
    assert page.status_code == status
    assert page.headers["content-security-policy"] == CSP


def test_a_bad_form_is_shown_again_with_the_reason(
    client: TestClient, runtime: Runtime, token: str
) -> None:
    for data, message in [
        ({"comment": "no score yet"}, "Please choose a score from 0 to 10."),
        ({"comment": "x", "score": "abc"}, "Please choose a score from 0 to 10."),
        ({"comment": "x", "score": "11"}, "Please choose a score from 0 to 10."),
        ({"comment": "a\x00b", "score": "5"}, "contains a character we cannot save"),
    ]:
        page = client.post(f"/r/{token}", data=data)
        _assert_respondent_page(page, 400)
        assert message in page.text, data
        assert _responses(runtime) == []


def _tampered(token: str) -> str:
    index = len(token) // 2
    return token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]


def test_bad_links_get_a_friendly_page_and_record_nothing(
    client: TestClient, runtime: Runtime, invitation_id: int, token: str
) -> None:
    unsubscribe_token = issue(
        secret=runtime.settings.signing_key,
        invitation_id=invitation_id,
        purpose=Purpose.UNSUBSCRIBE,
        now=runtime.clock.now(),
        ttl=timedelta(days=1),
    )
    invalid, bad_score = "This link is not valid", "Something is not right"
    cases = {
        "forged": ("/r/not-a-token/8", 404, invalid),
        "tampered": (f"/r/{_tampered(token)}/8", 404, invalid),
        "cut short": (f"/r/{token[:-3]}/8", 404, invalid),
        "wrong purpose": (f"/r/{unsubscribe_token}/8", 404, invalid),
        "answer token to unsubscribe": (f"/r/u/{token}", 404, invalid),
        "score 11": (f"/r/{token}/11", 400, bad_score),
        "score abc": (f"/r/{token}/abc", 400, bad_score),
        "negative score": (f"/r/{token}/-1", 400, bad_score),
        "unknown path": (f"/r/{token}/8/extra", 404, "We could not find this survey"),
    }
    for case, (path, status, title) in cases.items():
        page = client.get(path)
        _assert_respondent_page(page, status)
        assert f"<h1>{title}</h1>" in page.text, case
        assert _responses(runtime) == [], case
    with runtime.transaction() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None and invitation.state == InvitationState.SENT
        contact = session.get(Contact, invitation.contact_id)
        assert contact is not None and contact.unsubscribed_at is None


def test_an_expired_link_is_gone(
    client: TestClient, runtime: Runtime, clock: FrozenClock, token: str
) -> None:
    clock.advance(days=runtime.settings.token_ttl_days, seconds=1)
    for path in (f"/r/{token}/9", f"/r/{token}"):
        page = client.get(path)
        _assert_respondent_page(page, 410)
        assert "This link has expired" in page.text
    assert client.post(f"/r/{token}", data={"score": "9"}).status_code == 410
    assert _responses(runtime) == []


def test_a_link_to_a_deleted_invitation_is_not_found(
    client: TestClient, runtime: Runtime, invitation_id: int, token: str
) -> None:
    with runtime.transaction() as session:
        invitation = session.get(Invitation, invitation_id)
        session.delete(invitation)
    page = client.get(f"/r/{token}/9")
    _assert_respondent_page(page, 404)
    assert "We could not find this survey" in page.text
    assert "invitation" not in page.text, "no internals on a respondent's page"


@pytest.mark.parametrize("state", [InvitationState.CANCELLED, InvitationState.SUPPRESSED])
def test_a_closed_invitation_is_gone(
    client: TestClient, runtime: Runtime, state: InvitationState
) -> None:
    token = factories.token_for(runtime, factories.sent_invitation(runtime, state=state))
    for path in (f"/r/{token}/9", f"/r/{token}"):
        page = client.get(path)
        _assert_respondent_page(page, 410)
        assert "This survey is closed" in page.text
        assert "no longer open for answers" in page.text
    assert _responses(runtime) == []


def test_after_the_window_the_answer_is_shown_but_cannot_change(
    client: TestClient, runtime: Runtime, clock: FrozenClock, token: str
) -> None:
    client.get(f"/r/{token}/9")
    client.post(f"/r/{token}", data={"comment": "Great <b>support</b>"})
    clock.advance(days=runtime.settings.answer_window_days)

    again = client.get(f"/r/{token}/2")
    _assert_respondent_page(again, 410)
    assert "Your answer is final" in again.text
    assert "the answer can no longer be changed" in again.text

    page = client.get(f"/r/{token}")
    _assert_respondent_page(page, 200)
    assert "You answered 9 on 3 March 2026." in page.text
    assert "Great &lt;b&gt;support&lt;/b&gt;" in page.text
    assert "<form" not in page.text
    assert client.post(f"/r/{token}", data={"comment": "late"}).status_code == 410
    assert [(r.score, r.comment) for r in _responses(runtime)] == [(9, "Great <b>support</b>")]


def test_a_head_request_from_a_link_scanner_records_nothing(
    client: TestClient, runtime: Runtime, token: str
) -> None:
    assert client.head(f"/r/{token}/9").status_code in {404, 405}
    assert _responses(runtime) == []


def test_the_thanks_page_before_an_answer_points_to_the_survey(
    client: TestClient, token: str
) -> None:
    page = client.get(f"/r/{token}/thanks")
    _assert_respondent_page(page, 200)
    assert "You have not answered yet" in page.text


# unsubscribe


def _unsubscribed_at(runtime: Runtime, invitation_id: int) -> object:
    with runtime.transaction() as session:
        return session.scalar(
            select(Contact.unsubscribed_at)
            .join(Invitation, Invitation.contact_id == Contact.id)
            .where(Invitation.id == invitation_id)
        )


def test_the_unsubscribe_page_asks_before_it_acts(
    client: TestClient, runtime: Runtime, invitation_id: int
) -> None:
    path = factories.unsubscribe_path(runtime, invitation_id)
    page = client.get(path)
    _assert_respondent_page(page, 200)
    assert "<h1>Unsubscribe from surveys?</h1>" in page.text
    assert f"no longer receive surveys from {runtime.settings.workspace_name}." in page.text
    assert f'<form method="post" action="{path}">' in page.text
    assert _unsubscribed_at(runtime, invitation_id) is None

    done = client.post(path)
    _assert_respondent_page(done, 200)
    assert "You are unsubscribed" in done.text
    assert _unsubscribed_at(runtime, invitation_id) == runtime.clock.now()
    again = client.get(path)
    assert "You are unsubscribed" in again.text and "<form" not in again.text
    assert f"surveys from {runtime.settings.workspace_name}." in done.text


def test_the_rfc_8058_one_click_post_works_without_cookies(
    runtime: Runtime, invitation_id: int
) -> None:
    path = factories.unsubscribe_path(runtime, invitation_id)
    with TestClient(create_app(runtime)) as mail_client:
        first = mail_client.post(
            path,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        again = mail_client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert first.status_code == 200
    assert again.status_code == 200
    assert "set-cookie" not in first.headers
    assert _unsubscribed_at(runtime, invitation_id) == runtime.clock.now()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_answer_token_cannot_unsubscribe(
    client: TestClient, runtime: Runtime, token: str, invitation_id: int, method: str
) -> None:
    page = client.request(method, f"/r/u/{token}")
    _assert_respondent_page(page, 404)
    assert _unsubscribed_at(runtime, invitation_id) is None


def test_no_response_rows_leak_between_invitations(client: TestClient, runtime: Runtime) -> None:
    first = factories.token_for(runtime, factories.sent_invitation(runtime))
    second = factories.token_for(runtime, factories.sent_invitation(runtime))
    client.get(f"/r/{first}/10")
    client.get(f"/r/{second}/0")
    client.get(f"/r/{first}/9")
    with runtime.transaction() as session:
        count = session.scalar(select(func.count()).select_from(Response))
    assert count == 2
    assert sorted(r.score for r in _responses(runtime)) == [0, 9]
