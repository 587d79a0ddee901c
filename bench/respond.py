"""One-click answers under load: ``GET /r/{token}/{score}`` against ``/healthz``, same run.

Run: ``.venv/bin/python bench/respond.py`` (3,000 clicks) or ``--quick`` (250 clicks,
under 30 s); ``--rate`` sets the offered load (default 50 requests/s; ``0``: every client
asks again as soon as it is answered, i.e. saturation); ``--dir`` chooses where the
database goes (default: the system temp directory).

The real server (``closeloop serve --no-worker``: uvicorn and the shipped app) runs in its
own process on 127.0.0.1, on a SQLite file migrated and given one invitation a click,
each already sent (scheduled, then moved through ``sending`` to ``sent`` by the state
machine), with its answer link made by the functions the email uses. Fifty clients
(asyncio tasks, each with its own httpx client and keep-alive connection, made and
connected before any clock starts) click the links, each link once, with a random
score, as a respondent does from the email: the click records the score and answers
with the follow-up page. Every click must answer 200, and afterwards every click must
have made exactly one response.

The requests come at an offered rate, Poisson arrivals: by default 50 a second, each
client clicking about once a second. Each request is due at its moment of the schedule
and its latency is counted from that moment, so a server that falls behind is charged
for the wait it causes, not only for the request (no coordinated omission). The same
load, same clients and same schedule goes to ``/healthz`` (a ``SELECT 1`` through the
same app and connection pool) before and after the clicks; the lower of the two p99s is
the baseline. The server's CPU time a request is printed for each phase (Linux).
Targets: click p99 at most 25 ms, and at most 3 times the ``/healthz`` p99.

The respondent's page weight (the follow-up page a click returns and the thank-you page
after the comment is saved: HTML plus any linked stylesheet, raw and gzipped) is printed
and checked against 30 KB. The last line printed is one JSON object with the result.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import html
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import quantiles

import httpx

from closeloop.config import Settings
from closeloop.contacts.models import Contact
from closeloop.db.migrate import upgrade
from closeloop.invitations import service as invitations
from closeloop.invitations.models import InvitationState
from closeloop.responses.links import answer_token, answer_url
from closeloop.runtime import Runtime
from closeloop.surveys import service as surveys

TARGET_P99_MS = 25.0
TARGET_RATIO = 3.0
TARGET_PAGE_BYTES = 30 * 1024
SECRET = "bench-respond-" * 4
WARM_UP_CLICKS = 25
STYLESHEET = re.compile(r"<link[^>]+rel=\"?stylesheet\"?[^>]*>", re.IGNORECASE)
HREF = re.compile(r"href=\"([^\"]+)\"")
FORM_ACTION = re.compile(r"<form[^>]+action=\"([^\"]+)\"", re.IGNORECASE)


@dataclass(frozen=True)
class Phase:
    """What one load phase measured."""

    label: str
    latencies_ms: list[float]
    elapsed_s: float
    statuses: Counter[int]
    # the server process's CPU time a request (user + system), where /proc tells it
    server_cpu_ms: float | None

    @property
    def p50(self) -> float:
        return _percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return _percentile(self.latencies_ms, 99)

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s

    def describe(self) -> str:
        return (
            f"{self.label}: {len(self.latencies_ms):,} requests in {self.elapsed_s:.1f} s "
            f"({self.rate:,.0f}/s), p50 {self.p50:.1f} ms, p99 {self.p99:.1f} ms, "
            f"max {max(self.latencies_ms):.1f} ms, statuses {dict(self.statuses)}"
            + (
                ""
                if self.server_cpu_ms is None
                else f", server CPU {self.server_cpu_ms:.2f} ms a request"
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="250 clicks (under 30 s)")
    parser.add_argument("--clicks", type=int, help="number of clicks (default 3,000)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--rate", type=float, default=50.0, help="offered requests/s; 0: as fast as answered"
    )
    parser.add_argument(
        "--dir", type=Path, default=None, help="where the database goes (default: $TMPDIR)"
    )
    args = parser.parse_args()
    clicks = args.clicks or (250 if args.quick else 3_000)

    with tempfile.TemporaryDirectory(prefix="closeloop-bench-", dir=args.dir) as tmp:
        workdir = Path(tmp)
        settings = _settings(workdir)
        started = time.perf_counter()
        tokens = _seed(settings, WARM_UP_CLICKS + clicks + 1)
        print(
            f"setup: {len(tokens):,} sent invitations in {time.perf_counter() - started:.1f} s; "
            f"{clicks:,} clicks from {args.clients} clients at "
            f"{f'{args.rate:,.0f}/s offered' if args.rate else 'saturation'}",
            flush=True,
        )
        # the links as the email writes them; relative, since the server's port comes later
        rng = random.Random(20260303)
        links = [
            answer_url(settings=settings, token=token, score=rng.randrange(11)) for token in tokens
        ]
        warm_up, measured, spare = links[:WARM_UP_CLICKS], links[WARM_UP_CLICKS:-1], links[-1]
        with _Server(settings, workdir) as server:
            base_url = server.base_url
            _, before, answered, after = asyncio.run(
                _measure(
                    base_url,
                    server_cpu=server.cpu_seconds,
                    clients=args.clients,
                    rate=args.rate,
                    phases=[
                        ("warm-up", warm_up + ["/healthz"] * WARM_UP_CLICKS),
                        ("/healthz before", ["/healthz"] * clicks),
                        ("one-click answers", measured),
                        ("/healthz after", ["/healthz"] * clicks),
                    ],
                )
            )
            for phase in (before, answered, after):
                print(phase.describe(), flush=True)
            pages = _page_weights(base_url, spare)
        _check_recorded(settings, expected=WARM_UP_CLICKS + clicks)

    for name, (raw, gzipped) in pages.items():
        print(f"page weight: {name} {raw:,} bytes ({gzipped:,} gzipped)", flush=True)
    page_bytes = max(raw for raw, _ in pages.values())
    baseline = min(before.p99, after.p99)
    ratio = answered.p99 / baseline
    failed = sum(count for status, count in answered.statuses.items() if status != 200)
    ok = (
        answered.p99 <= TARGET_P99_MS
        and ratio <= TARGET_RATIO
        and page_bytes <= TARGET_PAGE_BYTES
        and failed == 0
    )
    print(
        f"result: click p99 {answered.p99:.1f} ms (p50 {answered.p50:.1f}), /healthz p99 "
        f"{baseline:.1f} ms (before {before.p99:.1f}, after {after.p99:.1f}), "
        f"ratio {ratio:.2f}; heaviest page {page_bytes:,} bytes",
        flush=True,
    )
    print(
        json.dumps(
            {
                "bench": "respond",
                "value": round(answered.p99, 2),
                "unit": "ms p99",
                "baseline": round(baseline, 2),
                "ratio": round(ratio, 3),
                "target": "p99 <= 25 ms and ratio <= 3.0; pages <= 30 KB",
                "ok": ok,
                "p50": round(answered.p50, 2),
                "clicks_per_s": round(answered.rate),
                "offered_per_s": args.rate or None,
                "clients": args.clients,
                "page_bytes": page_bytes,
                "page_bytes_gzip": max(gzipped for _, gzipped in pages.values()),
                "server_cpu_ms": {
                    "click": _rounded(answered.server_cpu_ms),
                    "healthz": _rounded(before.server_cpu_ms),
                },
            }
        )
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _settings(workdir: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{workdir / 'respond.db'}",
        data_dir=workdir,
        secret_key=SECRET,  # type: ignore[arg-type]
        base_url="",
        product_name="FacturaPlus",
    )


def _seed(settings: Settings, count: int) -> list[str]:
    """``count`` invitations already sent, one contact each; the answer token of each."""
    upgrade(settings.resolved_database_url)
    now = datetime.now(UTC)
    runtime = Runtime.create(settings)
    try:
        with runtime.transaction() as session:
            survey = surveys.get_or_create_default(
                session=session, product_name=settings.product_name, now=now
            )
            people = [
                Contact(email=f"person{n:05d}@customer{n % 97:02d}.example", name=f"Ana {n}")
                for n in range(count)
            ]
            session.add_all(people)
            session.flush()
            ids = []
            for person in people:
                invitation = invitations.schedule(
                    session=session, survey=survey, contact=person, due_at=now, now=now
                )
                for state in (InvitationState.SENDING, InvitationState.SENT):
                    invitations.transition(invitation=invitation, to=state, now=now)
                ids.append(invitation.id)
    finally:
        runtime.close()
    with sqlite3.connect(settings.resolved_database_url.removeprefix("sqlite:///")) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return [answer_token(settings=settings, invitation_id=id_, now=now) for id_ in ids]


class _Server:
    """``closeloop serve --no-worker`` in its own process, on a free loopback port."""

    def __init__(self, settings: Settings, workdir: Path) -> None:
        self.settings = settings
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def __enter__(self) -> _Server:
        executable = shutil.which("closeloop", path=str(Path(sys.executable).parent))
        if executable is None:
            raise SystemExit("the closeloop command is not installed next to this Python")
        port = _free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith("CLOSELOOP_")}
        env |= {
            "CLOSELOOP_DATABASE_URL": self.settings.resolved_database_url,
            "CLOSELOOP_DATA_DIR": str(self.workdir),
            "CLOSELOOP_SECRET_KEY": SECRET,
            "CLOSELOOP_BASE_URL": f"http://127.0.0.1:{port}",
            "CLOSELOOP_PRODUCT_NAME": self.settings.product_name,
            "CLOSELOOP_LOG_LEVEL": "WARNING",
        }
        log = (self.workdir / "server.log").open("wb")
        self.process = subprocess.Popen(
            [executable, "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
            cwd=self.workdir,  # no stray .env is read
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.__exit__()
        raise SystemExit(f"the server did not start:\n{(self.workdir / 'server.log').read_text()}")

    def cpu_seconds(self) -> float | None:
        """The server's CPU time so far (user + system), read from /proc on Linux."""
        assert self.process is not None
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *_: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _measure(
    base_url: str,
    *,
    server_cpu: Callable[[], float | None],
    clients: int,
    rate: float,
    phases: Sequence[tuple[str, Sequence[str]]],
) -> list[Phase]:
    """The phases one after the other, by the same clients, each on its own connection.

    The clients are made and connected before any clock starts: making an httpx client
    loads a TLS context (tens of milliseconds), which must not count as server latency.
    """
    async with contextlib.AsyncExitStack() as stack:
        respondents = [
            await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=30))
            for _ in range(clients)
        ]
        await asyncio.gather(*(client.get("/healthz") for client in respondents))
        return [
            await _phase(label, paths, respondents, rate, server_cpu) for label, paths in phases
        ]


