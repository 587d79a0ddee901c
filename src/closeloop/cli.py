"""The ``closeloop`` command. Commands are thin: parse, call one service, print."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from closeloop.config import Settings
from closeloop.runtime import Runtime

app = typer.Typer(no_args_is_help=True, help="closeloop — a self-hosted NPS program.")


def _runtime() -> Runtime:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return Runtime.create(settings)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (the only way the schema changes)."""
    from closeloop.db.migrate import upgrade  # noqa: PLC0415

    runtime = _runtime()
    upgrade(runtime.settings.resolved_database_url)
    typer.echo("database is up to date")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Do not run the dispatcher in this process.")
    ] = False,
) -> None:
    """Serve the dashboard, the API and the respondent pages (with the dispatcher)."""
    import uvicorn  # noqa: PLC0415

    from closeloop.api.app import create_app  # noqa: PLC0415

    runtime = _runtime()
    runtime.settings.signing_key  # noqa: B018 - generate and announce the key at start-up
    uvicorn.run(
        create_app(runtime, with_worker=not no_worker),
        host=host,
        port=port,
        proxy_headers=True,
        log_level=runtime.settings.log_level.lower(),
    )
