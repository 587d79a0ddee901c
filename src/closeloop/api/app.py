"""The application factory: nothing happens at import time."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

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
    """Build the app; with ``with_worker`` the dispatcher runs in a thread beside it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        worker: threading.Thread | None = None
        if with_worker:
            from closeloop.invitations.dispatcher import Dispatcher  # noqa: PLC0415

            dispatcher = Dispatcher.for_runtime(runtime)
            worker = threading.Thread(
                target=dispatcher.run_forever, args=(stop,), name="dispatcher", daemon=True
            )
            worker.start()
        try:
            yield
        finally:
            stop.set()
            if worker is not None:
                worker.join(timeout=30)

    app = FastAPI(
        title="closeloop",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    problems.install(app)
    _include_routers(app)
    return app


def _include_routers(app: FastAPI) -> None:
    """Each feature owns its router; the app only mounts them."""
