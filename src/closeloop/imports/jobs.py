"""Uploaded imports as durable jobs: queued, claimed with a lease, resumed, finished or failed.

An upload is stored under the data directory and an ``Import`` row says what it is.
A process claims a queued import by moving it to ``running`` and stamping a heartbeat;
each committed batch moves the heartbeat on with the progress. A running import whose
heartbeat is older than the lease has lost its process (killed, crashed, the machine
gone): the next process to look claims it again and resumes after its last committed
line, and one that keeps dying is failed, with the reason, after ``MAX_ATTEMPTS``. So
no import stays ``running`` for ever, and none is imported twice at once: every write
of a claimant names its attempt, and a claimant that lost the import to another process
finds out at its next batch, whose transaction is then rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, insert, or_, select, update
from sqlalchemy.orm import Session

from closeloop.errors import NotFound
from closeloop.imports.models import Import, ImportRejection, ImportState
from closeloop.imports.schemas import ImportFormat, ImportKind
from closeloop.imports.service import Batch
from closeloop.imports.tally import Tally

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 3
UPLOADS = Path("imports")


class Superseded(Exception):
    """Another process has taken this import over; this one must stop writing."""


def enqueue(
    *,
    session: Session,
    kind: ImportKind,
    format: ImportFormat,
    file_name: str | None,
    stored_path: Path,
    size_bytes: int,
    options: dict[str, Any],
    now: datetime,
) -> Import:
    """Record an upload (already stored under the data directory) as a queued import."""
    item = Import(
        kind=kind.value,
        format=format.value,
        file_name=file_name,
        stored_path=str(stored_path),
        size_bytes=size_bytes,
        options=options,
        state=ImportState.QUEUED.value,
        attempts=0,
        last_line=0,
        bytes_read=0,
        rows_read=0,
        rows_imported=0,
        rows_rejected=0,
        notes=[],
        created_at=now,
    )
    session.add(item)
    session.flush()
    return item


def get_or_404(*, session: Session, import_id: int) -> Import:
    item = session.get(Import, import_id)
    if item is None:
        raise NotFound(f"no import with id {import_id}")
    return item


def has_work(*, session: Session, now: datetime) -> bool:
    """Whether an import waits to be claimed: cheap, so it can be asked every few seconds."""
    return session.scalar(select(Import.id).where(_claimable(now)).limit(1)) is not None


def claim(*, session: Session, now: datetime) -> Import | None:
    """The next import to run, now this process's; None when there is none.

    An import that has died ``MAX_ATTEMPTS`` times is failed on the way, visibly.
    """
    for item in session.scalars(select(Import).where(_claimable(now)).order_by(Import.id)).all():
        if item.state == ImportState.RUNNING.value and item.attempts >= MAX_ATTEMPTS:
            _fail_abandoned(session, item, now)
            continue
        taken = session.execute(
            update(Import)
            .where(Import.id == item.id, Import.attempts == item.attempts, _claimable(now))
            .values(
                state=ImportState.RUNNING.value,
                attempts=item.attempts + 1,
                heartbeat_at=now,
                started_at=item.started_at or now,
            )
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], taken).rowcount == 1:
            session.refresh(item)
            return item
    return None


def start(
    *, session: Session, item: Import, columns: list[str] | None, notes: list[str], now: datetime
) -> None:
    """Note what reading the file found before its first row: its header, its encoding."""
    _update_mine(session, item, now, columns=columns, notes=notes)


def record_batch(*, session: Session, item: Import, batch: Batch, now: datetime) -> None:
    """Progress and rejected rows, in the batch's own transaction (``Superseded`` if lost)."""
    tally = batch.tally
    _update_mine(
        session,
        item,
        now,
        last_line=batch.last_line,
        bytes_read=tally.bytes_read,
        rows_read=tally.read,
        rows_imported=tally.imported,
        rows_rejected=tally.rejected,
    )
    if batch.rejections:
        session.execute(
            insert(ImportRejection),
            [
                {"import_id": item.id, "line": line, "reason": reason, "record": cells}
                for line, reason, cells in batch.rejections
            ],
        )


def finish(*, session: Session, item: Import, now: datetime) -> None:
    _update_mine(
        session,
        item,
        now,
        state=ImportState.DONE.value,
        bytes_read=item.size_bytes,
        finished_at=now,
    )


def fail(*, session: Session, item: Import, reason: str, now: datetime) -> None:
    """The import cannot go on; the rows committed so far stay, and the reason is shown."""
    _update_mine(session, item, now, state=ImportState.FAILED.value, error=reason, finished_at=now)


def requeue(*, session: Session, item: Import, now: datetime) -> None:
    """Put back an import this process stops (it is shutting down): another one resumes it."""
    _update_mine(session, item, now, state=ImportState.QUEUED.value)


def resumed_tally(item: Import) -> Tally:
    """The counts an import had reached when its last attempt stopped."""
    return Tally(
        read=item.rows_read,
        rejected=item.rows_rejected,
        earlier=item.rows_imported,
        bytes_read=item.bytes_read,
    )


def rejections(*, session: Session, import_id: int) -> Iterator[ImportRejection]:
    """The rejected rows in file order, fetched a thousand at a time."""
    query = (
        select(ImportRejection)
        .where(ImportRejection.import_id == import_id)
        .order_by(ImportRejection.line, ImportRejection.id)
        .execution_options(yield_per=1000)
    )
    yield from session.scalars(query)


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        Import.state == ImportState.QUEUED.value,
        and_(Import.state == ImportState.RUNNING.value, Import.heartbeat_at < now - LEASE),
    )


def _fail_abandoned(session: Session, item: Import, now: datetime) -> None:
    session.execute(
        update(Import)
        .where(Import.id == item.id, Import.attempts == item.attempts)
        .values(
            state=ImportState.FAILED.value,
            finished_at=now,
            error=(
                f"the import stopped {item.attempts} times without finishing (its process "
                f"was killed or crashed); the rows up to line {item.last_line:,} are in. "
                "Upload the file again to import the rest: rows already in are not duplicated."
            ),
        )
        .execution_options(synchronize_session=False)
    )


def _update_mine(session: Session, item: Import, now: datetime, **values: Any) -> None:
    """Write ``values`` if this process still holds the import, else ``Superseded``."""
    result = session.execute(
        update(Import)
        .where(
            Import.id == item.id,
            Import.attempts == item.attempts,
            Import.state == ImportState.RUNNING.value,
        )
        .values(heartbeat_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise Superseded
