"""`closeloop demo` loads the FacturaPlus story once, fast, on both databases."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from closeloop.auth import service as auth
from closeloop.auth.models import Scope
from closeloop.cli import app
from closeloop.contacts.models import Account, Contact
from closeloop.db.models import Base
from closeloop.demo import service as demo
from closeloop.demo import story as demo_story
from closeloop.events.models import Event
from closeloop.invitations.models import Invitation
from closeloop.responses import service as responses
from closeloop.responses.models import Response
from closeloop.runtime import Runtime
from closeloop.surveys import service as surveys
from tests.conftest import TEST_SECRET


def _row_counts(session: Session) -> dict[str, int]:
    return {
        name: session.scalar(select(func.count()).select_from(table)) or 0
        for name, table in Base.metadata.tables.items()
    }


def test_the_demo_loads_the_story(runtime: Runtime) -> None:
    now = runtime.clock.now()
    started = time.monotonic()
    with runtime.transaction() as session:
        result = demo.load(session=session, now=now)
    assert time.monotonic() - started < 10

    assert result.loaded
    with runtime.transaction() as session:
        counts = _row_counts(session)
        assert counts["accounts"] == result.accounts == 40
        assert counts["contacts"] == result.contacts == 200
        assert counts["events"] == result.events
        assert counts["invitations"] == result.invitations
        assert counts["responses"] == result.answers
        assert 280 <= result.invitations <= 360
        assert 270 <= result.answers <= 330
        assert result.events > 400

        states = Counter(session.scalars(select(Invitation.state)))
        assert {"answered", "sent", "scheduled"} <= states.keys()
        future = session.scalar(
            select(func.count()).where(Invitation.state == "scheduled", Invitation.due_at > now)
        )
        assert future is not None and future >= 3

        roles = Counter(session.scalars(select(Contact.role)))
        assert roles.keys() == {"decision_maker", "end_user", "primary_contact"}
        zones = set(session.scalars(select(Contact.time_zone)))
        assert {"Europe/Madrid", "America/Mexico_City", "Asia/Kolkata"} <= zones
        assert all(
            "renewal_date" in traits and "plan" in traits
            for traits in session.scalars(select(Account.traits))
        )
        event_names = set(session.scalars(select(Event.name)))
        assert {"Signed Up", "Invoice Paid", "Ticket Solved", "Ticket Reopened"} <= event_names

        survey = surveys.get_by_key(session=session, key=surveys.DEFAULT_SURVEY_KEY)
        assert survey is not None
        assert survey.product_name == "FacturaPlus"
        summary = responses.nps_summary(session=session, since=now - timedelta(days=90), until=now)
        assert summary.responses == result.answers
        assert summary.nps is not None
        assert 20 <= summary.nps <= 35
        commented = session.scalar(select(func.count()).where(Response.comment.is_not(None)))
        assert commented is not None and commented > result.answers / 2

    # the demo dashboard user and the admin key printed once both work
    assert result.user_created
    assert result.api_key is not None
    with runtime.transaction() as session:
        user = auth.authenticate_user(
            session=session, email=demo.DEMO_EMAIL, password=demo.DEMO_PASSWORD, now=now
        )
        assert user.email == "demo@closeloop.local"
        key = auth.authenticate_key(session=session, key=result.api_key)
        assert key.scope == Scope.ADMIN.value


def test_a_second_run_changes_nothing(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        demo.load(session=session, now=runtime.clock.now())
    with runtime.transaction() as session:
        before = _row_counts(session)
    with runtime.transaction() as session:
        again = demo.load(session=session, now=runtime.clock.now() + timedelta(days=3))
    with runtime.transaction() as session:
        after = _row_counts(session)
    assert again == demo.DemoLoad(loaded=False)
    assert after == before


def test_an_existing_demo_user_is_kept(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        auth.create_user(
            session=session, email=demo.DEMO_EMAIL, password="their own pw", name=None, now=now
        )
        result = demo.load(session=session, now=now)
    assert result.loaded
    assert not result.user_created


def test_a_failed_load_leaves_nothing(runtime: Runtime) -> None:
    now = runtime.clock.now()
    taken = demo_story.build(now=now).contacts[0].email
    with runtime.transaction() as session:
        session.add(Contact(email=taken, created_at=now, updated_at=now))
    # the taken address makes the load fail half-way; its one transaction rolls back whole
    with pytest.raises(IntegrityError), runtime.transaction() as session:
        demo.load(session=session, now=now)
    with runtime.transaction() as session:
        counts = _row_counts(session)
    assert counts["contacts"] == 1
    assert counts["accounts"] == counts["events"] == counts["users"] == counts["api_keys"] == 0


def test_the_demo_command_twice(
    runtime: Runtime, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLOSELOOP_DATABASE_URL", db_url)
    monkeypatch.setenv("CLOSELOOP_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("CLOSELOOP_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    first = runner.invoke(app, ["demo"])
    second = runner.invoke(app, ["demo"])

    assert first.exit_code == 0, first.output
    assert "Loaded the FacturaPlus demo: 40 accounts, 200 contacts" in first.stdout
    assert "demo@closeloop.local" in first.stdout
    assert "demo1234" in first.stdout
    key = first.stdout.split("Admin API key (shown once, keep it safe): ")[1].strip()
    with runtime.transaction() as session:
        auth.authenticate_key(session=session, key=key)
    assert second.exit_code == 0, second.output
    assert "already loaded; nothing changed" in second.stdout
    assert "cl_" not in second.stdout
