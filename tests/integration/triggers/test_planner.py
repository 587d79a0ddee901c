"""The planner round: every time-driven job in one call, bounded, a broken job not
stopping the others; run in the background it stops at once when told, and
``closeloop worker`` runs it beside the dispatcher."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from closeloop.channels.models import OutboxMessage
from closeloop.clock import FrozenClock
from closeloop.contacts.models import Account, Contact
from closeloop.db.migrate import upgrade
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from closeloop.triggers import dates, planner, rules
from closeloop.triggers.models import Decision, RecurringSlot

CLOSELOOP = Path(sys.executable).with_name("closeloop")


def _rules(session: Session, now: datetime) -> None:
    """A quarterly survey, a renewal survey and a campaign (started an hour ago, so it has
    an hour's worth to take), none with a send window."""
    for key in ("relationship", "renewal", "launch"):
        session.add(Survey(key=key, name=key.title(), kind="nps", created_at=now))
    session.flush()
    common = {"send_window": "none"}
    for rule in (
        {"kind": "recurring", "key": "relationship", "every": "quarter"},
        {"kind": "date", "key": "renewal", "trait": "account.renewal_date", "offset": "-60d"},
        {
            "kind": "campaign",
            "key": "launch",
            "rate_per_hour": 3600,
            "starts_at": (now - timedelta(hours=1)).isoformat(),
        },
    ):
        data = {"name": rule["key"], "survey": rule["key"], **common, **rule}
        rules.save(session=session, data=data, now=now)


def _people(session: Session, now: datetime, count: int) -> None:
    account = Account(
        name="Acme", traits={"renewal_date": "2026-05-04"}, created_at=now, updated_at=now
    )
    session.add(account)
    session.flush()
    session.add_all(
        Contact(email=f"p{n}@example.com", account_id=account.id, created_at=now, updated_at=now)
        for n in range(count)
    )


def test_one_round_runs_every_kind_of_time_driven_rule(
    runtime: Runtime, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 3, 4, 1, 0, tzinfo=UTC))  # the renewal target is tonight
    with runtime.transaction() as session:
        _rules(session, clock.now())
        _people(session, clock.now(), 3)
    first = planner.run_once(runtime)
    assert first.failures == 0
    assert first.slots_planned > 0
    # the renewal sweep comes before the campaign, whose people then have one pending
    assert (first.scheduled, first.skipped, first.more) == (3, 3, False)
    with runtime.read_transaction() as session:
        reasons = {
            tuple(row) for row in session.execute(select(Decision.rule_key, Decision.reason))
        }
    assert reasons == {("renewal", None), ("launch", "pending")}
    clock.advance(hours=1)
    second = planner.run_once(runtime)  # nothing is decided twice
    assert (second.scheduled, second.skipped, second.cancelled) == (0, 0, 0)


def test_a_failing_job_does_not_stop_the_others(
    runtime: Runtime, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set(datetime(2026, 3, 4, 1, 0, tzinfo=UTC))
    with runtime.transaction() as session:
        _rules(session, clock.now())
        _people(session, clock.now(), 2)

    def broken(**_: object) -> dates.SweepStep:
        raise RuntimeError("a bug in the sweep")

    monkeypatch.setattr(dates, "sweep_step", broken)
    report = planner.run_once(runtime)
    assert report.failures == 1
    with runtime.read_transaction() as session:
        decided = set(session.scalars(select(Decision.rule_key)))
    assert decided == {"launch"}


def test_a_round_is_bounded_and_says_when_work_is_left(
    runtime: Runtime, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planner, "PLAN_BATCH", 10)
    monkeypatch.setattr(planner, "PLAN_BATCHES", 2)
    clock.set(datetime(2026, 3, 28, tzinfo=UTC))
    with runtime.transaction() as session:
        session.add(Survey(key="relationship", name="R", kind="nps", created_at=clock.now()))
        session.flush()
        rules.save(
            session=session,
            data={
                "kind": "recurring",
                "key": "relationship",
                "name": "R",
                "survey": "relationship",
                "every": "quarter",
            },
            now=clock.now(),
        )
        _people(session, clock.now(), 45)

    rounds = 0
    while planner.run_once(runtime).more:
        rounds += 1
    assert rounds == 2  # 45 people, 20 a round: two rounds leave work, the third ends it
    with runtime.read_transaction() as session:
        q2 = session.scalar(
            select(func.count(RecurringSlot.id)).where(
                RecurringSlot.period_start == datetime(2026, 4, 1, tzinfo=UTC)
            )
        )
    assert q2 == 45


def test_in_the_background_it_stops_as_soon_as_asked(runtime: Runtime) -> None:
    with planner.in_background(runtime) as thread:
        time.sleep(0.2)  # the first round is done; the thread waits for the next one
        assert thread.is_alive()
        asked = time.monotonic()
    assert not thread.is_alive()
    assert time.monotonic() - asked < 5  # not the 30 s interval


def test_the_worker_plans_and_sends_and_stops_on_sigterm(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'closeloop.db'}"
    upgrade(database_url)
    engine = create_engine(database_url)
    now = datetime.now(UTC) - timedelta(minutes=1)  # the worker runs on the system clock
    with Session(engine) as session, session.begin():
        _rules(session, now)
        _people(session, now, 2)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "CLOSELOOP_DATABASE_URL": database_url,
        "CLOSELOOP_DATA_DIR": str(tmp_path / "data"),
        "CLOSELOOP_SECRET_KEY": "worker-test-secret-with-enough-entropy-0123",
        "CLOSELOOP_DISPATCH_INTERVAL_SECONDS": "0.1",
        "CLOSELOOP_PLANNER_INTERVAL_SECONDS": "0.1",
    }
    worker = subprocess.Popen(
        [str(CLOSELOOP), "worker"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60  # generous: a loaded machine starts slowly
        while True:
            with Session(engine) as session:
                sent = session.scalar(select(func.count(OutboxMessage.id)))
            if sent == 2:  # the campaign's two invitations, made by the planner
                break
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline, "the worker did not plan and send within 60 s"
            time.sleep(0.05)
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
        engine.dispose()
    assert worker.returncode == 0, stderr
    assert "planner stopped" in stderr
