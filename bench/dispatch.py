"""Email dispatch throughput: the real ``Dispatcher`` and ``SmtpChannel`` against raw ``smtplib``.

Run: ``.venv/bin/python bench/dispatch.py`` (5,000 emails) or ``--quick`` (600);
``--dir`` chooses where the database goes (default: the system temp directory).

One SQLite file is migrated and given one contact and one due invitation per email
(scheduled through ``invitations.service.schedule``). The mail server is an ``aiosmtpd``
sink in its own process on 127.0.0.1 that answers 250 to every message, counts them and
can hand back what it received. The dispatcher (``Dispatcher.for_runtime`` with
``CLOSELOOP_SMTP_URL`` pointing at the sink, so ``SmtpChannel``, default batch size)
runs ``run_once`` until nothing is due: claiming each batch, re-checking and rendering
every invitation (HTML and text parts, signed links, headers), sending it and recording
the answer, every step in its own transaction, as ``closeloop worker`` does.

The baseline sends the very messages the dispatcher sent (the bytes the sink received,
with their envelopes) with a bare ``smtplib`` ``sendmail`` over one connection to the
same sink, twice, after the dispatcher; the faster run is the baseline. Every run must
deliver every message; the raw runs must deliver the same number of bytes.

Targets: at least 200 emails/s, and at least 50 % of the raw rate. The last line
printed is one JSON object with the result.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import smtplib
import socket
import sqlite3
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from closeloop.clock import FrozenClock
from closeloop.config import Settings
from closeloop.contacts.models import Contact
from closeloop.db.migrate import upgrade
from closeloop.invitations import service as invitations
from closeloop.invitations.dispatcher import Dispatcher
from closeloop.runtime import Runtime
from closeloop.surveys import service as surveys

TARGET_RATE = 200
TARGET_RATIO = 0.50
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Received:
    """One message as the sink took it: the envelope and the bytes of the DATA."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="600 emails (under 30 s)")
    parser.add_argument("--emails", type=int, help="number of emails (default 5,000)")
    parser.add_argument(
        "--dir", type=Path, default=None, help="where the database goes (default: $TMPDIR)"
    )
    args = parser.parse_args()
    total = args.emails or (600 if args.quick else 5_000)

    with (
        tempfile.TemporaryDirectory(prefix="closeloop-bench-", dir=args.dir) as tmp,
        _Sink() as sink,
    ):
        workdir = Path(tmp)
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{workdir / 'dispatch.db'}",
            data_dir=workdir,
            secret_key="bench-dispatch-" * 4,
            smtp_url=f"smtp://127.0.0.1:{sink.port}",
            from_email="surveys@facturaplus.example",
            from_name="FacturaPlus",
            product_name="FacturaPlus",
        )
        started = time.perf_counter()
        _seed(settings, total)
        print(
            f"setup: {total:,} due invitations in {time.perf_counter() - started:.1f} s; "
            f"sink on 127.0.0.1:{sink.port} (its own process)",
            flush=True,
        )
        value = _dispatch(settings, total, sink)
        messages = sink.take()
        raw_runs = [_raw(sink, messages, label=f"raw smtplib, run {n}") for n in (1, 2)]
        _check_sent(settings, total)

    baseline = max(raw_runs)
    ratio = value / baseline
    ok = value >= TARGET_RATE and ratio >= TARGET_RATIO
    print(
        f"result: dispatcher {value:,.0f} emails/s, raw smtplib {baseline:,.0f} emails/s "
        f"(runs {raw_runs[0]:,.0f} and {raw_runs[1]:,.0f}), ratio {ratio:.2f}",
        flush=True,
    )
    print(
        json.dumps(
            {
                "bench": "dispatch",
                "value": round(value),
                "unit": "emails/s",
                "baseline": round(baseline),
                "ratio": round(ratio, 3),
                "target": ">= 200 emails/s and ratio >= 0.50",
                "ok": ok,
                "emails": total,
                "mean_bytes": round(sum(len(m.content) for m in messages) / len(messages)),
            }
        )
    )


