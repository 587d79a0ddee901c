"""Segment intake throughput: ``/compat/segment/v1/batch`` against the native batch endpoint.

Run: ``.venv/bin/python bench/segment.py`` (8 rounds of 10,000 events an endpoint) or
``--quick`` (6 rounds of 3,000); ``--batch`` sets the events a request (default 100, what
Segment's Python library sends at most), ``--clients`` the concurrent clients (default
4), ``--dir`` where the database goes (default: the system temp directory).

The real server (``closeloop serve --no-worker``: uvicorn, the shipped app, one process)
runs in its own process on 127.0.0.1 on a migrated SQLite file holding the contacts the
events are about (known by their external id, a Segment ``userId``) and an ingest key.
The same track events (name, person, properties, time) go three ways, each with fresh
message ids:

- **native**: ``POST /api/v1/events/batch``, Bearer key, ``{"events": [...]}``;
- **segment**: ``POST /compat/segment/v1/batch`` as ``segment-analytics-python`` sends
  it (the key as the HTTP Basic user and as ``writeKey``, ``sentAt``, each message with
  its ``messageId``, ``timestamp``, ``context.library`` and ``integrations``);
- **segment-gzip**: the same bodies gzip-compressed, as the library sends them with
  ``gzip=True``.

Bodies are serialised (and compressed) before the clock starts, so the figures are the
server's. Clients are threads with their own keep-alive ``httpx.Client``, each sending
its share of the batches in a bounded loop, and every answer is checked (every event
stored, none rejected). The endpoints take turns, in reversed order every other round
(native, segment, gzip, then gzip, segment, native…), so the growing table and the
shared machine's load fall on all three alike; each endpoint's figure is the median of
its rounds, and the native median is the baseline. The server's CPU time an event (read
from /proc) is printed too: other processes disturb it less than they disturb the rates.
The last line printed is one JSON object with the result.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from closeloop.auth import service as auth
from closeloop.auth.models import Scope
from closeloop.config import Settings
from closeloop.contacts import bulk as contacts_bulk
from closeloop.contacts.schemas import ContactRef
from closeloop.db.migrate import upgrade
from closeloop.runtime import Runtime

TARGET_RATIO = 0.8
SECRET = "bench-segment-" * 4
EVENT_NAMES = ("Ticket Solved", "Order Delivered", "Signed Up", "Invoice Paid", "Feature Used")
NATIVE = "native"
SEGMENT = "segment"
SEGMENT_GZIP = "segment-gzip"
MODES = (NATIVE, SEGMENT, SEGMENT_GZIP)
# what segment-analytics-python puts in every message's context
LIBRARY = {"name": "analytics-python", "version": "2.4.0"}
WARM_UP_REQUESTS = 4


@dataclass(frozen=True)
class Spec:
    """One event, whichever endpoint it goes to; only its message id changes per phase."""

    name: str
    user_id: str
    properties: dict[str, Any]
    timestamp: datetime


@dataclass(frozen=True)
class Request:
    """One prepared request: what goes on the wire and how many events it carries."""

    path: str
    body: bytes
    headers: dict[str, str]
    events: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 rounds of 3,000 (under 30 s)")
    parser.add_argument("--events", type=int, help="events an endpoint a round (10,000)")
    parser.add_argument("--rounds", type=int, help="rounds of the three endpoints (8)")
    parser.add_argument("--batch", type=int, default=100, help="events a request")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--contacts", type=int, default=5_000)
    parser.add_argument(
        "--dir", type=Path, default=None, help="where the database goes (default: $TMPDIR)"
    )
    args = parser.parse_args()
    per_phase = args.events or (3_000 if args.quick else 10_000)
    rounds = args.rounds or (6 if args.quick else 8)

    with tempfile.TemporaryDirectory(prefix="closeloop-bench-", dir=args.dir) as tmp:
        workdir = Path(tmp)
        settings = _settings(workdir)
        user_ids = [f"user-{n:05d}" for n in range(args.contacts)]
        started = time.perf_counter()
        key = _seed(settings, user_ids)
        specs = _specs(per_phase, user_ids)
        print(
            f"setup: {len(user_ids):,} contacts and an ingest key in "
            f"{time.perf_counter() - started:.1f} s; {rounds} rounds of {per_phase:,} events "
            f"an endpoint, {args.batch} a request, {args.clients} clients",
            flush=True,
        )
        with _server(workdir) as server:
            rates, cpu = _measure(
                server, specs, key, rounds=rounds, batch=args.batch, clients=args.clients
            )
        stored = _stored_by_source(settings)
    # every phase and the warm-up stored each of its events once: segment has two modes
    each = rounds * per_phase + min(per_phase, WARM_UP_REQUESTS * args.batch)
    if stored != {"api": each, "segment": 2 * each}:
        raise SystemExit(f"stored {stored}, expected {each:,} api and {2 * each:,} segment")

    native, plain, gzipped = (statistics.median(rates[mode]) for mode in MODES)
    ratio, gzip_ratio = plain / native, gzipped / native
    cpu_native, cpu_plain, cpu_gzipped = (statistics.median(cpu[mode]) for mode in MODES)
    print(
        f"result (medians): segment {plain:,.0f} events/s, segment gzip {gzipped:,.0f} "
        f"events/s, native {native:,.0f} events/s; ratio {ratio:.2f}, gzip ratio "
        f"{gzip_ratio:.2f}; server CPU µs an event: segment {cpu_plain:.1f}, gzip "
        f"{cpu_gzipped:.1f}, native {cpu_native:.1f}",
        flush=True,
    )
    print(
        json.dumps(
            {
                "bench": "segment",
                "value": round(plain),
                "unit": "events/s",
                "baseline": round(native),
                "ratio": round(ratio, 3),
                "target": f"ratio >= {TARGET_RATIO} (gzip too)",
                "ok": ratio >= TARGET_RATIO and gzip_ratio >= TARGET_RATIO,
                "gzip_value": round(gzipped),
                "gzip_ratio": round(gzip_ratio, 3),
                "cpu_us_per_event": {
                    NATIVE: round(cpu_native, 1),
                    SEGMENT: round(cpu_plain, 1),
                    SEGMENT_GZIP: round(cpu_gzipped, 1),
                },
                "batch": args.batch,
                "clients": args.clients,
            }
        )
    )


def _measure(
    server: Server, specs: Sequence[Spec], key: str, *, rounds: int, batch: int, clients: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Each mode's events/s and server CPU µs an event, a figure a round.

    Every other round runs the modes in reverse order, so a trend over the run (the
    table grows) costs each mode the same.
    """
    rng = random.Random(20260303)
    rates: dict[str, list[float]] = {mode: [] for mode in MODES}
    cpu: dict[str, list[float]] = {mode: [] for mode in MODES}
    for mode in MODES:  # warm-up: imports, caches, connections; not counted
        warm_up = _requests(mode, specs[: WARM_UP_REQUESTS * batch], key, batch, rng)
        _phase(server.base_url, warm_up, clients)
    for number in range(rounds):
        for mode in MODES if number % 2 == 0 else tuple(reversed(MODES)):
            requests = _requests(mode, specs, key, batch, rng)
            cpu_before = server.cpu_seconds()
            rate = _phase(server.base_url, requests, clients)
            cpu_us = (server.cpu_seconds() - cpu_before) / len(specs) * 1e6
            rates[mode].append(rate)
            cpu[mode].append(cpu_us)
            print(
                f"round {number + 1}: {mode:<12} {rate:>9,.0f} events/s, "
                f"server CPU {cpu_us:5.1f} µs an event",
                flush=True,
            )
    return rates, cpu


