"""``closeloop import contacts|accounts|events|delighted-responses FILE``.

Exit status: 0 when every row went in, 1 when some were rejected (listed in the error
file), 2 when the input could not be imported at all (nothing written).
"""

from __future__ import annotations

import gc
import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from closeloop.imports import rejections
from closeloop.imports.rejections import RejectionFile
from closeloop.imports.schemas import ImportFormat, ImportKind
from closeloop.imports.tally import Tally

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from closeloop.imports.service import Batch
    from closeloop.runtime import Runtime

UNUSABLE = 2
SOME_REJECTED = 1
INTERRUPTED = 130
LEAN_SQLITE_PRAGMAS = ("PRAGMA cache_size=-65536", "PRAGMA mmap_size=0")
# batches between two collections of cyclic garbage (see _collector_paused)
COLLECT_EVERY = 20

import_app = typer.Typer(
    no_args_is_help=True,
    help="Import contacts, accounts, events or Delighted's history from CSV or JSONL.",
)

FileArgument = Annotated[
    str, typer.Argument(metavar="FILE", help="A .csv or .jsonl file, or - for standard input.")
]
MapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        metavar="FIELD=COLUMN",
        help="Take a field from a differently named column (repeatable): --map email=E-mail.",
    ),
]
FormatOption = Annotated[
    ImportFormat | None,
    typer.Option("--format", help="csv or jsonl; by default the file's extension says."),
]
DryRunOption = Annotated[
    bool,
    typer.Option("--dry-run", help="Check every row and report as usual, but write nothing."),
]
ErrorsOption = Annotated[
    Path | None,
    typer.Option(
        "--errors",
        help="Where to list the rejected rows (default: FILE.rejected.csv beside the input).",
    ),
]
EncodingOption = Annotated[
    str | None,
    typer.Option(help="The file's encoding (utf-8, cp1252…); by default it is detected."),
]
DelimiterOption = Annotated[
    str | None, typer.Option(help="The CSV delimiter; by default sniffed from the header.")
]
BatchOption = Annotated[
    int | None,
    typer.Option(min=1, max=50_000, help="Rows written per transaction (default 5,000)."),
]


@dataclass(frozen=True)
class _Request:
    """One ``closeloop import`` command line, as typed."""

    kind: ImportKind
    file: str
    map_specs: list[str]
    format: ImportFormat | None
    dry_run: bool
    errors: Path | None
    encoding: str | None
    delimiter: str | None
    batch_size: int | None


@import_app.command("contacts")
def import_contacts(
    file: FileArgument,
    *,
    map_: MapOption = None,
    format_: FormatOption = None,
    dry_run: DryRunOption = False,
    errors: ErrorsOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    batch_size: BatchOption = None,
) -> None:
    """Create or update people: found by external_id, then email; other columns are traits."""
    _import(
        _Request(
            ImportKind.CONTACTS,
            file,
            map_ or [],
            format_,
            dry_run,
            errors,
            encoding,
            delimiter,
            batch_size,
        )
    )


@import_app.command("accounts")
def import_accounts(
    file: FileArgument,
    *,
    map_: MapOption = None,
    format_: FormatOption = None,
    dry_run: DryRunOption = False,
    errors: ErrorsOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    batch_size: BatchOption = None,
) -> None:
    """Create or update companies: found by external_id, then name; other columns are traits."""
    _import(
        _Request(
            ImportKind.ACCOUNTS,
            file,
            map_ or [],
            format_,
            dry_run,
            errors,
            encoding,
            delimiter,
            batch_size,
        )
    )


@import_app.command("events")
def import_events(
    file: FileArgument,
    *,
    map_: MapOption = None,
    format_: FormatOption = None,
    dry_run: DryRunOption = False,
    errors: ErrorsOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    batch_size: BatchOption = None,
) -> None:
    """Append journey events (stored once by message_id) and run the trigger rules on them."""
    _import(
        _Request(
            ImportKind.EVENTS,
            file,
            map_ or [],
            format_,
            dry_run,
            errors,
            encoding,
            delimiter,
            batch_size,
        )
    )


@import_app.command("delighted-responses")
def import_delighted_responses(
    file: FileArgument,
    *,
    map_: MapOption = None,
    dry_run: DryRunOption = False,
    errors: ErrorsOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    batch_size: BatchOption = None,
) -> None:
    """Import the answers of a Delighted CSV export, with their dates and their people."""
    _import(
        _Request(
            ImportKind.DELIGHTED_RESPONSES,
            file,
            map_ or [],
            ImportFormat.CSV,
            dry_run,
            errors,
            encoding,
            delimiter,
            batch_size,
        )
    )


def _import(request: _Request) -> None:
    """Check the command line, run the import, report; map every failure to its exit code."""
    from closeloop.cli import _migrated_runtime  # noqa: PLC0415 - closeloop.cli imports this
    from closeloop.errors import ClosedLoopError  # noqa: PLC0415
    from closeloop.imports import mapping  # noqa: PLC0415
    from closeloop.imports.reading import Unreadable  # noqa: PLC0415

    try:
        renames = mapping.parse(request.map_specs)
    except mapping.InvalidMapping as error:
        _stop(f"--map: {error}")
    chosen = request.format or ImportFormat.from_name(request.file)
    if chosen is None:
        _stop("--format: say csv or jsonl (the file name does not)")
    if request.delimiter is not None and len(request.delimiter) != 1:
        _stop("--delimiter: one character, such as ';'")
    runtime = _migrated_runtime()
    _lean_sqlite(runtime)
    started = time.perf_counter()
    try:
        name, tally, rejected = _run(runtime, request, renames, chosen)
    except Unreadable as error:
        _stop(str(error))
    except ClosedLoopError as error:
        _stop(error.detail)
    except KeyboardInterrupt:
        typer.echo(
            "interrupted: the batches written so far stay in; importing the file again "
            "carries on (rows already in are left as they are)",
            err=True,
        )
        raise typer.Exit(INTERRUPTED) from None
    finally:
        runtime.close()
    _report(request, name, tally, rejected, time.perf_counter() - started)


