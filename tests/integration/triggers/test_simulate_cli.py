"""`closeloop triggers simulate`: the command prints what the simulation found."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from closeloop.cli import app
from closeloop.clock import FrozenClock
from closeloop.events import service as events
from closeloop.events.schemas import EventIn
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from closeloop.triggers import rules
from tests.conftest import TEST_SECRET

Invoke = Callable[..., tuple[int, str, str]]
SOLVED_AT = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)  # a Tuesday


@pytest.fixture
def run(runtime: Runtime, clock: FrozenClock) -> Invoke:
    env = {
        "CLOSELOOP_DATABASE_URL": runtime.settings.resolved_database_url,
        "CLOSELOOP_SECRET_KEY": TEST_SECRET,
        "CLOSELOOP_DATA_DIR": str(runtime.settings.data_dir),
        "COLUMNS": "200",
    }

    def invoke(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(app, ["triggers", "simulate", *args], env=env)
        return result.exit_code, result.stdout, result.stderr

    now = clock.now()
    with runtime.transaction() as session:
        session.add(Survey(key="support", name="Support", created_at=now))
        session.flush()
        rules.save(
            session=session,
            data={
                "kind": "event",
                "key": "support-csat",
                "name": "Support CSAT",
                "survey": "support",
                "event": "Ticket Solved",
                "send_window": "none",
            },
            now=now,
        )
        for day, email in enumerate(["ana@acme.example", "bo@acme.example", "ana@acme.example"]):
            event = EventIn.model_validate(
                {
                    "name": "Ticket Solved",
                    "contact": {"email": email},
                    "timestamp": (SOLVED_AT + timedelta(days=day)).isoformat(),
                }
            )
            events.ingest_one(session=session, event=event, now=now)
    return invoke


PERIOD = ("--since", "2026-02-01", "--until", "2026-02-28")


def test_json(run: Invoke) -> None:
    code, out, _ = run(*PERIOD, "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert (document["source"], document["events"]) == ("the event log", 3)
    assert document["until"] == "2026-03-01T00:00:00Z"
    [csat] = document["rules"]
    assert (csat["fired"], csat["sent"]) == (3, 2)
    assert csat["sent_per_week"] == {"2026-W07": 2}
    assert csat["suppressed"] == {"recontact": 1}  # ana, two days after the same survey
    assert csat["sample"] == ["ana@acme.example", "bo@acme.example"]


def test_table(run: Invoke) -> None:
    code, out, _ = run(*PERIOD)
    assert code == 0
    assert "Replayed 3 events from the event log" in out
    assert "nothing was sent" in out
    assert "support-csat" in out
    assert "recontact 1" in out


def test_a_file_of_events(run: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        json.dumps(
            {
                "name": "Ticket Solved",
                "contact": {"email": "cy@file.example"},
                "timestamp": "2026-02-03T10:00:00Z",
            }
        )
        + "\n"
    )
    code, out, _ = run("--file", str(path), "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert (document["source"], document["events"], document["since"]) == (
        "events.jsonl",
        1,
        None,
    )
    assert document["rules"][0]["sample"] == ["cy@file.example"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--rule", "nope"), "--rule: no rule with key 'nope'"),
        (("--since", "yesterday"), "--since: 'yesterday' is not a date or datetime"),
        (("--since", "2026-03-01", "--until", "2026-02-01"), "--since: the period starts"),
    ],
)
def test_bad_options_fail_with_the_reason(run: Invoke, args: tuple[str, ...], message: str) -> None:
    code, _, err = run(*args)
    assert code == 1
    assert err.startswith(f"error: {message}")


def test_a_bad_file_names_its_line(run: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"name": "Ticket Solved"}\n')
    code, _, err = run("--file", str(path))
    assert code == 1
    assert err.startswith("error: --file: line 1: ")
    path.write_bytes(b"\xff\xfe\n")
    code, _, err = run("--file", str(path))
    assert (code, err.strip()) == (1, "error: --file: is not UTF-8 text")
