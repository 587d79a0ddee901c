"""Recurring planning: one quarter of slots for every contact, on SQLite.

Run: ``.venv/bin/python bench/recurring.py`` (1,000,000 contacts) or ``--quick``
(100,000); ``--dir`` chooses where the database files go (default: the system temp
directory).

One SQLite file is migrated and given the contacts with raw inserts (not timed), a
survey and a quarterly rule whose audience is ``role = end_user`` (nine contacts in ten).
The clock stands a few days before the second quarter of 2026, so every slot of that
quarter lies ahead. The measured run is what the planner does: ``recurring.plan_step``
batch after batch, one transaction each, until the quarter is planned, reading the
audience through ``triggers.audience`` and inserting the slots through SQLAlchemy Core.
The baseline inserts the same slot rows, already computed and serialised, with a bare
``sqlite3`` ``executemany`` into a copy of the same database (same table, unique key,
index and foreign keys, the PRAGMAs ``closeloop.db.engine`` sets), one transaction per
batch of the same size. The last line printed is one JSON object with the result; the
target is 60 s for a million contacts (scaled to the number of contacts run).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from closeloop.clock import FrozenClock
from closeloop.config import Settings
from closeloop.db.engine import SQLITE_PRAGMAS
from closeloop.db.migrate import upgrade
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from closeloop.triggers import planner, recurring, rules
from closeloop.triggers.periods import period_containing

TARGET_SECONDS_PER_MILLION = 60.0
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite
RULE_KEY = "relationship-nps"
NOW = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
QUARTER = period_containing(datetime(2026, 4, 1, tzinfo=UTC), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 contacts (under 30 s)")
    parser.add_argument("--contacts", type=int, help="number of contacts (default 1,000,000)")
    parser.add_argument("--batch", type=int, default=planner.PLAN_BATCH)
    parser.add_argument(
        "--dir", type=Path, default=None, help="where the database files go (default: $TMPDIR)"
    )
    args = parser.parse_args()
    total = args.contacts or (100_000 if args.quick else 1_000_000)

    with tempfile.TemporaryDirectory(prefix="closeloop-bench-", dir=args.dir) as tmp:
        workdir = Path(tmp)
        template, rule_id = _prepare_template(workdir, total)
        print(f"setup: migrated {template} with {total:,} contacts and the rule", flush=True)
        value, planned = _planner_run(_fresh_copy(template, "planner"), args.batch)
        rows = _slot_rows(_fresh_copy(template, "rows"), rule_id)
        baseline = _raw_baseline(_fresh_copy(template, "raw"), rows, args.batch)

    if planned != len(rows):
        raise SystemExit(f"the planner planned {planned:,} slots, the audience holds {len(rows):,}")
    target = TARGET_SECONDS_PER_MILLION * total / 1_000_000
    ratio = value / baseline
    print(
        f"result: planned {planned:,} slots in {value:.2f} s ({planned / value:,.0f} slots/s); "
        f"raw executemany of the same rows {baseline:.2f} s; ratio {ratio:.2f}",
        flush=True,
    )
    print(
        json.dumps(
            {
                "bench": "recurring",
                "value": round(value, 2),
                "unit": "s",
                "baseline": round(baseline, 2),
                "ratio": round(ratio, 3),
                "target": f"<= {target:g} s for {total:,} contacts (60 s per million)",
                "ok": value <= target,
            }
        )
    )


def _prepare_template(workdir: Path, total: int) -> tuple[Path, int]:
    """A migrated database with the contacts, the survey and the rule, checkpointed."""
    path = workdir / "template.db"
    upgrade(f"sqlite:///{path}")
    stamp = NOW.replace(tzinfo=None).strftime(SQLITE_DATETIME)
    with sqlite3.connect(path) as connection:
        connection.executemany(
            "INSERT INTO contacts (id, email, role, traits, created_at, updated_at) "
            "VALUES (?, ?, ?, '{}', ?, ?)",
            ((n, f"person{n}@example.com", _role(n), stamp, stamp) for n in range(1, total + 1)),
        )
    runtime = _runtime(path)
    try:
        with runtime.transaction() as session:
            session.add(Survey(key="relationship", name="Relationship", kind="nps", created_at=NOW))
            session.flush()
            rule, _ = rules.save(
                session=session,
                data={
                    "kind": "recurring",
                    "key": RULE_KEY,
                    "name": "Relationship NPS",
                    "survey": "relationship",
                    "every": "quarter",
                    "audience": {"field": "contact.role", "op": "eq", "value": "end_user"},
                },
                now=NOW,
            )
            rule_id = rule.id
    finally:
        runtime.close()
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path, rule_id


def _role(number: int) -> str:
    return "decision_maker" if number % 10 == 0 else "end_user"


def _fresh_copy(template: Path, name: str) -> Path:
    path = template.with_name(f"{name}.db")
    shutil.copyfile(template, path)
    return path


def _runtime(path: Path) -> Runtime:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{path}",
        data_dir=path.parent,
        secret_key="bench-" * 8,
    )
    return Runtime.create(settings, clock=FrozenClock(NOW))


def _planner_run(path: Path, batch: int) -> tuple[float, int]:
    """Seconds to plan the quarter as the planner does, and the slots planned."""
    runtime = _runtime(path)
    try:
        with runtime.read_transaction() as session:
            ruleset = rules.load_ruleset(session=session, default_window=None)
        [rule] = ruleset.rules
        planned = 0
        started = time.perf_counter()
        while True:
            with runtime.transaction() as session:
                step = recurring.plan_step(
                    session=session, rule=rule, period=QUARTER, now=NOW, batch_size=batch
                )
            planned += step.planned
            if step.up_to_date:
                break
        elapsed = time.perf_counter() - started
    finally:
        runtime.close()
    print(f"recurring.plan_step: {planned:,} slots in {elapsed:.2f} s", flush=True)
    return elapsed, planned


def _slot_rows(path: Path, rule_id: int) -> list[tuple[Any, ...]]:
    """The slot rows the planner writes, fully prepared: the baseline only inserts."""
    with sqlite3.connect(path) as connection:
        ids = [
            row[0] for row in connection.execute("SELECT id FROM contacts WHERE role = 'end_user'")
        ]
    start = QUARTER.start.replace(tzinfo=None).strftime(SQLITE_DATETIME)
    return [
        (
            rule_id,
            contact_id,
            start,
            QUARTER.slot(contact_key=str(contact_id), rule_key=RULE_KEY)
            .replace(tzinfo=None)
            .strftime(SQLITE_DATETIME),
            recurring.PLANNED,
        )
        for contact_id in ids
    ]


def _raw_baseline(path: Path, rows: list[tuple[Any, ...]], batch: int) -> float:
    """The same rows into the migrated ``recurring_slots`` table, through bare sqlite3."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in SQLITE_PRAGMAS:
            connection.execute(pragma)
        insert = (
            "INSERT INTO recurring_slots (rule_id, contact_id, period_start, due_at, state) "
            "VALUES (?, ?, ?, ?, ?)"
        )
        started = time.perf_counter()
        for offset in range(0, len(rows), batch):
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(insert, rows[offset : offset + batch])
            connection.execute("COMMIT")
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    print(f"raw executemany: {len(rows):,} slots in {elapsed:.2f} s", flush=True)
    return elapsed


if __name__ == "__main__":
    main()
