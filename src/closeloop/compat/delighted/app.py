"""The Delighted-compatible API as an application of its own, mounted at ``/compat/delighted/v1``.

An application rather than routers in the native one, so that everything it answers,
including a 404 for an unknown path, a 405 and a crash, is in Delighted's error shape
(:mod:`.errors`) and never in the native API's problem+json; and so that ``.json`` at the
end of a path (``/people.json``, as Delighted's documentation and clients spell it) can
be dropped before routing, once, for every endpoint.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from closeloop.compat.delighted import errors
from closeloop.compat.delighted.answer_views import router as answers_router
from closeloop.compat.delighted.autopilot_views import router as autopilot_router
from closeloop.compat.delighted.paging import PREFIX
from closeloop.compat.delighted.people_views import router as people_router
from closeloop.compat.delighted.ratelimit import KeyLimiter
from closeloop.runtime import Runtime

__all__ = ["PREFIX", "create_app"]
JSON_SUFFIX = ".json"


class DropJsonSuffix:
    """``/people.json`` routes as ``/people``: Delighted accepted both."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith(JSON_SUFFIX):
            scope = dict(scope, path=scope["path"].removesuffix(JSON_SUFFIX))
            raw_path = scope.get("raw_path")
            if isinstance(raw_path, bytes):
                scope["raw_path"] = raw_path.removesuffix(JSON_SUFFIX.encode())
        await self.app(scope, receive, send)


def create_app(runtime: Runtime) -> FastAPI:
    """The API, its error handlers and one rate limiter for this process."""
    app = FastAPI(
        title="closeloop: Delighted-compatible API",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.delighted_limiter = KeyLimiter(runtime.settings.delighted_rate_limit)
    errors.install(app)
    app.add_middleware(DropJsonSuffix)
    for router in (people_router, answers_router, autopilot_router):
        app.include_router(router)
    return app
