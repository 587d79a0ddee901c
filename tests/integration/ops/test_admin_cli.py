"""`closeloop apikey create` and `closeloop user create`, run as a person would."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from closeloop.auth import service as auth
from closeloop.auth.models import Scope, User
from closeloop.cli import app
from closeloop.runtime import Runtime
from tests.conftest import TEST_SECRET


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner whose environment points the command at the test database."""
    monkeypatch.chdir(tmp_path)  # no stray .env, no data directory in the repository
    monkeypatch.setenv("CLOSELOOP_DATABASE_URL", db_url)
    monkeypatch.setenv("CLOSELOOP_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("CLOSELOOP_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def _users(runtime: Runtime) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def test_apikey_create_prints_only_the_key(cli: CliRunner, runtime: Runtime) -> None:
    for args, scope in [([], Scope.INGEST), (["--scope", "admin"], Scope.ADMIN)]:
        result = cli.invoke(app, ["apikey", "create", "--name", "segment", *args])
        assert result.exit_code == 0, result.output
        key = result.stdout.strip()
        assert result.stdout == key + "\n"
        assert key.startswith("cl_")
        with runtime.transaction() as session:
            api_key = auth.authenticate_key(session=session, key=key)
            assert api_key.scope == scope.value
            assert api_key.name == "segment"


def test_apikey_create_refuses_bad_input(cli: CliRunner) -> None:
    unknown_scope = cli.invoke(app, ["apikey", "create", "--name", "x", "--scope", "root"])
    assert unknown_scope.exit_code == 2
    assert "scope" in unknown_scope.output
    blank_name = cli.invoke(app, ["apikey", "create", "--name", "  "])
    assert blank_name.exit_code == 1
    assert blank_name.stdout == ""
    assert "a key needs a name" in blank_name.stderr
    no_name = cli.invoke(app, ["apikey", "create"])
    assert no_name.exit_code == 2
    assert "--name" in no_name.output


def test_user_create_from_stdin(cli: CliRunner, runtime: Runtime) -> None:
    result = cli.invoke(
        app,
        ["user", "create", "--email", "Marta@FacturaPlus.test", "--name", "Marta Ruiz",
         "--password-stdin"],
        input="a long enough password\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "marta@facturaplus.test" in result.stdout
    assert "a long enough password" not in result.output
    with runtime.transaction() as session:
        user = auth.authenticate_user(
            session=session,
            email="marta@facturaplus.test",
            password="a long enough password",
            now=runtime.clock.now(),
        )
        assert user.name == "Marta Ruiz"


def test_user_create_asks_for_the_password_twice(cli: CliRunner, runtime: Runtime) -> None:
    result = cli.invoke(
        app, ["user", "create", "--email", "ana@x.io"], input="password 123\npassword 123\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") >= 1
    assert "Repeat for confirmation" in result.output
    assert _users(runtime) == 1


def test_user_create_with_two_different_passwords_creates_nobody(
    cli: CliRunner, runtime: Runtime
) -> None:
    result = cli.invoke(
        app, ["user", "create", "--email", "ana@x.io"], input="password 123\npassword 456\n"
    )
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert _users(runtime) == 0


def test_user_create_refuses_bad_input(cli: CliRunner, runtime: Runtime) -> None:
    for email, password, message in [
        ("ana@x.io", "short", "use at least 8 characters"),
        ("not-an-email", "long enough pw", "not an email address"),
    ]:
        result = cli.invoke(
            app, ["user", "create", "--email", email, "--password-stdin"], input=password + "\n"
        )
        assert result.exit_code == 1
        assert message in result.stderr
    assert _users(runtime) == 0


def test_user_create_twice_is_a_clear_conflict(cli: CliRunner, runtime: Runtime) -> None:
    args = ["user", "create", "--email", "ana@x.io", "--password-stdin"]
    assert cli.invoke(app, args, input="long enough pw\n").exit_code == 0
    again = cli.invoke(app, args, input="long enough pw\n")
    assert again.exit_code == 1
    assert "already exists" in again.stderr
    assert _users(runtime) == 1
