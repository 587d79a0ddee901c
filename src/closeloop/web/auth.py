"""Dashboard sessions: a signed cookie, a CSRF token per session, a login redirect.

The cookie (Starlette's ``SessionMiddleware``) holds the user's id and a fingerprint of
their password hash, so changing the password ends every other session. It is signed
with a key derived from the workspace secret for this one purpose, so a session cookie
can never pass for a respondent token or the other way round.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware

from closeloop.api.deps import ReadSessionDep
from closeloop.auth.models import User
from closeloop.config import Settings
from closeloop.web import queries
from closeloop.web.urls import login_url

SESSION_COOKIE = "closeloop_session"
SESSION_MAX_AGE_SECONDS = 7 * 24 * 60 * 60
CSRF_FIELD = "csrf_token"
_USER_KEY = "user_id"
_STAMP_KEY = "stamp"
_CSRF_KEY = "csrf"


class LoginRequired(Exception):
    """The page needs a logged-in user; the handler sends the browser to the login form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def session_secret(settings: Settings) -> str:
    return hmac.new(
        settings.signing_key.encode(), b"closeloop.dashboard-session", hashlib.sha256
    ).hexdigest()


def install(app: FastAPI, settings: Settings) -> None:
    """Add the session cookie and the redirect of anonymous visitors to the login form."""
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_SECONDS,
        same_site="lax",
        https_only=settings.base_url.startswith("https://"),
    )
    app.add_exception_handler(LoginRequired, _redirect_to_login)


async def _redirect_to_login(request: Request, exc: Exception) -> Response:
    next_path = exc.next_path if isinstance(exc, LoginRequired) else request.url.path
    return RedirectResponse(login_url(next_path), status_code=303)


def _password_stamp(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def log_in(request: Request, user: User) -> None:
    """Start a fresh session for ``user`` (a new CSRF token too: no session fixation)."""
    request.session.clear()
    request.session[_USER_KEY] = user.id
    request.session[_STAMP_KEY] = _password_stamp(user)
    request.session[_CSRF_KEY] = secrets.token_urlsafe(32)


def log_out(request: Request) -> None:
    request.session.clear()


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use."""
    token = request.session.get(_CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[_CSRF_KEY] = token
    return token


def csrf_valid(request: Request, submitted: str) -> bool:
    expected = request.session.get(_CSRF_KEY)
    return (
        isinstance(expected, str)
        and bool(submitted)
        and hmac.compare_digest(expected.encode(), submitted.encode())
    )


def optional_user(request: Request, session: ReadSessionDep) -> User | None:
    """The logged-in user, or None (a stale session is forgotten).

    A read session: it only looks the user up, so on SQLite a page view never takes the
    write lock, and a read-only page shares its one session with this lookup.
    """
    user_id = request.session.get(_USER_KEY)
    if not isinstance(user_id, int):
        return None
    user = queries.get_user(session=session, user_id=user_id)
    if user is None or request.session.get(_STAMP_KEY) != _password_stamp(user):
        log_out(request)
        return None
    return user


def current_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        query = request.url.query
        raise LoginRequired(request.url.path + (f"?{query}" if query else ""))
    return user


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
