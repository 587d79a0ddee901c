"""Errors as Delighted answered them: ``{"status", "message"}``, plus ``errors`` on a 422.

Delighted's clients turn the status into their own exception classes (401
``AuthenticationError``, 422 ``ResourceValidationError``, 429 ``TooManyRequestsError``,
which reads ``Retry-After``) and integrations log the body, so this API answers in that
shape and never in the native API's problem+json. closeloop's own exceptions are mapped
once, here: a conflict (an email that belongs to someone else) is a 422 naming the field,
since Delighted had no 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from closeloop.errors import ClosedLoopError, Conflict, InvalidInput, Unauthorized

UNPROCESSABLE = "Unprocessable Entity"
BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="closeloop Delighted-compatible API"'}


class Invalid(InvalidInput):
    """The parameters are not valid; ``errors`` lists the messages of each field."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        field, messages = next(iter(errors.items()))
        super().__init__(f"{field} {messages[0]}", field=field)
        self.errors = {name: list(found) for name, found in errors.items()}


class RateLimited(ClosedLoopError):
    """This API key has made too many requests; retry later."""

    status: ClassVar[int] = 429
    title: ClassVar[str] = "Too Many Requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests: retry after {retry_after} seconds")
        self.retry_after = retry_after


class TooLarge(ClosedLoopError):
    """The request body is too large."""

    status: ClassVar[int] = 413
    title: ClassVar[str] = "Payload Too Large"


def error_response(
    status: int,
    message: str | None = None,
    *,
    errors: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"status": status, "message": message or HTTPStatus(status).phrase}
    if errors:
        body["errors"] = dict(errors)
    return JSONResponse(body, status_code=status, headers=headers)


def from_error(error: ClosedLoopError) -> JSONResponse:
    """The Delighted-shaped answer to one of closeloop's own exceptions."""
    if isinstance(error, Invalid):
        return error_response(422, UNPROCESSABLE, errors=error.errors)
    if isinstance(error, InvalidInput | Conflict):
        return error_response(422, UNPROCESSABLE, errors={error.field or "base": [error.detail]})
    if isinstance(error, Unauthorized):
        return error_response(401, error.detail, headers=BASIC_CHALLENGE)
    if isinstance(error, RateLimited):
        return error_response(429, error.detail, headers={"Retry-After": str(error.retry_after)})
    return error_response(error.status, error.detail)


def install(app: FastAPI) -> None:
    """The Delighted-shaped handlers of the compatible API's own application."""

    @app.exception_handler(ClosedLoopError)
    async def _closeloop_error(_request: Request, exc: ClosedLoopError) -> Response:
        return from_error(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
        errors: dict[str, list[str]] = {}
        for detail in exc.errors():
            parts = [str(part) for part in detail.get("loc", ()) if part not in {"path", "query"}]
            errors.setdefault(".".join(parts) or "base", []).append(detail.get("msg", "invalid"))
        return error_response(422, UNPROCESSABLE, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, _exc: Exception) -> Response:
        # the server still logs the exception: this only keeps the answer in shape
        return error_response(500)
