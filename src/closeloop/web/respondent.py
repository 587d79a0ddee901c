"""The pages a respondent reaches from a survey email: answer, explain, unsubscribe.

The signed token in the URL is the only credential: the pages need no cookie, no CSRF
token and no JavaScript, so a mail client's RFC 8058 one-click POST works as well as
a browser. Whatever goes wrong (a forged, cut or expired link, a closed survey, a
score off the scale) the person gets a friendly page with a 4xx status and nothing is
recorded. Every page carries the same strict security headers.

Every page speaks the person's language (``closeloop.i18n``): the one their invitation
names, the same as their email's. A link that no longer says who it was for (forged,
cut short, expired) is answered in the browser's language (``Accept-Language``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from closeloop.api.deps import RuntimeDep, SessionDep
from closeloop.errors import ClosedLoopError, Gone, InvalidInput, NotFound
from closeloop.i18n.locales import accept_language, negotiate
from closeloop.i18n.markup import HtmlTexts
from closeloop.i18n.texts import Texts
from closeloop.invitations import service as invitations
from closeloop.responses import answering, service
from closeloop.responses.tokens import Purpose, TokenError, TokenExpired, verify
from closeloop.runtime import Runtime
from closeloop.web.pages import render

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}
# far above a 5,000-character comment, so a long paste still gets the friendly "too long"
# form with the text kept; only abuse meets the bare 413
MAX_FORM_BYTES = 1024 * 1024


def _page(
    request: Request, template: str, texts: Texts, context: dict[str, Any], *, status: int = 200
) -> Response:
    """A page in the person's language: ``t`` gives our texts, ``lang`` and ``dir`` the rest."""
    locale = texts.locale
    return render(
        request,
        template,
        {**context, "t": HtmlTexts(texts), "lang": locale.tag, "dir": locale.direction},
        status=status,
    )


def _respondent_texts(*, session: Session, runtime: Runtime, invitation_id: int) -> Texts:
    preferences = invitations.get_preferred_locales(session=session, invitation_id=invitation_id)
    return Texts(negotiate(preferences, default=runtime.settings.default_locale))


def _error_texts(request: Request) -> Texts:
    """The person's language when the link still names their invitation, else the browser's."""
    runtime: Runtime = request.app.state.runtime
    invitation_id: int | None = getattr(request.state, "invitation_id", None)
    if invitation_id is None:
        preferences: Sequence[str] = accept_language(request.headers.get("accept-language"))
        return Texts(negotiate(preferences, default=runtime.settings.default_locale))
    # the request's own transaction is over (rolled back): a short read of its own
    with runtime.read_transaction() as session:
        return _respondent_texts(session=session, runtime=runtime, invitation_id=invitation_id)


def _problem(error: Exception) -> tuple[int, str, str]:
    """The status, and the keys of the title and the text, for each way a request fails.

    The errors' own details are English sentences written for the API; a respondent
    gets one of ours in their language instead, and never an internal detail.
    """
    if isinstance(error, TokenExpired):
        return 410, "error.expired.title", "error.expired.detail"
    if isinstance(error, TokenError):
        return 404, "error.invalid_link.title", "error.invalid_link.detail"
    if isinstance(error, NotFound):
        return 404, "error.not_found.title", "error.not_found.detail"
    if isinstance(error, Gone) and error.field == "invitation":
        return 410, "error.closed.title", "error.closed.detail"
    if isinstance(error, Gone):
        return 410, "error.final.title", "error.final.detail"
    if isinstance(error, InvalidInput) and error.field == "score":
        return 400, "error.bad_request.title", "error.bad_score.detail"
    if isinstance(error, InvalidInput | RequestValidationError):
        return 400, "error.bad_request.title", "error.bad_request.detail"
    assert isinstance(error, ClosedLoopError)
    return error.status, "error.unexpected.title", "error.unexpected.detail"


def _error_page(request: Request, error: Exception) -> Response:
    """The friendly page for each way a respondent's request can fail."""
    texts = _error_texts(request)
    html = HtmlTexts(texts)
    status, title, detail = _problem(error)
    # the plain title is the tab's; the heading may be marked up as an isolate
    context = {"title": texts(title), "heading": html(title), "detail": html(detail)}
    return _page(request, "error.html", texts, context, status=status)


