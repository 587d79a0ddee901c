"""The pages a respondent reaches from a survey email: answer, explain, unsubscribe.

The signed token in the URL is the only credential: the pages need no cookie, no CSRF
token and no JavaScript, so a mail client's RFC 8058 one-click POST works as well as
a browser. Whatever goes wrong (a forged, cut or expired link, a closed survey, a
score off the scale) the person gets a friendly page with a 4xx status and nothing is
recorded. Every page carries the same strict security headers.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from closeloop.api.deps import RuntimeDep, SessionDep
from closeloop.errors import ClosedLoopError, Gone, InvalidInput, NotFound
from closeloop.invitations import service as invitations
from closeloop.responses import answering, service
from closeloop.responses.tokens import Purpose, TokenError, TokenExpired, verify
from closeloop.runtime import Runtime
from closeloop.web.pages import error_page, render

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
LINK_HINT = "Please use the link from your most recent survey email."


def _error_page(request: Request, error: Exception) -> Response:
    """The friendly page for each way a respondent's request can fail."""
    if isinstance(error, TokenExpired):
        status, title, detail = 410, "This link has expired", f"{error} {LINK_HINT}"
    elif isinstance(error, TokenError):
        status, title, detail = 404, "This link is not valid", f"{error} {LINK_HINT}"
    elif isinstance(error, NotFound):
        status, title = 404, "We could not find this survey"
        detail = "It may have been withdrawn. Thank you for your time all the same."
    elif isinstance(error, Gone) and error.field == "invitation":
        status, title = 410, "This survey is closed"
        detail = "It is no longer open for answers. Thank you for your time all the same."
    elif isinstance(error, Gone):
        status, title, detail = 410, "Your answer is final", _sentence(error.detail)
    elif isinstance(error, InvalidInput):
        status, title, detail = 400, "Something is not right", _sentence(error.detail)
    elif isinstance(error, RequestValidationError):
        status, title, detail = 400, "Something is not right", "The form could not be read."
    else:
        assert isinstance(error, ClosedLoopError)
        status, title, detail = error.status, error.title, _sentence(error.detail)
    return error_page(request, status=status, title=title, detail=detail)


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


class RespondentRoute(APIRoute):
    """A route that turns our errors into friendly pages and adds the security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except (ClosedLoopError, TokenError, RequestValidationError) as error:
                response = _error_page(request, error)
            response.headers.update(SECURITY_HEADERS)
            return response

        return guarded


router = APIRouter(
    route_class=RespondentRoute, include_in_schema=False, max_body_size=MAX_FORM_BYTES
)


def _claims(runtime: Runtime, token: str, purpose: Purpose) -> int:
    claims = verify(
        secret=runtime.settings.signing_key, token=token, purpose=purpose, now=runtime.clock.now()
    )
    return claims.invitation_id


def _answering(token: str, runtime: RuntimeDep) -> int:
    return _claims(runtime, token, Purpose.ANSWER)


def _unsubscribing(token: str, runtime: RuntimeDep) -> int:
    return _claims(runtime, token, Purpose.UNSUBSCRIBE)


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
    )
    low, high = answering.scale_ends(page.kind)
    context = {
        "title": page.question,
        "page": page,
        "token": token,
        "low": low,
        "high": high,
        "error": _sentence(error.detail) if error else None,
        "error_field": error.field if error else None,
        "comment": page.comment if comment is None else comment,
        "selected": str(page.score) if selected is None else selected,
        "day": answering.day,
        "max_comment": answering.MAX_COMMENT_LENGTH,
    }
    template = "respondent/follow_up.html" if page.can_change else "respondent/answered.html"
    return render(request, template, context, status=400 if error else 200)


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
    context = {
        "title": "Unsubscribe from surveys?",
        "token": token,
        "contact": contact,
        "workspace": runtime.settings.workspace_name,
    }
    return render(request, "respondent/unsubscribe.html", context)


@router.post("/r/u/{token}")
def unsubscribe(
    request: Request, invitation_id: UnsubscribeInvitation, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The page's button and the RFC 8058 one-click POST (``List-Unsubscribe=One-Click``)."""
    service.unsubscribe(session=session, invitation_id=invitation_id, now=runtime.clock.now())
    context = {"title": "You are unsubscribed", "workspace": runtime.settings.workspace_name}
    return render(request, "respondent/unsubscribed.html", context)


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
    )
    invitation = invitations.get_or_404(session=session, invitation_id=invitation_id)
    context = {
        "title": "Thank you",
        "page": page,
        "token": token,
        "day": answering.day,
        "thank_you": _thank_you(invitation.context),
    }
    return render(request, "respondent/thanks.html", context)


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