async def _phase(
    label: str,
    paths: Sequence[str],
    respondents: Sequence[httpx.AsyncClient],
    rate: float,
    server_cpu: Callable[[], float | None],
) -> Phase:
    """Each path requested once, by whichever client is free when it is due."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    schedule = _schedule(len(paths), rate)
    pending = iter(range(len(paths)))
    cpu_before = server_cpu()
    started = time.perf_counter()

    async def respondent(client: httpx.AsyncClient) -> None:
        for number in pending:
            due = started + schedule[number] if schedule else time.perf_counter()
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            response = await client.get(paths[number])
            latencies.append((time.perf_counter() - due) * 1000)
            statuses[response.status_code] += 1

    await asyncio.gather(*(respondent(client) for client in respondents))
    elapsed = time.perf_counter() - started
    cpu_after = server_cpu()
    cpu_ms = (
        None
        if cpu_before is None or cpu_after is None
        else (cpu_after - cpu_before) * 1000 / len(paths)
    )
    return Phase(label, latencies, elapsed, statuses, cpu_ms)


def _schedule(count: int, rate: float) -> list[float]:
    """When each request is due (seconds from the start): Poisson arrivals at ``rate``.

    Empty at saturation (``rate`` 0): every client asks again as soon as it is answered.
    """
    if not rate:
        return []
    rng = random.Random(count)
    moments, moment = [], 0.0
    for _ in range(count):
        moment += rng.expovariate(rate)
        moments.append(moment)
    return moments


def _percentile(values: Sequence[float], percent: int) -> float:
    return quantiles(values, n=100, method="inclusive")[percent - 1]


def _page_weights(base_url: str, link: str) -> dict[str, tuple[int, int]]:
    """Raw and gzipped bytes of the pages a respondent sees, stylesheets included.

    The follow-up page the click answers with, then the thank-you page its form leads to
    (the form's own action, a comment, the 303 followed).
    """
    with httpx.Client(base_url=base_url, timeout=10, follow_redirects=True) as client:
        follow_up = client.get(link)
        action = FORM_ACTION.search(follow_up.text)
        if follow_up.status_code != 200 or action is None:
            raise SystemExit(f"the follow-up page answered {follow_up.status_code}, no form")
        thanks = client.post(
            html.unescape(action.group(1)),
            data={"score": link.rpartition("/")[2], "comment": "Fast support, clear invoices."},
        )
        if thanks.status_code != 200 or not thanks.history:
            raise SystemExit(f"saving the comment answered {thanks.status_code}")
        pages = {}
        for name, response in (("follow-up", follow_up), ("thank-you", thanks)):
            body = response.content
            for tag in STYLESHEET.findall(response.text):
                href = HREF.search(tag)
                if href is not None:
                    body += client.get(html.unescape(href.group(1))).content
            pages[name] = (len(body), len(gzip.compress(body)))
        return pages


def _check_recorded(settings: Settings, *, expected: int) -> None:
    """Every click made one response, and one only (the spare link answered once more)."""
    path = settings.resolved_database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        responses, invitations_answered = db.execute(
            "SELECT count(*), count(DISTINCT invitation_id) FROM responses"
        ).fetchone()
    if responses != expected + 1 or invitations_answered != expected + 1:
        raise SystemExit(
            f"expected {expected + 1} responses, found {responses} "
            f"for {invitations_answered} invitations"
        )


if __name__ == "__main__":
    main()
