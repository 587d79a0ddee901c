"""RFC 9457 problem details: every API error names the field and the reason.

Respondent and dashboard pages (anything outside the JSON APIs) get a friendly HTML
page with the same status instead of JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from closeloop.errors import ClosedLoopError

PROBLEM_JSON = "application/problem+json"
JSON_PREFIXES = ("/api/", "/compat/")


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in location if part not in {"body", "query", "path", "header"}]
    return ".".join(parts) or "body"


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(JSON_PREFIXES) and request.url.path not in {
        "/healthz",
        "/metrics",
    }


def install(app: FastAPI) -> None:
    from closeloop.web.pages import error_page  # noqa: PLC0415 - web imports api lazily

    @app.exception_handler(ClosedLoopError)
    async def _closeloop_error(request: Request, exc: ClosedLoopError) -> Response:
        if _wants_html(request):
            return error_page(request, status=exc.status, title=exc.title, detail=exc.detail)
        errors = [{"field": exc.field, "reason": exc.detail}] if exc.field else None
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem(exc.status, exc.title, exc.detail, errors=errors, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {
                # a JSON syntax error's location is a character offset, not a field
                "field": "body"
                if error.get("type") == "json_invalid"
                else _field_path(error.get("loc", ())),
                "reason": error.get("msg", "invalid"),
            }
            for error in exc.errors()
        ]
        if _wants_html(request):
            detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
            return error_page(request, status=422, title="Invalid input", detail=detail)
        first = errors[0] if errors else {"field": "body", "reason": "invalid"}
        detail = f"{first['field']}: {first['reason']}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
        return problem(422, "Invalid input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = str(exc.detail)
        if _wants_html(request):
            return error_page(request, status=exc.status_code, title=detail, detail=detail)
        return problem(exc.status_code, detail, detail, headers=exc.headers)
