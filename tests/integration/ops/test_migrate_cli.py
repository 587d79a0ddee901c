"""`closeloop migrate` makes a database ready; the other commands refuse one that is not."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from closeloop.cli import app
from tests.conftest import TEST_SECRET


@pytest.fixture
def empty_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite file no migration has touched, as after a fresh clone."""
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("CLOSELOOP_DATABASE_URL", url)
    monkeypatch.setenv("CLOSELOOP_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("CLOSELOOP_DATA_DIR", str(tmp_path / "data"))
    return url


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["demo"]])
def test_commands_refuse_a_database_that_is_not_migrated(
    empty_database: str, command: list[str]
) -> None:
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    assert "run `closeloop migrate` first" in result.stderr


def test_migrate_is_idempotent_and_makes_the_database_ready(empty_database: str) -> None:
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(app, ["migrate"])
        assert result.exit_code == 0, result.output
        assert "database is up to date" in result.stdout
    demo = runner.invoke(app, ["demo"])
    assert demo.exit_code == 0, demo.output
    assert "Loaded the FacturaPlus demo" in demo.stdout
