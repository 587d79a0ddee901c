"""The ``closeloop`` command. Commands are thin: parse, call one service, print."""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from closeloop.analytics.breakdown import Dimension
from closeloop.auth.models import Scope
from closeloop.config import Settings
from closeloop.imports.cli import import_app
from closeloop.reports.nps import Format
from closeloop.runtime import Runtime
from closeloop.triggers.simulation_report import Format as SimulationFormat

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
    """Run the dispatcher and the planner; SIGTERM or SIGINT stop them after the message
    in hand."""
    from closeloop.invitations.dispatcher import run_worker  # noqa: PLC0415
    from closeloop.triggers import planner  # noqa: PLC0415

    runtime = _migrated_runtime()
    runtime.settings.signing_key  # noqa: B018 - generate and announce the key at start-up
    try:
        with planner.in_background(runtime):
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


playbook_app = typer.Typer(
    no_args_is_help=True, help="Industry playbooks: a journey, its surveys and trigger rules."
)
app.add_typer(playbook_app, name="playbook")


@playbook_app.command("list")
def playbook_list() -> None:
    """The playbooks shipped with closeloop, and what each brings."""
    import textwrap  # noqa: PLC0415

    from closeloop.playbooks import loader  # noqa: PLC0415

    for playbook in loader.shipped():
        typer.echo(
            f"{playbook.name}: {len(playbook.stages)} stages, "
            f"{len(playbook.touchpoints)} touchpoints, {len(playbook.surveys)} surveys, "
            f"{len(playbook.rules)} rules"
        )
        typer.echo(textwrap.fill(playbook.description, initial_indent="  ", subsequent_indent="  "))


@playbook_app.command("apply")
def playbook_apply(
    name_or_file: Annotated[
        str,
        typer.Argument(
            metavar="NAME|FILE", help="A shipped playbook (see `playbook list`) or a YAML file."
        ),
    ],
) -> None:
    """Apply a playbook: stages, touchpoints, surveys and rules (again: only what changed).

    An invalid playbook changes nothing; each problem is printed as FILE:LINE: path: reason.
    """
    from closeloop.errors import ClosedLoopError  # noqa: PLC0415
    from closeloop.playbooks import loader  # noqa: PLC0415
    from closeloop.playbooks import service as playbooks  # noqa: PLC0415
    from closeloop.playbooks.parsing import InvalidPlaybook  # noqa: PLC0415

    runtime: Runtime | None = None
    try:
        playbook = loader.resolve(name_or_file)
        runtime = _migrated_runtime()
        with runtime.transaction() as session:
            summary = playbooks.apply(session=session, playbook=playbook, now=runtime.clock.now())
    except InvalidPlaybook as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        count = len(error.problems)
        _fail(f"the playbook is not valid ({count} problem{'s' * (count != 1)}); nothing applied")
    except ClosedLoopError as error:
        _fail(error.detail)
    finally:
        if runtime is not None:
            runtime.close()
    typer.echo(f"Applied the {summary.playbook} playbook:")
    for part, changes in summary.parts().items():
        counts = [
            f"{len(keys)} {what}" + (f" ({', '.join(keys)})" if what != "unchanged" else "")
            for what, keys in (
                ("created", changes.created),
                ("updated", changes.updated),
                ("unchanged", changes.unchanged),
            )
            if keys
        ]
        typer.echo(f"  {part + ':':<13}{', '.join(counts) or 'none'}")


app.add_typer(import_app, name="import")

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


triggers_app = typer.Typer(no_args_is_help=True, help="Trigger rules.")
app.add_typer(triggers_app, name="triggers")