def _settings(workdir: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{workdir / 'segment.db'}",
        data_dir=workdir,
        secret_key=SECRET,
    )


def _seed(settings: Settings, user_ids: Sequence[str]) -> str:
    """Migrate, add the people the events are about, and create an ingest key."""
    upgrade(settings.resolved_database_url)
    now = datetime.now(UTC)
    runtime = Runtime.create(settings)
    try:
        with runtime.transaction() as session:
            refs = [ContactRef(external_id=user_id) for user_id in user_ids]
            contacts_bulk.resolve(session=session, refs=refs, paths=[""] * len(refs), now=now)
            _, key = auth.create_api_key(session=session, name="bench", scope=Scope.INGEST, now=now)
    finally:
        runtime.close()
    with sqlite3.connect(_database_file(settings)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return key


def _specs(total: int, user_ids: Sequence[str]) -> list[Spec]:
    """The events of one phase, from a seeded generator: every phase sends these."""
    rng = random.Random(20260304)
    now = datetime.now(UTC)
    return [
        Spec(
            name=rng.choice(EVENT_NAMES),
            user_id=rng.choice(user_ids),
            properties={
                "sequence": number,
                "channel": rng.choice(("email", "chat", "phone")),
                "amount": round(rng.uniform(5, 500), 2),
            },
            timestamp=now - timedelta(seconds=rng.randrange(30 * 86_400)),
        )
        for number in range(total)
    ]


def _requests(
    mode: str, specs: Sequence[Spec], key: str, batch: int, rng: random.Random
) -> list[Request]:
    """The phase's requests, ready to send; each event gets a fresh message id."""
    build = _native_request if mode == NATIVE else _segment_request
    requests = []
    for offset in range(0, len(specs), batch):
        chunk = specs[offset : offset + batch]
        ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in chunk]
        request = build(chunk, ids, key)
        if mode == SEGMENT_GZIP:
            request = Request(
                path=request.path,
                body=gzip.compress(request.body),
                headers={**request.headers, "Content-Encoding": "gzip"},
                events=request.events,
            )
        requests.append(request)
    return requests


