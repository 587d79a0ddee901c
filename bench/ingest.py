"""Event ingest throughput: ``events.service.ingest`` against a raw ``sqlite3.executemany``.

Run: ``.venv/bin/python bench/ingest.py`` (200,000 events) or ``--quick`` (100,000);
``--dir`` chooses where the database files go (default: the system temp directory).

One SQLite file is migrated and given 5,000 contacts; every run starts from its own copy
of it. The events (referencing contacts by email, as integrations do) go through the
service in batches of 1,000, one transaction per batch. The baseline inserts the same
rows, already resolved to contact ids and already serialised, with ``executemany`` into
the copy's own ``events`` table (so the same columns, unique index on message_id,
secondary indexes and foreign keys), with the PRAGMAs ``closeloop.db.engine`` sets, one
transaction per batch too. It runs once before and once after the service, and the
faster of the two is the baseline.

The events are parsed into ``EventIn`` (what the HTTP layer hands the service) before the
clock starts; that parsing rate is printed separately. The last line printed is one JSON
object with the result.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from closeloop.clock import FrozenClock
from closeloop.config import Settings
from closeloop.contacts import bulk as contacts_bulk
from closeloop.contacts.schemas import ContactRef
from closeloop.db.engine import SQLITE_PRAGMAS
from closeloop.db.migrate import upgrade
from closeloop.events import service as events_service
from closeloop.events.schemas import EventIn
from closeloop.runtime import Runtime

TARGET_RATE = 20_000
TARGET_RATIO = 0.30
EVENT_NAMES = ("Ticket Solved", "Order Delivered", "Signed Up", "Invoice Paid", "Feature Used")
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 events (under 30 s)")
    parser.add_argument("--events", type=int, help="number of events (default 200,000)")
    parser.add_argument("--contacts", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument(
        "--dir", type=Path, default=None, help="where the database files go (default: $TMPDIR)"
    )
    args = parser.parse_args()
    total = args.events or (100_000 if args.quick else 200_000)

    with tempfile.TemporaryDirectory(prefix="closeloop-bench-", dir=args.dir) as tmp:
        workdir = Path(tmp)
        now = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
        emails = [f"person{n:05d}@customer{n % 97:02d}.example" for n in range(args.contacts)]
        template, contact_ids = _prepare_template(workdir, emails, now)
        print(
            f"setup: migrated {template} with {len(contact_ids):,} contacts, "
            f"{total:,} events in batches of {args.batch:,}",
            flush=True,
        )
        raw_events = _generate(total, emails, now)
        started = time.perf_counter()
        parsed = [EventIn.model_validate(event) for event in raw_events]
        parse_rate = total / (time.perf_counter() - started)
        print(f"parsing into EventIn (not timed below): {parse_rate:,.0f} events/s", flush=True)
        rows = _raw_rows(raw_events, contact_ids, now)

        # each run starts from its own copy of the same migrated file
        before = _raw_baseline(_fresh_copy(template, "raw-before"), rows, args.batch)
        value = _service_run(_fresh_copy(template, "service"), parsed, args.batch, now)
        after = _raw_baseline(_fresh_copy(template, "raw-after"), rows, args.batch)

    baseline = max(before, after)
    ratio = value / baseline
    ok = value >= TARGET_RATE and ratio >= TARGET_RATIO
    print(
        f"result: service {value:,.0f} events/s, raw executemany {baseline:,.0f} events/s "
        f"(before {before:,.0f}, after {after:,.0f}), ratio {ratio:.2f}",
        flush=True,
    )
    print(
        json.dumps(
            {
                "bench": "ingest",
                "value": round(value),
                "unit": "events/s",
                "baseline": round(baseline),
                "ratio": round(ratio, 3),
                "target": ">= 20000 events/s and ratio >= 0.30",
                "ok": ok,
            }
        )
    )


def _prepare_template(
    workdir: Path, emails: Sequence[str], now: datetime
) -> tuple[Path, dict[str, int]]:
    """A migrated database holding the contacts, checkpointed so it can be copied."""
    path = workdir / "template.db"
    upgrade(f"sqlite:///{path}")
    runtime = _runtime(path, now)
    try:
        refs = [ContactRef(email=email) for email in emails]
        with runtime.transaction() as session:
            ids = contacts_bulk.resolve(session=session, refs=refs, paths=[""] * len(refs), now=now)
    finally:
        runtime.close()
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path, dict(zip(emails, ids, strict=True))


def _fresh_copy(template: Path, name: str) -> Path:
    path = template.with_name(f"{name}.db")
    shutil.copyfile(template, path)
    return path


def _runtime(path: Path, now: datetime) -> Runtime:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{path}",
        data_dir=path.parent,
        secret_key="bench-" * 8,
    )
    return Runtime.create(settings, clock=FrozenClock(now))


def _generate(total: int, emails: Sequence[str], now: datetime) -> list[dict[str, Any]]:
    """Events as an integration would post them, from a seeded generator."""
    rng = random.Random(20260303)
    events = []
    for number in range(total):
        occurred = now - timedelta(seconds=rng.randrange(90 * 86_400))
        events.append(
            {
                "message_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "name": rng.choice(EVENT_NAMES),
                "contact": {"email": rng.choice(emails)},
                "properties": {
                    "sequence": number,
                    "channel": rng.choice(("email", "chat", "phone")),
                    "amount": round(rng.uniform(5, 500), 2),
                },
                "timestamp": occurred.isoformat(),
            }
        )
    return events


def _raw_rows(
    events: Sequence[dict[str, Any]], contact_ids: dict[str, int], now: datetime
) -> list[tuple[Any, ...]]:
    """The same rows, fully prepared: the baseline does nothing but insert."""
    received = now.replace(tzinfo=None).strftime(SQLITE_DATETIME)
    return [
        (
            event["message_id"],
            event["name"],
            contact_ids[event["contact"]["email"]],
            None,
            json.dumps(event["properties"]),
            "api",
            datetime.fromisoformat(event["timestamp"])
            .astimezone(UTC)
            .replace(tzinfo=None)
            .strftime(SQLITE_DATETIME),
            received,
        )
        for event in events
    ]


def _raw_baseline(path: Path, rows: Sequence[tuple[Any, ...]], batch: int) -> float:
    """The same rows into the migrated ``events`` table itself, through bare sqlite3."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # the PRAGMAs closeloop.db.engine sets on every connection
        for pragma in SQLITE_PRAGMAS:
            connection.execute(pragma)
        insert = (
            "INSERT INTO events (message_id, name, contact_id, account_id, properties, "
            "source, occurred_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        )

        def write(chunk: Sequence[tuple[Any, ...]]) -> None:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(insert, chunk)
            connection.execute("COMMIT")

        return _timed(f"raw executemany ({path.name})", rows, batch, write)
    finally:
        connection.close()


def _service_run(path: Path, events: Sequence[EventIn], batch: int, now: datetime) -> float:
    runtime = _runtime(path, now)

    def write(chunk: Sequence[EventIn]) -> None:
        with runtime.transaction() as session:
            result = events_service.ingest(session=session, events=chunk, now=now)
        if result.created != len(chunk):
            raise SystemExit(f"expected {len(chunk)} new events, stored {result.created}")

    try:
        return _timed("events.service.ingest", events, batch, write)
    finally:
        runtime.close()


def _timed(label: str, items: Sequence[Any], batch: int, write: Callable[[Any], None]) -> float:
    total = len(items)
    report_every = max(1, total // batch // 5)
    started = time.perf_counter()
    for number, offset in enumerate(range(0, total, batch), start=1):
        write(items[offset : offset + batch])
        if number % report_every == 0 or offset + batch >= total:
            done = min(offset + batch, total)
            elapsed = time.perf_counter() - started
            print(f"{label}: {done:,}/{total:,} events, {done / elapsed:,.0f} events/s", flush=True)
    return total / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