@triggers_app.command("simulate")
def triggers_simulate(
    *,
    since: Annotated[
        str | None,
        typer.Option(help="First day replayed (ISO date or datetime); default 90 days back."),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Last day replayed, included (ISO date).")
    ] = None,
    rule: Annotated[
        list[str] | None,
        typer.Option(help="Only this rule (its key; repeat for several), even if switched off."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            help="Replay a JSONL file of events (the API's shape, in time order) instead of "
            "the event log.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    output: Annotated[
        SimulationFormat, typer.Option("--format", help="How to print it.")
    ] = SimulationFormat.TABLE,
) -> None:
    """Replay past events through today's rules and policy: what each rule would send, per
    week and to whom, and what the policy would stop. Nothing is sent or written."""
    from rich.console import Console  # noqa: PLC0415

    from closeloop.analytics import periods  # noqa: PLC0415
    from closeloop.errors import ClosedLoopError  # noqa: PLC0415
    from closeloop.triggers import simulation, simulation_report  # noqa: PLC0415

    runtime = _migrated_runtime()
    try:
        first = periods.parse_bound(since, field="since") if since else None
        last = periods.parse_bound(until, field="until") if until else None
        with runtime.read_transaction() as session:
            if file is not None:
                start, end = periods.bounds(since=first, until=last)
                with file.open(encoding="utf-8") as lines:
                    report = simulation.simulate_file(
                        session=session, settings=runtime.settings, lines=lines, since=start,
                        until=end, rule_keys=rule or (), name=file.name,
                    )  # fmt: skip
            else:
                span = periods.resolve(since=first, until=last, now=runtime.clock.now())
                report = simulation.simulate_events(
                    session=session, settings=runtime.settings, since=span.since,
                    until=span.until, rule_keys=rule or (),
                )  # fmt: skip
    except ClosedLoopError as error:
        _fail(f"--{error.field}: {error.detail}" if error.field else error.detail)
    except UnicodeDecodeError:
        _fail("--file: is not UTF-8 text")
    finally:
        runtime.close()
    if output is SimulationFormat.TABLE:
        Console().print(simulation_report.to_table(report))
    else:
        sys.stdout.write(simulation_report.to_json(report))


campaign_app = typer.Typer(no_args_is_help=True, help="Campaigns: progress, pause, resume.")
app.add_typer(campaign_app, name="campaign")


class CampaignAction(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    STATUS = "status"


@campaign_app.command("pause")
def campaign_pause(key: Annotated[str, typer.Argument(help="The campaign rule's key.")]) -> None:
    """Take nobody more until resumed (nothing is earned while paused)."""
    _campaign(CampaignAction.PAUSE, key)


@campaign_app.command("resume")
def campaign_resume(key: Annotated[str, typer.Argument(help="The campaign rule's key.")]) -> None:
    """Carry on from the next person, at the campaign's rate (no burst)."""
    _campaign(CampaignAction.RESUME, key)


@campaign_app.command("status")
def campaign_status(key: Annotated[str, typer.Argument(help="The campaign rule's key.")]) -> None:
    """How far the campaign has got through its audience."""
    _campaign(CampaignAction.STATUS, key)


def _campaign(action: CampaignAction, key: str) -> None:
    from closeloop.errors import ClosedLoopError  # noqa: PLC0415
    from closeloop.triggers import campaigns  # noqa: PLC0415

    runtime = _migrated_runtime()
    try:
        with runtime.transaction() as session:
            now = runtime.clock.now()
            if action is CampaignAction.PAUSE:
                status = campaigns.pause(session=session, key=key, now=now)
            elif action is CampaignAction.RESUME:
                status = campaigns.resume(session=session, key=key, now=now)
            else:
                status = campaigns.status(session=session, key=key)
    except ClosedLoopError as error:
        _fail(error.detail)
    finally:
        runtime.close()
    switched_off = "" if status.enabled else " (the rule is switched off)"
    typer.echo(f"{status.key}: {status.status}{switched_off}")
    typer.echo(f"  enrolled {status.enrolled}, skipped {status.skipped}")
    typer.echo(f"  {status.rate_per_hour} an hour, may take {status.budget:.2f} now")
    last = status.last_run.isoformat() if status.last_run else "never"
    typer.echo(f"  last run {last}")