def _seed(settings: Settings, count: int) -> None:
    """``count`` people, each with one invitation of the default NPS survey, due now."""
    upgrade(settings.resolved_database_url)
    runtime = Runtime.create(settings, clock=FrozenClock(NOW))
    try:
        with runtime.transaction() as session:
            survey = surveys.get_or_create_default(
                session=session, product_name=settings.product_name, now=NOW
            )
            people = [
                Contact(
                    email=f"person{n:05d}@customer{n % 97:02d}.example",
                    name=f"Ana María {n} Souza",
                )
                for n in range(count)
            ]
            session.add_all(people)
            session.flush()
            for person in people:
                invitations.schedule(
                    session=session, survey=survey, contact=person, due_at=NOW, now=NOW
                )
    finally:
        runtime.close()
    with sqlite3.connect(settings.resolved_database_url.removeprefix("sqlite:///")) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _dispatch(settings: Settings, total: int, sink: _Sink) -> float:
    """The dispatcher, batch after batch, until nothing is due; emails per second."""
    runtime = Runtime.create(settings, clock=FrozenClock(NOW))
    try:
        dispatcher = Dispatcher.for_runtime(runtime)
        sent, started = 0, time.perf_counter()
        while handled := dispatcher.run_once():
            sent += handled
        elapsed = time.perf_counter() - started
    finally:
        runtime.close()
    received, size = sink.count()
    if sent != total or received != total:
        raise SystemExit(f"dispatched {sent} and the sink received {received}; expected {total}")
    rate = total / elapsed
    print(
        f"dispatcher + SmtpChannel: {total:,} emails in {elapsed:.2f} s, {rate:,.0f} emails/s "
        f"({size / total:,.0f} bytes each)",
        flush=True,
    )
    return rate


def _raw(sink: _Sink, messages: Sequence[Received], *, label: str) -> float:
    """The same messages, already bytes, through one bare smtplib connection."""
    before, size_before = sink.count()
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=30) as connection:
        for message in messages:
            connection.sendmail(message.mail_from, message.rcpt_tos, message.content)
    elapsed = time.perf_counter() - started
    after, size_after = sink.count()
    expected = sum(len(message.content) for message in messages)
    if after - before != len(messages) or size_after - size_before != expected:
        raise SystemExit(f"{label}: the sink did not receive the same messages")
    rate = len(messages) / elapsed
    print(f"{label}: {len(messages):,} emails in {elapsed:.2f} s, {rate:,.0f} emails/s", flush=True)
    return rate


def _check_sent(settings: Settings, total: int) -> None:
    path = settings.resolved_database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        sent = db.execute(
            "SELECT count(*) FROM invitations WHERE state = 'sent' AND message_id IS NOT NULL"
        ).fetchone()[0]
    if sent != total:
        raise SystemExit(f"{sent} of {total} invitations are recorded as sent")


class _Sink:
    """An aiosmtpd server in a child process: 250 to everything, counting and keeping it.

    Its own process, as a mail server would be: its parsing must not take turns with the
    sender for one interpreter lock, which would slow the raw baseline most.
    """

    def __init__(self) -> None:
        self.port = _free_port()
        context = multiprocessing.get_context("spawn")
        self._commands, child_end = context.Pipe()
        self._process = context.Process(
            target=_serve_sink, args=(self.port, child_end), name="smtp-sink", daemon=True
        )

    def __enter__(self) -> _Sink:
        self._process.start()
        if not self._commands.poll(30) or self._commands.recv() != "ready":
            raise SystemExit("the SMTP sink did not start")
        return self

    def __exit__(self, *_: object) -> None:
        self._commands.send("stop")
        self._process.join(timeout=15)
        if self._process.is_alive():
            self._process.kill()

    def count(self) -> tuple[int, int]:
        """Messages and bytes received so far."""
        self._commands.send("count")
        received, size = self._commands.recv()
        return int(received), int(size)

    def take(self) -> list[Received]:
        """Every message received so far; the sink stops keeping them."""
        self._commands.send("take")
        messages: list[Received] = self._commands.recv()
        return messages


class _Keeper:
    """The aiosmtpd handler: counts every message and keeps it until ``take`` is asked."""

    def __init__(self) -> None:
        self.received = 0
        self.size = 0
        self.keeping = True
        self.kept: list[Received] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received += 1
            self.size += len(envelope.content)
            if self.keeping:
                self.kept.append(
                    Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
                )
        return "250 OK"


def _serve_sink(port: int, commands: Connection) -> None:
    from aiosmtpd.controller import Controller  # noqa: PLC0415 - only the child needs it

    keeper = _Keeper()
    controller = Controller(keeper, hostname="127.0.0.1", port=port)
    controller.start()
    commands.send("ready")
    try:
        while (command := commands.recv()) != "stop":
            with keeper.lock:
                if command == "count":
                    commands.send((keeper.received, keeper.size))
                elif command == "take":
                    commands.send(keeper.kept)
                    keeper.kept, keeper.keeping = [], False
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


if __name__ == "__main__":
    main()