def _form_error(texts: Texts, error: InvalidInput, *, scale: range, comment: str | None) -> str:
    """What to fix in the form, in the person's language."""
    if error.field == "comment":
        if comment is not None and "\x00" in comment:
            return texts("follow_up.comment_unreadable")
        return texts("follow_up.comment_too_long", limit=texts.number(answering.MAX_COMMENT_LENGTH))
    if error.field == "score":
        return texts("follow_up.score_error", low_score=scale.start, high_score=scale[-1])
    return texts("error.bad_request.detail")


class RespondentRoute(APIRoute):
    """A route that turns our errors into friendly pages and adds the security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except (ClosedLoopError, TokenError, RequestValidationError) as error:
                # off the event loop: the page may read the person's language from the database
                response = await run_in_threadpool(_error_page, request, error)
            response.headers.update(SECURITY_HEADERS)
            return response

        return guarded


router = APIRouter(
    route_class=RespondentRoute, include_in_schema=False, max_body_size=MAX_FORM_BYTES
)


def _claims(request: Request, runtime: Runtime, token: str, purpose: Purpose) -> int:
    claims = verify(
        secret=runtime.settings.signing_key, token=token, purpose=purpose, now=runtime.clock.now()
    )
    # so that an error page further on can still speak the person's language
    request.state.invitation_id = claims.invitation_id
    return claims.invitation_id


# async: checking an HMAC is a few microseconds of CPU and no I/O, cheaper on the event
# loop than a round trip through the thread pool on every click (bench/respond.py)


async def _answering(request: Request, token: str, runtime: RuntimeDep) -> int:
    return _claims(request, runtime, token, Purpose.ANSWER)


async def _unsubscribing(request: Request, token: str, runtime: RuntimeDep) -> int:
    return _claims(request, runtime, token, Purpose.UNSUBSCRIBE)


AnswerInvitation = Annotated[int, Depends(_answering)]
UnsubscribeInvitation = Annotated[int, Depends(_unsubscribing)]


def _window(runtime: Runtime) -> timedelta:
    return timedelta(days=runtime.settings.answer_window_days)


def _follow_up_page(
    request: Request,
    *,
    session: Session,
    runtime: Runtime,
    token: str,
    invitation_id: int,
    error: InvalidInput | None = None,
    comment: str | None = None,
    selected: str | None = None,
) -> Response:
    page = service.follow_up(
        session=session,
        invitation_id=invitation_id,
        now=runtime.clock.now(),
        product_name=runtime.settings.product_name,
        answer_window=_window(runtime),
        default_locale=runtime.settings.default_locale,
    )
    texts = Texts(page.locale)
    html = HtmlTexts(texts)
    low, high = texts.scale_ends(page.kind)
    context = {
        "title": page.question,
        "page": page,
        "token": token,
        "low": html.isolate(low),
        "high": html.isolate(high),
        "error": (
            html.isolate(_form_error(texts, error, scale=page.scale, comment=comment))
            if error
            else None
        ),
        "error_field": error.field if error else None,
        "comment": page.comment if comment is None else comment,
        "selected": str(page.score) if selected is None else selected,
        "max_comment": texts.number(answering.MAX_COMMENT_LENGTH),
    }
    template = "respondent/follow_up.html" if page.can_change else "respondent/answered.html"
    return _page(request, template, texts, context, status=400 if error else 200)


# unsubscribe comes first: /r/u/{token} would otherwise read as a token "u" and a score


@router.get("/r/u/{token}")
def unsubscribe_page(
    request: Request,
    token: str,
    invitation_id: UnsubscribeInvitation,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Asks first: link scanners follow GET links, and must not unsubscribe anyone."""
    contact = service.unsubscribe_target(session=session, invitation_id=invitation_id)
    texts = _respondent_texts(session=session, runtime=runtime, invitation_id=invitation_id)
    context = {
        "title": texts("unsubscribe.title"),
        "token": token,
        "contact": contact,
        "workspace": runtime.settings.workspace_name,
    }
    return _page(request, "respondent/unsubscribe.html", texts, context)


