"""Campaigns on both databases: a throttled walk through the audience, pausable without
a burst on resume, finished at the end of the audience or of its dates, and never the
same person twice when two planners tick at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from closeloop.api.app import create_app
from closeloop.auth import service as auth
from closeloop.auth.models import Scope
from closeloop.cli import app
from closeloop.clock import FrozenClock
from closeloop.contacts.models import Contact
from closeloop.errors import Conflict, NotFound
from closeloop.invitations.models import Invitation
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from closeloop.triggers import campaigns, planner, rules
from closeloop.triggers.models import Decision
from tests.conftest import TEST_SECRET

END_USERS = {"field": "contact.role", "op": "eq", "value": "end_user"}


def _setup(runtime: Runtime, now: datetime, people: int = 30, **definition: Any) -> list[int]:
    """A campaign at 10 an hour to the end users, from now; the end users' ids."""
    rule = {
        "kind": "campaign",
        "key": "spring-check-in",
        "name": "Spring check-in",
        "survey": "check-in",
        "audience": END_USERS,
        "rate_per_hour": 10,
        "starts_at": now.isoformat(),
        "send_window": "none",
        **definition,
    }
    with runtime.transaction() as session:
        session.add(Survey(key="check-in", name="Check-in", kind="nps", created_at=now))
        session.flush()
        rules.save(session=session, data=rule, now=now)
        contacts = [
            Contact(
                email=f"p{n}@example.com",
                role="decision_maker" if n % 4 == 0 else "end_user",
                created_at=now,
                updated_at=now,
            )
            for n in range(people * 4 // 3)
        ]
        session.add_all(contacts)
        session.flush()
        return [c.id for c in contacts if c.role == "end_user"]


def _invited(runtime: Runtime) -> list[int]:
    with runtime.read_transaction() as session:
        return list(session.scalars(select(Invitation.contact_id).order_by(Invitation.id)))


def _status(runtime: Runtime) -> campaigns.CampaignStatus:
    with runtime.read_transaction() as session:
        return campaigns.status(session=session, key="spring-check-in")


def _rounds(runtime: Runtime, clock: FrozenClock, hours: float, every: timedelta) -> None:
    end = clock.now() + timedelta(hours=hours)
    while clock.now() < end:
        clock.advance(every)
        assert planner.run_once(runtime).failures == 0


def test_ten_an_hour_takes_the_audience_in_order_at_that_pace(
    runtime: Runtime, clock: FrozenClock
) -> None:
    end_users = _setup(runtime, clock.now())
    planner.run_once(runtime)
    assert _invited(runtime) == []  # nothing earned yet
    _rounds(runtime, clock, hours=1, every=timedelta(minutes=1))
    assert _invited(runtime) == end_users[:10]
    _rounds(runtime, clock, hours=0.5, every=timedelta(seconds=30))
    assert len(_invited(runtime)) == 15
    status = _status(runtime)
    assert (status.status, status.enrolled, status.skipped) == ("running", 15, 0)
    assert status.last_run == clock.now()


def test_a_resumed_campaign_goes_on_at_its_pace_without_a_burst(
    runtime: Runtime, clock: FrozenClock
) -> None:
    end_users = _setup(runtime, clock.now())
    _rounds(runtime, clock, hours=1, every=timedelta(minutes=6))
    with runtime.transaction() as session:
        paused = campaigns.pause(session=session, key="spring-check-in", now=clock.now())
    assert paused.status == "paused"
    _rounds(runtime, clock, hours=3, every=timedelta(minutes=30))
    assert len(_invited(runtime)) == 10

    with runtime.transaction() as session:
        campaigns.resume(session=session, key="spring-check-in", now=clock.now())
    planner.run_once(runtime)
    assert len(_invited(runtime)) == 10  # three paused hours earned nothing
    _rounds(runtime, clock, hours=0.5, every=timedelta(minutes=6))
    assert _invited(runtime) == end_users[:15]


def test_it_finishes_with_its_audience_and_skips_whom_the_policy_refuses(
    runtime: Runtime, clock: FrozenClock
) -> None:
    end_users = _setup(runtime, clock.now(), people=12)
    with runtime.transaction() as session:
        session.get_one(Contact, end_users[3]).unsubscribed_at = clock.now()
    _rounds(runtime, clock, hours=2, every=timedelta(minutes=10))
    status = _status(runtime)
    assert (status.status, status.enrolled, status.skipped) == ("finished", 11, 1)
    assert status.finished_at is not None
    with runtime.read_transaction() as session:
        unsubscribed = session.scalars(
            select(Decision.reason).where(Decision.contact_id == end_users[3])
        ).one()
    assert unsubscribed == "unsubscribed"
    with runtime.transaction() as session, pytest.raises(Conflict):
        campaigns.resume(session=session, key="spring-check-in", now=clock.now())


def test_it_waits_for_its_start_and_stops_at_its_end(runtime: Runtime, clock: FrozenClock) -> None:
    starts = clock.now() + timedelta(hours=2)
    _setup(
        runtime,
        clock.now(),
        starts_at=starts.isoformat(),
        ends_at=(starts + timedelta(hours=1)).isoformat(),
    )
    assert _status(runtime).status == "scheduled"
    _rounds(runtime, clock, hours=2, every=timedelta(minutes=30))
    assert _invited(runtime) == []  # nothing is earned before the start
    _rounds(runtime, clock, hours=3, every=timedelta(minutes=30))
    assert len(_invited(runtime)) == 10
    assert _status(runtime).status == "finished"


def test_only_campaigns_can_be_paused(runtime: Runtime, clock: FrozenClock) -> None:
    with runtime.transaction() as session, pytest.raises(NotFound):
        campaigns.pause(session=session, key="nothing-here", now=clock.now())


def test_two_planners_ticking_at_once_take_each_person_once(
    runtime: Runtime, clock: FrozenClock
) -> None:
    _setup(runtime, clock.now())
    planner.run_once(runtime)  # the progress row exists: only its lock keeps them apart
    clock.advance(hours=1)  # ten earned
    with runtime.read_transaction() as session:
        ruleset = rules.load_ruleset(session=session, default_window=None)
    [rule] = ruleset.rules
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def tick() -> None:
        try:
            start.wait(timeout=10)
            with runtime.transaction() as session:
                campaigns.tick(
                    session=session,
                    rule=rule,
                    ruleset=ruleset,
                    settings=runtime.settings,
                    now=clock.now(),
                )
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    invited = _invited(runtime)
    assert len(invited) == len(set(invited)) == 10
    with runtime.read_transaction() as session:
        assert session.scalar(select(func.count(Decision.id))) == 10
    status = _status(runtime)
    assert (status.enrolled, status.skipped) == (10, 0)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as client:
        yield client


def _key(runtime: Runtime, scope: Scope) -> dict[str, str]:
    with runtime.transaction() as session:
        _, plain = auth.create_api_key(
            session=session, name=scope.value, scope=scope, now=runtime.clock.now()
        )
    return {"Authorization": f"Bearer {plain}"}


def test_the_api_shows_pauses_and_resumes_a_campaign(
    runtime: Runtime, clock: FrozenClock, client: TestClient
) -> None:
    _setup(runtime, clock.now())
    admin = _key(runtime, Scope.ADMIN)
    _rounds(runtime, clock, hours=0.5, every=timedelta(minutes=6))

    shown = client.get("/api/v1/campaigns/spring-check-in", headers=admin)
    assert shown.status_code == 200, shown.text
    assert shown.json() | {"last_run": None} == {
        "key": "spring-check-in",
        "status": "running",
        "enabled": True,
        "rate_per_hour": 10,
        "starts_at": "2026-03-03T10:00:00Z",
        "ends_at": None,
        "enrolled": 5,
        "skipped": 0,
        "budget": 0.0,
        "last_run": None,
        "finished_at": None,
    }
    paused = client.post("/api/v1/campaigns/spring-check-in/pause", headers=admin)
    assert paused.json()["status"] == "paused"
    resumed = client.post("/api/v1/campaigns/spring-check-in/resume", headers=admin)
    assert resumed.json()["status"] == "running"

    missing = client.get("/api/v1/campaigns/nope", headers=admin)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    ingest_only = client.post(
        "/api/v1/campaigns/spring-check-in/pause", headers=_key(runtime, Scope.INGEST)
    )
    assert ingest_only.status_code == 403


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLOSELOOP_DATABASE_URL", db_url)
    monkeypatch.setenv("CLOSELOOP_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("CLOSELOOP_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def test_the_cli_pauses_resumes_and_shows_a_campaign(
    runtime: Runtime, clock: FrozenClock, cli: CliRunner
) -> None:
    _setup(runtime, clock.now())  # started on 2026-03-03: running by the system clock
    paused = cli.invoke(app, ["campaign", "pause", "spring-check-in"])
    assert paused.exit_code == 0, paused.output
    assert paused.stdout.splitlines()[0] == "spring-check-in: paused"
    resumed = cli.invoke(app, ["campaign", "resume", "spring-check-in"])
    assert resumed.stdout.splitlines()[0] == "spring-check-in: running"
    shown = cli.invoke(app, ["campaign", "status", "spring-check-in"])
    assert "enrolled 0, skipped 0" in shown.stdout
    missing = cli.invoke(app, ["campaign", "status", "nope"])
    assert missing.exit_code == 1
    assert "no rule with key 'nope'" in missing.stderr
