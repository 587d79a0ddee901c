"""Contact import throughput: ``closeloop import contacts`` against a raw ``csv`` + ``executemany``.

Run: ``.venv/bin/python bench/import.py`` (1,000,000 rows) or ``--quick`` (200,000 rows);
``--dir`` chooses where the files go (default: the system temp directory).

A contacts CSV is generated as a CRM would export it: external id, email, name, time
zone and two more columns (plan, country) that become traits; the people work at one
company per 50 of them (20,000 for a million), with addresses at their company's domain
or at a free mail provider. One SQLite file is migrated; every run starts from its own
copy of it.

**Service**: the real command, ``closeloop import contacts FILE``, run in a child
process of its own so that its peak RSS (``VmHWM``) is the import's alone: reading and
checking every row, looking up the people of each 5,000-row batch, inserting them, one
transaction per batch. The figure is rows per second of the whole command.

**Baseline**: the same file read with ``csv.reader`` and inserted with
``sqlite3.executemany`` into the copy's own ``contacts`` table (same columns, the same
unique indexes on email and external id, the same other indexes), with the PRAGMAs
``closeloop.db.engine`` sets, one transaction per 5,000 rows, nothing checked. It runs
before and after the service; the faster run is the baseline.

Targets: at least 50,000 rows/s, at least 30 % of the baseline's rate, peak RSS at most
250 MB. The last line printed is one JSON object with the result.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_RATE = 50_000
TARGET_RATIO = 0.30
TARGET_RSS_MB = 250
BATCH = 5_000
PEOPLE_PER_COMPANY = 50
FREE_MAIL = ("gmail.example", "outlook.example", "yahoo.example", "proton.example")
FIRST = ("ana", "bo", "carla", "david", "elena", "farid", "grace", "hugo", "ines", "jon")
LAST = ("garcia", "smith", "muller", "rossi", "dubois", "silva", "novak", "kim", "ito", "ng")
ZONES = ("Europe/Madrid", "Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC")
PLANS = ("free", "pro", "enterprise")
COUNTRIES = ("ES", "FR", "US", "JP", "DE")
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite
STAMP = "2026-03-03 10:00:00.000000"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200,000 rows (under 30 s)")
    parser.add_argument("--rows", type=int, help="number of rows (default 1,000,000)")
    parser.add_argument(
        "--dir", type=Path, default=None, help="where the files go (default: $TMPDIR)"
    )
    parser.add_argument("--child", nargs=2, metavar=("DB", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(Path(args.child[0]), Path(args.child[1]))))
        return
    total = args.rows or (200_000 if args.quick else 1_000_000)

    with tempfile.TemporaryDirectory(prefix="closeloop-bench-", dir=args.dir) as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        source = _generate(workdir / "contacts.csv", total)
        size_mb = source.stat().st_size / 2**20
        template = _template(workdir)
        print(
            f"setup: {total:,} rows ({size_mb:,.0f} MB) generated and {template.name} migrated "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        before = _raw_baseline(_fresh_copy(template, "raw-before"), source)
        service = _service_run(_fresh_copy(template, "service"), source, total)
        after = _raw_baseline(_fresh_copy(template, "raw-after"), source)

    value = total / service["seconds"]
    baseline = max(before, after)
    ratio = value / baseline
    rss = service["rss_mb"]
    ok = value >= TARGET_RATE and ratio >= TARGET_RATIO and rss <= TARGET_RSS_MB
    print(
        f"result: closeloop import {value:,.0f} rows/s ({service['cpu_seconds']:.1f} s of CPU "
        f"in {service['seconds']:.1f} s), peak RSS {rss:,.0f} MB; raw executemany "
        f"{baseline:,.0f} rows/s (before {before:,.0f}, after {after:,.0f}), ratio {ratio:.2f}",
        flush=True,
    )
    print(
        json.dumps(
            {
                "bench": "import",
                "value": round(value),
                "unit": "rows/s",
                "baseline": round(baseline),
                "ratio": round(ratio, 3),
                "target": f">= {TARGET_RATE} rows/s, ratio >= {TARGET_RATIO:.2f}, "
                f"peak RSS <= {TARGET_RSS_MB} MB",
                "ok": ok,
                "rss_mb": round(rss),
            }
        )
    )


def _generate(path: Path, total: int) -> Path:
    """A CRM export, from a seeded generator: one person a row, all distinct."""
    rng = random.Random(20260303)
    companies = max(1, total // PEOPLE_PER_COMPANY)
    domains = [f"company{number:06d}.example" for number in range(companies)]
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["External ID", "Email", "Name", "Time zone", "Plan", "Country"])
        for number in range(total):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            domain = rng.choice(FREE_MAIL) if rng.random() < 0.2 else rng.choice(domains)
            writer.writerow(
                [
                    f"crm-{number:07d}",
                    f"{first}.{last}.{number}@{domain}",
                    f"{first.title()} {last.title()}",
                    rng.choice(ZONES),
                    rng.choice(PLANS),
                    rng.choice(COUNTRIES),
                ]
            )
    return path


def _template(workdir: Path) -> Path:
    from closeloop.db.migrate import upgrade  # noqa: PLC0415 - the parent needs only this

    path = workdir / "template.db"
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _fresh_copy(template: Path, name: str) -> Path:
    path = template.with_name(f"{name}.db")
    shutil.copyfile(template, path)
    return path


def _raw_baseline(path: Path, source: Path) -> float:
    """Rows/s of the same file into the migrated ``contacts`` table through bare sqlite3.

    The CPU time per row is printed too: on a shared machine the wall-clock rates of
    both sides follow the load, their CPU cost much less.
    """
    from closeloop.db.engine import SQLITE_PRAGMAS  # noqa: PLC0415

    connection = sqlite3.connect(path, isolation_level=None)
    insert = (
        "INSERT INTO contacts (external_id, email, name, time_zone, traits, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    try:
        for pragma in SQLITE_PRAGMAS:
            connection.execute(pragma)
        started, cpu_started = time.perf_counter(), time.process_time()
        rows = 0
        with source.open(newline="", encoding="utf-8") as file:
            reader = csv.reader(file)
            next(reader)
            batch: list[tuple[Any, ...]] = []
            for external_id, email, name, zone, plan, country in reader:
                traits = json.dumps({"Plan": plan, "Country": country})
                batch.append((external_id, email, name, zone, traits, STAMP, STAMP))
                if len(batch) == BATCH:
                    _write(connection, insert, batch)
                    rows += len(batch)
                    batch = []
            _write(connection, insert, batch)
            rows += len(batch)
        rate = rows / (time.perf_counter() - started)
        cpu = (time.process_time() - cpu_started) / rows * 1e6
    finally:
        connection.close()
    print(
        f"raw csv + executemany ({path.name}): {rate:,.0f} rows/s, {cpu:.1f} µs of CPU a row",
        flush=True,
    )
    return rate


def _write(connection: sqlite3.Connection, insert: str, batch: list[tuple[Any, ...]]) -> None:
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(insert, batch)
    connection.execute("COMMIT")


def _service_run(path: Path, source: Path, total: int) -> dict[str, Any]:
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(path), str(source)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    if result["exit_code"] != 0:
        raise SystemExit(f"the import failed ({result['exit_code']}): {child.stderr}")
    with sqlite3.connect(path) as connection:
        stored = connection.execute("SELECT count(*) FROM contacts").fetchone()[0]
    if stored != total:
        raise SystemExit(f"expected {total:,} contacts, found {stored:,}")
    cpu = result["cpu_seconds"] / total * 1e6
    print(
        f"closeloop import contacts ({path.name}): {total / result['seconds']:,.0f} rows/s, "
        f"{cpu:.1f} µs of CPU a row, peak RSS {result['rss_mb']:,.0f} MB",
        flush=True,
    )
    return result


def _child(path: Path, source: Path) -> dict[str, Any]:
    """The child process: the real command on the file, timed, and its peak RSS."""
    os.environ.update(
        CLOSELOOP_DATABASE_URL=f"sqlite:///{path}",
        CLOSELOOP_DATA_DIR=str(path.parent),
        CLOSELOOP_SECRET_KEY="bench-" * 8,
        CLOSELOOP_LOG_LEVEL="WARNING",
    )
    from closeloop.cli import app  # noqa: PLC0415 - timed from a cold start of the command

    started, cpu_started = time.perf_counter(), time.process_time()
    exit_code = app(["import", "contacts", str(source)], standalone_mode=False)
    return {
        "exit_code": exit_code or 0,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "rss_mb": _peak_rss_mb(),
    }


def _peak_rss_mb() -> float:
    """This process's peak resident set, in MiB (``VmHWM``: the child's own, not inherited)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
