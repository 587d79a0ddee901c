"""The dashboard: login, the overview and the development outbox. Thin: parse, query, render."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from closeloop import __version__
from closeloop.api.deps import ReadSessionDep, RuntimeDep, SessionDep
from closeloop.auth import service as auth_service
from closeloop.auth.models import User
from closeloop.demo.service import DEMO_EMAIL, DEMO_PASSWORD
from closeloop.errors import Forbidden, Unauthorized
from closeloop.responses.cursors import MAX_ID
from closeloop.web import auth, display, queries
from closeloop.web.pages import render
from closeloop.web.urls import LOGIN_PATH, LOGOUT_PATH, safe_next

STATIC_DIR = Path(__file__).parent / "static"
OUTBOX_PAGE_SIZE = 25
# pages that show people's answers are private: never framed, cached or leaked by referrer
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

router = APIRouter(include_in_schema=False)
# a BIGINT: a larger number in the URL would overflow the query, not miss a row
MessageId = Annotated[int, PathParam(ge=1, le=MAX_ID)]


def static_files() -> StaticFiles:
    """The dashboard's stylesheet and icon, served at ``/static``."""
    return StaticFiles(directory=STATIC_DIR)


def _page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    user: User | None,
    status: int = 200,
) -> HTMLResponse:
    response = render(
        request,
        f"dashboard/{template}",
        {
            "user": user,
            "csrf_field": auth.CSRF_FIELD,
            "csrf_token": auth.csrf_token(request),
            "version": __version__,
            **context,
        },
        status=status,
    )
    response.headers.update(PRIVATE_HEADERS)
    return response


def _login_form(
    request: Request,
    session: SessionDep,
    *,
    next_path: str,
    email: str = "",
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "next": next_path,
        "email": email,
        "error": error,
        "demo_login": (DEMO_EMAIL, DEMO_PASSWORD)
        if queries.user_exists(session=session, email=DEMO_EMAIL)
        else None,
    }
    return _page(request, "login.html", context, user=None, status=status)


@router.get(LOGIN_PATH, response_class=HTMLResponse)
def login_page(
    request: Request,
    session: ReadSessionDep,
    user: auth.OptionalUser,
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, session, next_path=safe_next(next))


@router.post(LOGIN_PATH, response_class=HTMLResponse)
def log_in(
    *,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    next_path = safe_next(next)
    form = partial(_login_form, request, session, next_path=next_path, email=email.strip())
    if not auth.csrf_valid(request, csrf_token):
        error = "Your session expired or this form is stale. Please log in again."
        return form(error=error, status=403)
    if not email.strip() or not password:
        return form(error="Enter your email address and your password.", status=422)
    try:
        user = auth_service.authenticate_user(
            session=session, email=email, password=password, now=runtime.clock.now()
        )
    except Unauthorized:
        return form(error="Wrong email or password.", status=401)
    auth.log_in(request, user)
    return RedirectResponse(next_path, status_code=303)


@router.post(LOGOUT_PATH)
def log_out(
    request: Request,
    user: auth.CurrentUser,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if not auth.csrf_valid(request, csrf_token):
        raise Forbidden("this logout form is stale; reload the page and try again")
    auth.log_out(request)
    return RedirectResponse(LOGIN_PATH, status_code=303)


@router.get("/", response_class=HTMLResponse)
def overview_page(
    request: Request, session: ReadSessionDep, runtime: RuntimeDep, user: auth.CurrentUser
) -> HTMLResponse:
    now = runtime.clock.now()
    overview = queries.overview(session=session, now=now)
    context = {
        "active": "overview",
        "overview": overview,
        "bar": display.stacked_bar(overview.summary),
        "display": display,
        "ago": partial(display.time_ago, now=now),
        "outbox_count": overview.outbox_count,
    }
    return _page(request, "overview.html", context, user=user)


@router.get("/outbox", response_class=HTMLResponse)
def outbox_page(
    request: Request,
    session: ReadSessionDep,
    runtime: RuntimeDep,
    user: auth.CurrentUser,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    total = queries.outbox_count(session=session)
    pagination = display.Pagination(page=page, per_page=OUTBOX_PAGE_SIZE, total=total)
    entries = queries.list_outbox(
        session=session, offset=pagination.offset, limit=pagination.per_page
    )
    context = {
        "active": "outbox",
        "entries": entries,
        "pagination": pagination,
        "outbox_count": total,
        "ago": partial(display.time_ago, now=runtime.clock.now()),
    }
    return _page(request, "outbox.html", context, user=user)


@router.get("/outbox/{message_id}", response_class=HTMLResponse)
def outbox_message_page(
    request: Request, session: ReadSessionDep, user: auth.CurrentUser, message_id: MessageId
) -> HTMLResponse:
    message = queries.get_outbox_message(session=session, message_id=message_id)
    context = {
        "active": "outbox",
        "message": message,
        "headers": display.message_headers(message.raw),
        "text": display.linkify(message.text_body),
        "html": display.links_open_in_new_tab(message.html_body) if message.html_body else None,
        "outbox_count": queries.outbox_count(session=session),
        "display": display,
    }
    return _page(request, "outbox_message.html", context, user=user)


@router.get("/outbox/{message_id}/raw")
def outbox_message_raw(
    session: ReadSessionDep, user: auth.CurrentUser, message_id: MessageId
) -> Response:
    message = queries.get_outbox_message(session=session, message_id=message_id)
    media_type, filename = display.raw_download(channel=message.channel, message_id=message.id)
    return Response(
        message.raw,
        media_type=media_type,
        headers={**PRIVATE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
    )
