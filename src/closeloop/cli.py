"""The ``closeloop`` command. Commands are thin: parse, call one service, print."""

from __future__ import annotations

import logging
import sys
from typing import Annotated, NoReturn

import typer

from closeloop.analytics.breakdown import Dimension
from closeloop.auth.models import Scope
from closeloop.config import Settings
from closeloop.reports.nps import Format
from closeloop.runtime import Runtime

app = typer.Typer(no_args_is_help=True, help="closeloop — a self-hosted NPS program.")


def _runtime() -> Runtime:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return Runtime.create(settings)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _migrated_runtime() -> Runtime:
    """The runtime, once the schema is known to be current: a clear stop beats a 500 later."""
    from closeloop.db.migrate import pending_revisions  # noqa: PLC0415

    runtime = _runtime()
    if pending_revisions(runtime.engine):
        runtime.close()
        _fail("the database schema is not up to date: run `closeloop migrate` first")
    return runtime


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

    runtime = _migrated_runtime()
    runtime.settings.signing_key  # noqa: B018 - generate and announce the key at start-up
    uvicorn.run(
        create_app(runtime, with_worker=not no_worker),
        host=host,
        port=port,
        proxy_headers=True,
        log_level=runtime.settings.log_level.lower(),
    )


@app.command()
def worker() -> None:
    """Run the dispatcher alone; SIGTERM or SIGINT stop it after the message in hand."""
    from closeloop.invitations.dispatcher import run_worker  # noqa: PLC0415

    runtime = _migrated_runtime()
    runtime.settings.signing_key  # noqa: B018 - generate and announce the key at start-up
    try:
        run_worker(runtime)
    finally:
        runtime.close()


@app.command()
def demo() -> None:
    """Load the FacturaPlus demo (customers, journey events, answers); a second run is a no-op."""
    from closeloop.demo import service as demo_service  # noqa: PLC0415

    runtime = _migrated_runtime()
    try:
        with runtime.transaction() as session:
            result = demo_service.load(session=session, now=runtime.clock.now())
    finally:
        runtime.close()
    login = f"log in at {runtime.settings.base_url}/login as {demo_service.DEMO_EMAIL}"
    login += f" with the password {demo_service.DEMO_PASSWORD}"
    if not result.loaded:
        typer.echo(f"The FacturaPlus demo is already loaded; nothing changed ({login}).")
        return
    typer.echo(
        f"Loaded the FacturaPlus demo: {result.accounts} accounts, {result.contacts} contacts, "
        f"{result.events} events, {result.invitations} invitations, {result.answers} answers."
    )
    if result.user_created:
        typer.echo(f"Dashboard: {login}.")
    typer.echo(f"Admin API key (shown once, keep it safe): {result.api_key}")


apikey_app = typer.Typer(no_args_is_help=True, help="API keys for the native and compat APIs.")
app.add_typer(apikey_app, name="apikey")


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Option(help="What the key is for, shown in listings.")],
    scope: Annotated[
        Scope, typer.Option(help="ingest: write contacts and events only; admin: everything.")
    ] = Scope.INGEST,
) -> None:
    """Create an API key and print it (only the key, once: it is stored hashed)."""
    from closeloop.auth import service as auth_service  # noqa: PLC0415
    from closeloop.errors import ClosedLoopError  # noqa: PLC0415

    runtime = _runtime()
    try:
        with runtime.transaction() as session:
            _, key = auth_service.create_api_key(
                session=session, name=name, scope=scope, now=runtime.clock.now()
            )
    except ClosedLoopError as error:
        _fail(error.detail)
    finally:
        runtime.close()
    typer.echo(key)


user_app = typer.Typer(no_args_is_help=True, help="Dashboard users.")
app.add_typer(user_app, name="user")


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="The address the user logs in with.")],
    name: Annotated[
        str | None, typer.Option(help="The user's name, shown in the dashboard.")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a dashboard user; the password is asked for (twice) or read from stdin."""
    from closeloop.auth import service as auth_service  # noqa: PLC0415
    from closeloop.errors import ClosedLoopError  # noqa: PLC0415

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    runtime = _runtime()
    try:
        with runtime.transaction() as session:
            user = auth_service.create_user(
                session=session, email=email, password=password, name=name, now=runtime.clock.now()
            )
    except ClosedLoopError as error:
        _fail(error.detail)
    finally:
        runtime.close()
    typer.echo(f"Created the dashboard user {user.email}.")


report_app = typer.Typer(no_args_is_help=True, help="Reports on the answers.")
app.add_typer(report_app, name="report")


@report_app.command("nps")
def report_nps(
    *,
    by: Annotated[Dimension | None, typer.Option(help="Break the figures down.")] = None,
    period: Annotated[
        str | None, typer.Option(help="A length back from --until (or now): 30d, 12w, 6m.")
    ] = None,
    since: Annotated[str | None, typer.Option(help="First day (ISO date or datetime).")] = None,
    until: Annotated[str | None, typer.Option(help="Last day, included (ISO date).")] = None,
    survey: Annotated[str | None, typer.Option(help="Only this survey (its key).")] = None,
    output: Annotated[Format, typer.Option("--format", help="How to print it.")] = Format.TABLE,
) -> None:
    """NPS with promoters, passives, detractors and the margin of error (default: 90 days)."""
    from rich.console import Console  # noqa: PLC0415

    from closeloop.analytics import periods  # noqa: PLC0415
    from closeloop.errors import ClosedLoopError  # noqa: PLC0415
    from closeloop.reports import nps as nps_report  # noqa: PLC0415
    from closeloop.responses import service as responses  # noqa: PLC0415

    runtime = _runtime()
    try:
        span = periods.resolve(
            since=periods.parse_bound(since, field="since") if since else None,
            until=periods.parse_bound(until, field="until") if until else None,
            now=runtime.clock.now(),
            length=periods.parse_length(period) if period else None,
        )
        with runtime.read_transaction() as session:
            report = responses.nps_report(
                session=session, since=span.since, until=span.until, survey=survey, by=by
            )
    except ClosedLoopError as error:
        _fail(f"--{error.field}: {error.detail}" if error.field else error.detail)
    finally:
        runtime.close()
    if output is Format.TABLE:
        Console().print(nps_report.to_table(report))
    elif output is Format.CSV:
        sys.stdout.write(nps_report.to_csv(report))
    else:
        sys.stdout.write(nps_report.to_json(report))
