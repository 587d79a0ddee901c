"""`closeloop report nps`: the command prints what the service counts."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from closeloop.cli import app
from closeloop.runtime import Runtime
from tests.conftest import TEST_SECRET
from tests.integration.responses import factories

Invoke = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(runtime: Runtime) -> Invoke:
    env = {
        "CLOSELOOP_DATABASE_URL": runtime.settings.resolved_database_url,
        "CLOSELOOP_SECRET_KEY": TEST_SECRET,
        "CLOSELOOP_DATA_DIR": str(runtime.settings.data_dir),
        "COLUMNS": "120",
    }

    def invoke(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(app, ["report", "nps", *args], env=env)
        return result.exit_code, result.stdout, result.stderr

    with runtime.transaction() as session:
        for day, score, touchpoint in [(5, 10, "support"), (6, 9, "support"), (20, 3, None)]:
            factories.answered(
                session,
                at=datetime(2026, 2, day, 12, tzinfo=UTC),
                score=score,
                touchpoint=touchpoint,
            )
    return invoke


PERIOD = ("--since", "2026-02-01", "--until", "2026-02-28")


def test_json(run: Invoke) -> None:
    code, out, _ = run(*PERIOD, "--format", "json", "--by", "touchpoint")
    assert code == 0
    document = json.loads(out)
    assert (document["responses"], document["nps"]) == (3, 33.3)
    assert document["until"] == "2026-03-01T00:00:00Z"
    assert [(g["key"], g["responses"]) for g in document["groups"]] == [
        ("support", 2),
        (None, 1),
    ]


def test_csv(run: Invoke) -> None:
    code, out, _ = run(*PERIOD, "--format", "csv", "--by", "week")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(row["group"], row["responses"]) for row in rows] == [
        ("", "3"),
        ("2026-02-02", "2"),
        ("2026-02-16", "1"),
    ]


def test_table(run: Invoke) -> None:
    code, out, _ = run(*PERIOD)
    assert code == 0
    assert "NPS 2026-02-01 to 2026-02-28" in out
    assert "33.3" in out


def test_bad_options_fail_with_the_reason(run: Invoke) -> None:
    for args, message in [
        (("--period", "5y"), "--period: '5y' is not a period length"),
        (("--since", "2026-02-01", "--period", "3m"), "not both"),
        (("--since", "february"), "--since: 'february' is not a date"),
        (("--survey", "nope"), "--survey: no survey with key 'nope'"),
        (("--since", "2026-03-01", "--until", "2026-02-01"), "--since: the period starts"),
    ]:
        code, out, err = run(*args)
        assert code == 1, args
        assert message in err, args
        assert out == "", args


def test_an_unknown_breakdown_is_a_usage_error(run: Invoke) -> None:
    code, _, err = run("--by", "planet")
    assert code == 2
    assert "planet" in err
