"""Logging in to the dashboard: sessions, CSRF, wrong passwords, where to go next."""

from __future__ import annotations

import dataclasses
from http.cookies import SimpleCookie

from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from closeloop.api.app import create_app
from closeloop.auth.models import User
from closeloop.demo.service import DEMO_EMAIL, DEMO_PASSWORD
from closeloop.runtime import Runtime
from closeloop.web.auth import SESSION_COOKIE
from tests.integration.web import factories
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
    assert "evil.example" not in client.get("/login", params={"next": "https://evil.example"}).text


def test_logging_in(client: TestClient, runtime: Runtime, user: User) -> None:
    token_before = csrf_from(client.get("/login").text)

    response = log_in(client, "  MARTA@FacturaPlus.test ")  # email is case-insensitive

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = SimpleCookie(response.headers["set-cookie"])[SESSION_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"].lower() == "lax"
    assert not cookie["secure"]
    overview = client.get("/")
    assert overview.status_code == 200
    assert "Marta Ruiz" in overview.text
    assert csrf_from(overview.text) != token_before  # a fresh session: no fixation
    with runtime.transaction() as session:
        row = session.get(User, user.id)
        assert row is not None
        assert row.last_login_at == runtime.clock.now()


def test_the_session_cookie_is_secure_behind_https(runtime: Runtime, user: User) -> None:
    settings = runtime.settings.model_copy(update={"base_url": "https://nps.example.com"})
    secure_runtime = dataclasses.replace(runtime, settings=settings)
    with TestClient(create_app(secure_runtime), base_url="https://testserver") as client:
        response = log_in(client, user.email)
    assert response.status_code == 303
    assert SimpleCookie(response.headers["set-cookie"])[SESSION_COOKIE]["secure"]


def test_wrong_credentials_show_the_form_again_with_401(client: TestClient, user: User) -> None:
    for email, password in [(user.email, "wrong password"), ("nobody@facturaplus.test", PASSWORD)]:
        response = log_in(client, email, password)
        assert response.status_code == 401
        assert "Wrong email or password." in response.text
        assert f'value="{email}"' in response.text
        assert 'type="password"' in response.text
        assert client.get("/", follow_redirects=False).status_code == 303


def test_incomplete_or_malformed_forms(client: TestClient, user: User) -> None:
    token = csrf_from(client.get("/login").text)
    for data in ({"email": "", "password": PASSWORD}, {"email": user.email, "password": ""}, {}):
        response = client.post("/login", data={**data, "csrf_token": token})
        assert response.status_code == 422
        assert "Enter your email address and your password." in response.text
    overlong = {"email": "a" * 400 + "@x.io", "password": PASSWORD, "csrf_token": token}
    response = client.post("/login", data=overlong)
    assert response.status_code == 422
    assert "email" in response.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_post_without_this_sessions_csrf_token_is_rejected(
    client: TestClient, runtime: Runtime, user: User
) -> None:
    credentials = {"email": user.email, "password": PASSWORD}
    # no session at all
    response = client.post("/login", data={**credentials, "csrf_token": "guessed"})
    assert response.status_code == 403
    # a session, but a missing, empty, forged or foreign token
    with TestClient(create_app(runtime)) as attacker:
        foreign = csrf_from(attacker.get("/login").text)
    client.get("/login")
    for token in (None, "", "forged-token", foreign):
        data = credentials if token is None else {**credentials, "csrf_token": token}
        response = client.post("/login", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert "log in again" in response.text
    # and a JSON body is no form at all
    assert client.post("/login", json=credentials).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303


def test_next_only_leads_to_our_own_pages(client: TestClient, user: User) -> None:
    assert log_in(client, user.email, next_path="/outbox?page=2").headers["location"] == (
        "/outbox?page=2"
    )
    # logged in, the form sends people on at once, through the same rule
    for next_path, location in NEXT_AND_LOCATION:
        response = client.get("/login", params={"next": next_path}, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == location, next_path
    log_out = client.post("/logout", data={"csrf_token": csrf_from(client.get("/").text)})
    assert log_out.status_code == 200
    evil = log_in(client, user.email, next_path="https://evil.example/phish")
    assert evil.headers["location"] == "/"


def test_logging_out(logged_in: TestClient) -> None:
    forged = logged_in.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    assert logged_in.get("/", follow_redirects=False).status_code == 200

    token = csrf_from(logged_in.get("/").text)
    response = logged_in.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert logged_in.get("/", follow_redirects=False).status_code == 303


def test_a_session_ends_with_a_forged_cookie_a_new_password_or_a_deleted_user(
    logged_in: TestClient, runtime: Runtime, user: User
) -> None:
    genuine = logged_in.cookies[SESSION_COOKIE]
    payload, _, _ = genuine.partition(".")
    logged_in.cookies.clear()
    logged_in.cookies.set(SESSION_COOKIE, payload + ".forged.signature")
    assert logged_in.get("/", follow_redirects=False).status_code == 303

    logged_in.cookies.clear()
    logged_in.cookies.set(SESSION_COOKIE, genuine)
    assert logged_in.get("/", follow_redirects=False).status_code == 200
    with runtime.transaction() as session:
        row = session.get(User, user.id)
        assert row is not None
        row.password_hash = PasswordHasher().hash("a brand new password")
    assert logged_in.get("/", follow_redirects=False).status_code == 303

    assert log_in(logged_in, user.email, "a brand new password").status_code == 303
    with runtime.transaction() as session:
        session.delete(session.get(User, user.id))
    assert logged_in.get("/", follow_redirects=False).status_code == 303


def test_the_demo_login_is_shown_only_when_the_demo_user_exists(
    client: TestClient, runtime: Runtime
) -> None:
    assert DEMO_EMAIL not in client.get("/login").text
    with runtime.transaction() as session:
        factories.user(session, now=runtime.clock.now(), email=DEMO_EMAIL, name="Demo")
    page = client.get("/login").text
    assert DEMO_EMAIL in page
    assert DEMO_PASSWORD in page
