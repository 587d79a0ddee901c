"""Logging in to the dashboard: sessions, CSRF, wrong passwords, where to go next."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from closeloop.api.app import create_app
from closeloop.auth import service as auth
from closeloop.auth.models import User
from closeloop.demo.service import DEMO_EMAIL, DEMO_PASSWORD
from closeloop.runtime import Runtime
from closeloop.web.auth import SESSION_COOKIE
from tests.integration.web.factories import PASSWORD, csrf_from, log_in

PAGES_AND_LOGINS = [
    ("/", "/login"),
    ("/outbox", "/login?next=%2Foutbox"),
    ("/outbox?page=2", "/login?next=%2Foutbox%3Fpage%3D2"),
    ("/outbox/7", "/login?next=%2Foutbox%2F7"),
    ("/outbox/7/raw", "/login?next=%2Foutbox%2F7%2Fraw"),
    ("/outbox/not-a-number", "/login?next=%2Foutbox%2Fnot-a-number"),
]
NEXT_AND_LOCATION = [
    ("/outbox?page=2", "/outbox?page=2"),
    ("/outbox/3", "/outbox/3"),
    ("https://evil.example/phish", "/"),
    ("//evil.example", "/"),
    ("/\\evil.example", "/"),
    ("/\t/evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("/login", "/"),
]


def test_every_dashboard_page_needs_a_login(client: TestClient) -> None:
    for path, login in PAGES_AND_LOGINS:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == login


def test_the_login_form(client: TestClient) -> None:
    page = client.get("/login?next=/outbox")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'name="next" value="/outbox"' in page.text
    assert csrf_from(page.text)
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert DEMO_PASSWORD not in page.text


def test_logging_in_leads_to_the_overview(client: TestClient, user: User) -> None:
    response = log_in(client, user.email)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    overview = client.get("/")
    assert overview.status_code == 200
    assert "Marta Ruiz" in overview.text


def test_email_is_case_insensitive(client: TestClient, user: User) -> None:
    assert log_in(client, "  MARTA@FacturaPlus.test ").status_code == 303


def test_the_session_cookie_is_signed_http_only_and_lax(client: TestClient, user: User) -> None:
    response = log_in(client, user.email)
    cookie = SimpleCookie(response.headers["set-cookie"])[SESSION_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"].lower() == "lax"
    assert not cookie["secure"]


def test_the_session_cookie_is_secure_behind_https(runtime: Runtime, user: User) -> None:
    settings = runtime.settings.model_copy(update={"base_url": "https://nps.example.com"})
    secure_runtime = Runtime(
        settings=settings, engine=runtime.engine, sessions=runtime.sessions, clock=runtime.clock
    )
    with TestClient(create_app(secure_runtime), base_url="https://testserver") as client:
        response = log_in(client, user.email)
    assert response.status_code == 303
    assert SimpleCookie(response.headers["set-cookie"])[SESSION_COOKIE]["secure"]


@pytest.mark.parametrize(
    ("email", "password"),
    [("marta@facturaplus.test", "wrong password"), ("nobody@facturaplus.test", PASSWORD)],
)
def test_wrong_credentials_show_the_form_again_with_401(
    client: TestClient, user: User, email: str, password: str
) -> None:
    response = log_in(client, email, password)
    assert response.status_code == 401
    assert "Wrong email or password." in response.text
    assert f'value="{email}"' in response.text
    assert 'type="password"' in response.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_missing_fields_show_the_form_again(client: TestClient, user: User) -> None:
    token = csrf_from(client.get("/login").text)
    for data in ({"email": "", "password": PASSWORD}, {"email": user.email, "password": ""}, {}):
        response = client.post("/login", data={**data, "csrf_token": token})
        assert response.status_code == 422
        assert "Enter your email address and your password." in response.text


def test_a_post_without_the_sessions_csrf_token_is_rejected(client: TestClient, user: User) -> None:
    client.get("/login")
    for token in (None, "", "forged-token"):
        data = {"email": user.email, "password": PASSWORD}
        if token is not None:
            data["csrf_token"] = token
        response = client.post("/login", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert "log in again" in response.text
        assert client.get("/", follow_redirects=False).status_code == 303


def test_a_post_with_no_session_at_all_is_rejected(client: TestClient, user: User) -> None:
    data = {"email": user.email, "password": PASSWORD, "csrf_token": "guessed"}
    response = client.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 403


def test_a_token_from_another_session_is_rejected(
    client: TestClient, runtime: Runtime, user: User
) -> None:
    with TestClient(create_app(runtime)) as attacker:
        foreign_token = csrf_from(attacker.get("/login").text)
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": foreign_token},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_a_json_body_is_not_a_login(client: TestClient, user: User) -> None:
    client.get("/login")
    response = client.post("/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303


def test_an_overlong_field_is_refused_by_name(client: TestClient, user: User) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login", data={"email": "a" * 400 + "@x.io", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 422
    assert "email" in response.text


def test_next_only_leads_to_our_own_pages(client: TestClient, user: User) -> None:
    for next_path, location in NEXT_AND_LOCATION:
        response = log_in(client, user.email, next_path=next_path)
        assert response.status_code == 303
        assert response.headers["location"] == location, next_path


def test_an_unsafe_next_is_not_even_put_in_the_form(client: TestClient) -> None:
    page = client.get("/login", params={"next": "https://evil.example"})
    assert "evil.example" not in page.text


def test_a_logged_in_visitor_skips_the_form(logged_in: TestClient) -> None:
    response = logged_in.get("/login?next=/outbox", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/outbox"


def test_logging_out(logged_in: TestClient) -> None:
    token = csrf_from(logged_in.get("/").text)
    response = logged_in.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert logged_in.get("/", follow_redirects=False).status_code == 303


def test_logging_out_needs_the_csrf_token(logged_in: TestClient) -> None:
    response = logged_in.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert response.status_code == 403
    assert logged_in.get("/", follow_redirects=False).status_code == 200


def test_logging_in_again_renews_the_csrf_token(client: TestClient, user: User) -> None:
    before = csrf_from(client.get("/login").text)
    log_in(client, user.email)
    assert csrf_from(client.get("/").text) != before


def test_a_tampered_cookie_is_no_session(logged_in: TestClient) -> None:
    cookie = logged_in.cookies[SESSION_COOKIE]
    payload, _, _ = cookie.partition(".")
    logged_in.cookies.clear()
    logged_in.cookies.set(SESSION_COOKIE, payload + ".forged.signature")
    assert logged_in.get("/", follow_redirects=False).status_code == 303


def test_a_new_password_ends_other_sessions(
    logged_in: TestClient, runtime: Runtime, user: User
) -> None:
    with runtime.transaction() as session:
        row = session.scalars(select(User).where(User.id == user.id)).one()
        row.password_hash = auth.create_user(
            session=session, email="other@x.io", password="another password", name=None,
            now=runtime.clock.now(),
        ).password_hash  # fmt: skip
    assert logged_in.get("/", follow_redirects=False).status_code == 303


def test_a_deleted_user_is_logged_out(logged_in: TestClient, runtime: Runtime, user: User) -> None:
    with runtime.transaction() as session:
        session.delete(session.get(User, user.id))
    assert logged_in.get("/", follow_redirects=False).status_code == 303


def test_a_successful_login_is_recorded(client: TestClient, runtime: Runtime, user: User) -> None:
    log_in(client, user.email)
    with runtime.transaction() as session:
        row = session.get(User, user.id)
        assert row is not None
        assert row.last_login_at == runtime.clock.now()


def test_the_demo_login_is_shown_only_when_the_demo_user_exists(
    client: TestClient, runtime: Runtime
) -> None:
    assert DEMO_EMAIL not in client.get("/login").text
    with runtime.transaction() as session:
        auth.create_user(
            session=session,
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
            name="Demo",
            now=runtime.clock.now(),
        )
    page = client.get("/login").text
    assert DEMO_EMAIL in page
    assert DEMO_PASSWORD in page
    assert log_in(client, DEMO_EMAIL, DEMO_PASSWORD).status_code == 303
