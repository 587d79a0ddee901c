"""The application factory: nothing happens at import time."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from closeloop import __version__
from closeloop.api import problems
from closeloop.runtime import Runtime

log = logging.getLogger(__name__)

API_DESCRIPTION = """
The native closeloop API. Authenticate with an API key: `Authorization: Bearer cl_…`
(create one with `closeloop apikey create --name NAME --scope admin|ingest`).
An `ingest` key can only write contacts and events; an `admin` key can do everything.
Errors are RFC 9457 `application/problem+json` documents naming the field and the reason.
"""


def create_app(runtime: Runtime, *, with_worker: bool = False) -> FastAPI:
    """Build the app; with ``with_worker`` the dispatcher and the planner run in threads
    beside it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        workers: list[threading.Thread] = []
        if with_worker:
            from closeloop.invitations.dispatcher import Dispatcher  # noqa: PLC0415
            from closeloop.triggers import planner  # noqa: PLC0415

            dispatcher = Dispatcher.for_runtime(runtime)
            workers = [
                threading.Thread(
                    target=dispatcher.run_forever, args=(stop,), name="dispatcher", daemon=True
                ),
                threading.Thread(
                    target=planner.run_forever, args=(runtime, stop), name="planner", daemon=True
                ),
            ]
            for worker in workers:
                worker.start()
        try:
            yield
        finally:
            stop.set()
            for worker in workers:
                worker.join(timeout=30)

    # the API docs' Swagger UI is served from the package, not a CDN: self-hosted means
    # /docs works behind a firewall too
    app = FastAPIOffline(
        title="closeloop",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        static_url="/docs-static",
    )
    app.state.runtime = runtime
    problems.install(app)
    _install_dashboard_session(app, runtime)
    _include_routers(app)
    _mount_delighted(app, runtime)
    return app


def _mount_delighted(app: FastAPI, runtime: Runtime) -> None:
    """The Delighted-compatible API is an application of its own: everything it answers,
    errors included, keeps Delighted's shapes (see closeloop.compat.delighted.app)."""
    from closeloop.compat.delighted.app import PREFIX  # noqa: PLC0415
    from closeloop.compat.delighted.app import create_app as delighted_app  # noqa: PLC0415

    app.mount(PREFIX, delighted_app(runtime))


def _include_routers(app: FastAPI) -> None:
    """Each feature owns its router; the app only mounts them, in the order of the flow."""
    from closeloop.api.ops import router as ops_router  # noqa: PLC0415
    from closeloop.compat.segment.views import router as segment_router  # noqa: PLC0415
    from closeloop.contacts.views import router as contacts_router  # noqa: PLC0415
    from closeloop.events.views import router as events_router  # noqa: PLC0415
    from closeloop.imports.views import router as imports_router  # noqa: PLC0415
    from closeloop.invitations.views import router as invitations_router  # noqa: PLC0415
    from closeloop.journeys.views import router as journey_router  # noqa: PLC0415
    from closeloop.responses.views import router as responses_router  # noqa: PLC0415
    from closeloop.surveys.views import router as surveys_router  # noqa: PLC0415
    from closeloop.triggers.campaign_views import router as campaigns_router  # noqa: PLC0415
    from closeloop.triggers.decision_views import router as decisions_router  # noqa: PLC0415
    from closeloop.triggers.rule_views import router as rules_router  # noqa: PLC0415
    from closeloop.web import dashboard  # noqa: PLC0415
    from closeloop.web.respondent import router as respondent_router  # noqa: PLC0415

    for router in (
        contacts_router,
        events_router,
        segment_router,
        imports_router,
        decisions_router,
        surveys_router,
        journey_router,
        rules_router,
        campaigns_router,
        invitations_router,
        responses_router,
        respondent_router,
        ops_router,
        dashboard.router,
    ):
        app.include_router(router)
    app.mount("/static", dashboard.static_files(), name="static")


def _install_dashboard_session(app: FastAPI, runtime: Runtime) -> None:
    """The dashboard's signed session cookie and its redirect to the login form."""
    from closeloop.web import auth as dashboard_auth  # noqa: PLC0415

    dashboard_auth.install(app, runtime.settings)