def _run(
    runtime: Runtime, request: _Request, renames: dict[str, str], chosen: ImportFormat
) -> tuple[str, Tally, Path]:
    """The import itself: the file's name, the tally, and where rejected rows went."""
    from closeloop.imports import service  # noqa: PLC0415
    from closeloop.imports.reading import Reader, Source  # noqa: PLC0415

    kind = service.kind_for(runtime=runtime, kind=request.kind)
    source = Source.open(request.file)
    try:
        reader = Reader(
            source,
            format=chosen,
            renames=renames,
            canonical=kind.canonical,
            encoding=request.encoding,
            delimiter=request.delimiter,
        )
        service.check_columns(kind, reader)
        for note in reader.notes:
            typer.echo(f"note: {note}", err=True)
        rejected = RejectionFile(
            request.errors or rejections.default_path(request.file), reader.columns
        )
        batches = itertools.count(1)

        def after_batch(_session: Session, batch: Batch) -> None:
            rejected.write(batch.rejections)
            bar.show(batch.tally)
            if next(batches) % COLLECT_EVERY == 0:
                gc.collect()

        with rejected, _Bar(source.name, source.size) as bar, _collector_paused():
            tally = service.run(
                runtime=runtime,
                reader=reader,
                kind=kind,
                on_batch=after_batch,
                dry_run=request.dry_run,
                batch_size=request.batch_size or service.BATCH_SIZE,
            )
    finally:
        source.close()
    return source.name, tally, rejected.path


def _report(request: _Request, name: str, tally: Tally, rejected: Path, seconds: float) -> None:
    counts = f"{tally.created:,} created, {tally.updated:,} updated, {tally.unchanged:,} unchanged"
    what = f"{request.kind.value} rows from {name}"
    if request.dry_run:
        typer.echo(
            f"Dry run, nothing written: {tally.imported:,} of {tally.read:,} {what} would be "
            f"imported ({counts})."
        )
    else:
        rate = f", {tally.read / seconds:,.0f} rows/s" if seconds > 0 else ""
        typer.echo(
            f"Imported {tally.imported:,} of {tally.read:,} {what} ({counts}) "
            f"in {seconds:,.1f} s{rate}."
        )
    if tally.rejected:
        rows = f"{tally.rejected:,} row{'s' * (tally.rejected != 1)}"
        typer.echo(f"{rows} rejected: see {rejected} for each line and reason.", err=True)
        raise typer.Exit(SOME_REJECTED)


def _lean_sqlite(runtime: Runtime) -> None:
    """Hold this command's SQLite page cache to 64 MiB, and read without memory mapping.

    The server's settings (a 128 MiB cache a connection, 256 MiB mapped) keep a busy
    database's hot pages at hand; an import instead streams through a file whose pages
    it mostly touches once, and would end up holding most of them: 285 MB of peak RSS
    for a million contacts, 187 MB with these settings, at the same speed
    (docs/performance.md).
    """
    from sqlalchemy import event  # noqa: PLC0415

    if runtime.engine.dialect.name != "sqlite":
        return

    def lean(connection: Any, _record: object) -> None:
        for pragma in LEAN_SQLITE_PRAGMAS:
            connection.execute(pragma)

    event.listen(runtime.engine, "connect", lean)
    runtime.engine.dispose()  # the connection that checked the schema reconnects with them


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Collect cyclic garbage every few batches instead of every few hundred allocations.

    An import allocates several objects a row that live until their batch is written,
    so the collector would run thousands of times, each time walking every object the
    process holds (SQLAlchemy's, pydantic's…): measured, a third of the import's CPU time.
    The objects loaded before the import are frozen out of its sight, automatic
    collection is off, and the command collects every ``COLLECT_EVERY`` batches: rows
    hold no cycles (reference counting frees them), only each batch's session leaves a
    little cyclic garbage, so memory stays bounded whatever the file's size.
    The command owns its process, so it may; the server's import runner does not.
    """
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def _stop(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(UNUSABLE)


class _Bar:
    """Progress on standard error: rows, rate, and the time left from the bytes read."""

    def __init__(self, name: str, size: int | None) -> None:
        from rich.console import Console  # noqa: PLC0415
        from rich.progress import (  # noqa: PLC0415
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        console = Console(stderr=True)
        self._started = time.perf_counter()
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[rows]} rows, {task.fields[rate]} rows/s"),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
        )
        self._task = self._progress.add_task(name, total=size, rows="0", rate="–")

    def __enter__(self) -> _Bar:
        self._progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._progress.stop()

    def show(self, tally: Tally) -> None:
        elapsed = time.perf_counter() - self._started
        self._progress.update(
            self._task,
            completed=tally.bytes_read,
            rows=f"{tally.read:,}",
            rate=f"{tally.read / elapsed:,.0f}" if elapsed > 0 else "–",
        )