@router.post("/r/u/{token}")
def unsubscribe(
    request: Request, invitation_id: UnsubscribeInvitation, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The page's button and the RFC 8058 one-click POST (``List-Unsubscribe=One-Click``)."""
    service.unsubscribe(session=session, invitation_id=invitation_id, now=runtime.clock.now())
    texts = _respondent_texts(session=session, runtime=runtime, invitation_id=invitation_id)
    context = {"title": texts("unsubscribed.title"), "workspace": runtime.settings.workspace_name}
    return _page(request, "respondent/unsubscribed.html", texts, context)


@router.get("/r/{token}/thanks")
def thanks(
    *,
    request: Request,
    token: str,
    invitation_id: AnswerInvitation,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    page = service.follow_up(
        session=session,
        invitation_id=invitation_id,
        now=runtime.clock.now(),
        product_name=runtime.settings.product_name,
        answer_window=_window(runtime),
        default_locale=runtime.settings.default_locale,
    )
    invitation = invitations.get_or_404(session=session, invitation_id=invitation_id)
    texts = Texts(page.locale)
    context = {
        "title": texts("thanks.title"),
        "page": page,
        "token": token,
        "thank_you": _thank_you(invitation.context),
    }
    return _page(request, "respondent/thanks.html", texts, context)


@dataclass(frozen=True)
class ThankYou:
    """What the request that made the invitation asked the thank-you page to say."""

    message: str | None
    link_url: str | None
    link_text: str | None


def _thank_you(context: Mapping[str, object]) -> ThankYou | None:
    """A request's own thank-you (a Delighted request's ``thank_you_*`` properties).

    The link is checked again here, not only when it came in: it is shown to respondents,
    so anything but an http(s) URL (``javascript:``) is dropped.
    """
    message = invitations.context_text(context, "thank_you_message")
    url = invitations.context_text(context, "thank_you_link_url")
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        url = None
    if message is None and url is None:
        return None
    text = invitations.context_text(context, "thank_you_link_text") or url
    return ThankYou(message=message, link_url=url, link_text=text)


@router.get("/r/{token}/{score}")
def answer(
    *,
    request: Request,
    token: str,
    score: str,
    invitation_id: AnswerInvitation,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """One click in the email records the score, then asks why."""
    service.record_score(
        session=session,
        invitation_id=invitation_id,
        score=answering.parse_score(score),
        now=runtime.clock.now(),
        answer_window=_window(runtime),
    )
    return _follow_up_page(
        request, session=session, runtime=runtime, token=token, invitation_id=invitation_id
    )


@router.get("/r/{token}")
def follow_up(
    *,
    request: Request,
    token: str,
    invitation_id: AnswerInvitation,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    return _follow_up_page(
        request, session=session, runtime=runtime, token=token, invitation_id=invitation_id
    )


@router.post("/r/{token}")
def save(
    *,
    request: Request,
    token: str,
    invitation_id: AnswerInvitation,
    session: SessionDep,
    runtime: RuntimeDep,
    comment: Annotated[str | None, Form()] = None,
    score: Annotated[str, Form()] = "",
) -> Response:
    """Save the comment (and a changed score), then show the thank-you page (303).

    A bad comment or score shows the form again with the person's words kept, and the
    savepoint guarantees nothing of the attempt is written. A body without the comment
    field (not our form) leaves the stored comment alone.
    """
    try:
        with session.begin_nested():
            service.add_comment(
                session=session,
                invitation_id=invitation_id,
                comment=comment,
                score=answering.parse_score(score) if score.strip() else None,
                now=runtime.clock.now(),
                answer_window=_window(runtime),
            )
    except InvalidInput as error:
        return _follow_up_page(
            request,
            session=session,
            runtime=runtime,
            token=token,
            invitation_id=invitation_id,
            error=error,
            comment=comment,
            selected=score,
        )
    return RedirectResponse(f"/r/{token}/thanks", status_code=303)


@router.api_route("/r/{rest:path}", methods=["GET", "POST"])
def unknown(rest: str) -> Response:
    """Anything else under /r/ (a link cut short, say) gets the same friendly 404."""
    raise NotFound()
