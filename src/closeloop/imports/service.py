"""Running an import: rows read in batches, each batch one transaction, bad rows set aside.

The reader streams records; each is read into a value (pure, outside any transaction)
or rejected with its reason; every ``batch_size`` rows the good ones are written in one
transaction, and ``on_batch`` sees the batch's rejected rows and the running tally
inside that transaction, so whatever it records (the API records progress and the
rejected rows in the database) commits with the rows themselves, or not at all.

A batch the database side refuses as a whole (one row's identifiers belong to two
people, a concurrent writer won a race) is written again one row at a time, each in a
savepoint, so the one bad row is rejected with the reason and the others go in.
A dry run writes each batch the same way and rolls it back: the same report, nothing
kept (a person named in two batches then counts as created twice).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closeloop.errors import ClosedLoopError
from closeloop.imports import kinds
from closeloop.imports.cells import RowRejected
from closeloop.imports.kinds import Kind
from closeloop.imports.reading import BadRecord, Reader, Unreadable
from closeloop.imports.schemas import ImportKind
from closeloop.imports.tally import Outcome, Rejection, Tally
from closeloop.runtime import Runtime

BATCH_SIZE = 5_000
# "events.3.contact.email" → "contact.email": the row is named by its line instead
_ITEM_PATH = re.compile(r"^(?:events|rows)\.\d+\.?")


class Stopped(Exception):
    """The import was asked to stop between two batches; what is written stays."""


@dataclass(frozen=True)
class Batch:
    """One written batch, as ``on_batch`` sees it inside its transaction."""

    rejections: list[Rejection]
    tally: Tally
    # every row up to this line is now in (or rejected): where a resumed import starts
    last_line: int


OnBatch = Callable[[Session, Batch], None]


def kind_for(*, runtime: Runtime, kind: ImportKind) -> Kind:
    return kinds.for_kind(kind, settings=runtime.settings, now=runtime.clock.now())


def check_columns(kind: Kind, reader: Reader) -> None:
    """A file without the columns its kind cannot do without is refused before any row."""
    if reader.names is not None:
        missing = kind.required(reader.names)
        if missing:
            columns = ", ".join(repr(column) for column in reader.columns or [])
            raise Unreadable(
                f"the file has no {missing[0]} column, nor one mapped to it (its columns: "
                f"{columns})"
            )


def run(
    *,
    runtime: Runtime,
    reader: Reader,
    kind: Kind,
    on_batch: OnBatch,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    tally: Tally | None = None,
    skip_through: int = 0,
    stop: threading.Event | None = None,
) -> Tally:
    """Import every record of ``reader``; the tally at the end.

    A resumed import passes the ``tally`` so far and ``skip_through``, the last line of
    its last committed batch: the lines before it are read past, not imported again.
    """
    tally = tally or Tally()
    # where each value came from, for the error file: not the record, whose fields
    # are done with once read (freed at once, while still in the processor's cache)
    origins: list[tuple[int, list[str]]] = []
    values: list[Any] = []
    rejections: list[Rejection] = []

    def flush(read: int, last_line: int) -> None:
        imported_before = tally.imported
        with _unit_of_work(runtime, dry_run) as session:
            results = _write(session, kind, values, runtime.clock.now())
            for result, count in Counter(results).items():
                if isinstance(result, Outcome):
                    tally.count(result, count)
            if tally.imported - imported_before != len(results):
                for (line, cells), result in zip(origins, results, strict=True):
                    if not isinstance(result, Outcome):
                        rejections.append(Rejection(line, result, cells))
            rejections.sort(key=lambda rejection: rejection.line)
            tally.read += read
            tally.rejected += len(rejections)
            tally.bytes_read = reader.bytes_read
            origins.clear()
            values.clear()
            on_batch(session, Batch(list(rejections), tally, last_line))
        rejections.clear()

    # the loop every row goes through: its names are local, its checks few
    parse = kind.parse
    pending = 0
    line = skip_through
    for item in reader:
        line = item.line
        if line <= skip_through:
            continue
        pending += 1
        if isinstance(item, BadRecord):
            rejections.append(Rejection(*item))
        else:
            try:
                values.append(parse(item.fields))
                origins.append((line, item.cells))
            except RowRejected as rejected:
                rejections.append(Rejection(line, str(rejected), item.cells))
        if pending >= batch_size:
            flush(pending, line)
            pending = 0
            if stop is not None and stop.is_set():
                raise Stopped
    if pending:
        flush(pending, line)
    return tally


def _write(
    session: Session, kind: Kind, values: Sequence[Any], now: datetime
) -> list[Outcome | str]:
    if not values:
        return []
    try:
        with session.begin_nested():
            return kind.write(session, values, now)
    except (ClosedLoopError, IntegrityError):
        pass  # one row spoils the batch: write them one at a time to find it
    results: list[Outcome | str] = []
    for value in values:
        try:
            with session.begin_nested():
                results.extend(kind.write(session, [value], now))
        except ClosedLoopError as error:
            field = _ITEM_PATH.sub("", error.field or "")
            results.append(f"{field}: {error.detail}" if field else error.detail)
        except IntegrityError as error:
            results.append(f"the database refused it: {str(error.orig).splitlines()[0]}")
    return results


@contextmanager
def _unit_of_work(runtime: Runtime, dry_run: bool) -> Iterator[Session]:
    """A committed transaction, or for a dry run one that is always rolled back."""
    if not dry_run:
        with runtime.transaction() as session:
            yield session
        return
    with runtime.sessions() as session:
        session.begin()
        try:
            yield session
        finally:
            session.rollback()