def _native_request(specs: Sequence[Spec], ids: Sequence[str], key: str) -> Request:
    events = [
        {
            "message_id": message_id,
            "name": spec.name,
            "contact": {"external_id": spec.user_id},
            "properties": spec.properties,
            "timestamp": spec.timestamp.isoformat(timespec="milliseconds"),
        }
        for spec, message_id in zip(specs, ids, strict=True)
    ]
    return Request(
        path="/api/v1/events/batch",
        body=json.dumps({"events": events}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        events=len(events),
    )


def _segment_request(specs: Sequence[Spec], ids: Sequence[str], key: str) -> Request:
    """The body ``segment-analytics-python`` posts for a batch of ``track`` calls."""
    messages = [
        {
            "integrations": {},
            "properties": spec.properties,
            "timestamp": spec.timestamp.isoformat(timespec="milliseconds"),
            "context": {"library": LIBRARY},
            "userId": spec.user_id,
            "type": "track",
            "event": spec.name,
            "messageId": message_id,
        }
        for spec, message_id in zip(specs, ids, strict=True)
    ]
    body = {
        "batch": messages,
        "sentAt": datetime.now(UTC).isoformat(),
        "writeKey": key,
    }
    basic = base64.b64encode(f"{key}:".encode()).decode()
    return Request(
        path="/compat/segment/v1/batch",
        body=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "User-Agent": "analytics-python/2.4.0",
            "Authorization": f"Basic {basic}",
        },
        events=len(messages),
    )


def _phase(base_url: str, requests: Sequence[Request], clients: int) -> float:
    """Send the requests from ``clients`` threads at once; events stored per second."""
    start = threading.Barrier(clients + 1)
    failures: list[str] = []

    def client(share: Sequence[Request]) -> None:
        try:
            with httpx.Client(base_url=base_url, timeout=60) as http:
                http.get("/healthz")  # connect before the clock starts
                start.wait()
                for request in share:
                    response = http.post(
                        request.path, content=request.body, headers=request.headers
                    )
                    problem = _problem(response, request.events)
                    if problem is not None:
                        failures.append(problem)
                        return
        except (httpx.HTTPError, threading.BrokenBarrierError) as error:
            start.abort()  # so that nobody waits for this client
            failures.append(f"{type(error).__name__}: {error}")

    threads = [
        threading.Thread(target=client, args=(requests[number::clients],))
        for number in range(clients)
    ]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"a request failed: {failures[0]}")
    return sum(request.events for request in requests) / elapsed


def _problem(response: httpx.Response, events: int) -> str | None:
    """Why an answer does not say every event of its request was stored, if it does not."""
    if response.status_code != 200:
        return f"{response.status_code} {response.text[:500]}"
    answer = response.json()
    stored = answer.get("created", answer.get("accepted"))
    if stored != events or answer.get("rejected"):
        return f"{events} events sent, answer {str(answer)[:500]}"
    return None


def _stored_by_source(settings: Settings) -> dict[str, int]:
    with sqlite3.connect(_database_file(settings)) as db:
        counts: dict[str, int] = dict(
            db.execute("SELECT source, count(*) FROM events GROUP BY source").fetchall()
        )
    return counts


def _database_file(settings: Settings) -> str:
    return settings.resolved_database_url.removeprefix("sqlite:///")


@dataclass(frozen=True)
class Server:
    """The running server: where it listens and how much CPU it has used."""

    base_url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time so far, from /proc (Linux)."""
        stat = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def _server(workdir: Path) -> Iterator[Server]:
    """``closeloop serve --no-worker`` in its own process, on a free loopback port."""
    executable = shutil.which("closeloop", path=str(Path(sys.executable).parent))
    if executable is None:
        raise SystemExit("the closeloop command is not installed next to this Python")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLOSELOOP_")}
    env |= {
        "CLOSELOOP_DATABASE_URL": f"sqlite:///{workdir / 'segment.db'}",
        "CLOSELOOP_DATA_DIR": str(workdir),
        "CLOSELOOP_SECRET_KEY": SECRET,
        "CLOSELOOP_BASE_URL": base_url,
        "CLOSELOOP_LOG_LEVEL": "WARNING",
    }
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [executable, "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,  # no stray .env is read
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(base_url, process.poll)
        yield Server(base_url=base_url, pid=process.pid)
    except SystemExit:
        print(log_path.read_text(), file=sys.stderr)
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(base_url: str, exited: Callable[[], int | None]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and exited() is None:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit("the server did not start")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


if __name__ == "__main__":
    main()
