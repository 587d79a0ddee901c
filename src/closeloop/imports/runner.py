"""The thread that runs uploaded imports in the serving process.

The upload is stored in the data directory of the process that received it, so the
serving processes run imports, not the dispatcher's workers (which may be on other
machines). Each serving process runs one import at a time; it looks for work when an
upload arrives and otherwise every ``POLL_SECONDS``, which is also how an import whose
process died is noticed (once its lease has expired) and resumed or failed.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from sqlalchemy.orm import Session

from closeloop.imports import jobs, mapping, service
from closeloop.imports.models import Import
from closeloop.imports.reading import Reader, Source, Unreadable
from closeloop.imports.schemas import ImportFormat, ImportKind
from closeloop.imports.service import Batch, Stopped
from closeloop.runtime import Runtime

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
STOP_TIMEOUT_SECONDS = 30.0


class ImportRunner:
    """Runs queued imports one after another until stopped."""

    def __init__(self, runtime: Runtime, *, poll_seconds: float = POLL_SECONDS) -> None:
        self._runtime = runtime
        self._poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="imports", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Look for work now (an upload was just queued)."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after the batch in hand; an unfinished import is put back in the queue."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=STOP_TIMEOUT_SECONDS)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                worked = run_once(self._runtime, self._stop)
            except Exception:
                log.exception("imports: looking for work failed; trying again shortly")
                worked = False
            if not worked:
                self._wake.wait(self._poll_seconds)
                self._wake.clear()


def run_once(runtime: Runtime, stop: threading.Event | None = None) -> bool:
    """Claim one import and run it to its end; False when there was nothing to claim."""
    with runtime.read_transaction() as session:
        if not jobs.has_work(session=session, now=runtime.clock.now()):
            return False
    with runtime.transaction() as session:
        item = jobs.claim(session=session, now=runtime.clock.now())
    if item is None:
        return False
    try:
        _process(runtime, item, stop)
    except jobs.Superseded:
        log.warning("imports: import %s was taken over by another process", item.id)
    return True


def _process(runtime: Runtime, item: Import, stop: threading.Event | None) -> None:
    path = runtime.settings.data_dir / item.stored_path
    if not path.is_file():
        _fail(runtime, item, f"the uploaded file is no longer in {path.parent}; upload it again")
        return
    kind = service.kind_for(runtime=runtime, kind=ImportKind(item.kind))
    options = item.options
    try:
        with path.open("rb") as stream:
            reader = Reader(
                Source(stream=stream, name=item.file_name or path.name, size=item.size_bytes),
                format=ImportFormat(item.format),
                renames=options.get("renames", {}),
                canonical=kind.canonical,
                encoding=options.get("encoding"),
                delimiter=options.get("delimiter"),
            )
            service.check_columns(kind, reader)
            with runtime.transaction() as session:
                jobs.start(
                    session=session,
                    item=item,
                    columns=reader.columns,
                    notes=reader.notes,
                    now=runtime.clock.now(),
                )

            def record(session: Session, batch: Batch) -> None:
                jobs.record_batch(session=session, item=item, batch=batch, now=runtime.clock.now())

            service.run(
                runtime=runtime,
                reader=reader,
                kind=kind,
                on_batch=record,
                tally=jobs.resumed_tally(item),
                skip_through=item.last_line,
                stop=stop,
            )
    except (Unreadable, mapping.InvalidMapping) as error:
        _fail(runtime, item, str(error))
        return
    except Stopped:
        with runtime.transaction() as session:
            jobs.requeue(session=session, item=item, now=runtime.clock.now())
        return
    except jobs.Superseded:
        raise
    except Exception as error:
        log.exception("imports: import %s failed", item.id)
        _fail(runtime, item, f"the import stopped on an unexpected error: {error}")
        return
    with runtime.transaction() as session:
        jobs.finish(session=session, item=item, now=runtime.clock.now())
    _remove(path)


def _fail(runtime: Runtime, item: Import, reason: str) -> None:
    with runtime.transaction() as session:
        jobs.fail(session=session, item=item, reason=reason, now=runtime.clock.now())


def _remove(path: Path) -> None:
    """The upload has served: its rows are in, its rejected rows in the database."""
    try:
        path.unlink()
    except OSError:
        log.warning("imports: could not remove %s", path)
