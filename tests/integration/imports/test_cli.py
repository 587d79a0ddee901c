"""`closeloop import …`: exit codes, the error file, stdin, dry runs, encodings."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from closeloop.cli import app
from closeloop.runtime import Runtime
from tests.conftest import TEST_SECRET
from tests.integration.imports.importing import contacts

Invoke = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(runtime: Runtime) -> Invoke:
    env = {
        "CLOSELOOP_DATABASE_URL": runtime.settings.resolved_database_url,
        "CLOSELOOP_SECRET_KEY": TEST_SECRET,
        "CLOSELOOP_DATA_DIR": str(runtime.settings.data_dir),
        "CLOSELOOP_LOG_LEVEL": "WARNING",
    }

    def invoke(*args: str, input: bytes | None = None) -> tuple[int, str, str]:
        result = CliRunner().invoke(app, ["import", *args], env=env, input=input)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_every_row_in_is_exit_0(run: Invoke, runtime: Runtime, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("email,name\nana@acme.test,Ana\nbo@acme.test,Bo\n")
    code, out, err = run("contacts", str(source))
    assert (code, err) == (0, "")
    assert out.startswith("Imported 2 of 2 contacts rows from people.csv (2 created, 0 updated")
    assert not (tmp_path / "people.rejected.csv").exists()
    assert set(contacts(runtime)) == {"ana@acme.test", "bo@acme.test"}


def test_rejected_rows_are_exit_1_and_listed_beside_the_input(
    run: Invoke, runtime: Runtime, tmp_path: Path
) -> None:
    source = tmp_path / "people.csv"
    source.write_text(
        "email,name,time_zone\n"
        "ana@acme.test,Ana,Europe/Madrid\n"
        ",Nobody,\n"
        "bo@acme.test,Bo,Mars/Base\n"
        "cleo@acme.test,Cleo,UTC,extra\n"
    )
    code, out, err = run("contacts", str(source))
    assert code == 1
    assert "Imported 1 of 4 contacts rows" in out
    assert f"3 rows rejected: see {tmp_path / 'people.rejected.csv'}" in err
    with (tmp_path / "people.rejected.csv").open(newline="") as file:
        rows = list(csv.reader(file))
    assert rows == [
        ["line", "reason", "email", "name", "time_zone"],
        ["3", "needs an email or an external_id", "", "Nobody", ""],
        [
            "4",
            "time_zone: not an IANA time zone such as 'Europe/Madrid' or 'America/New_York'",
            "bo@acme.test",
            "Bo",
            "Mars/Base",
        ],
        ["5", "has 4 fields, the header has 3", "cleo@acme.test", "Cleo", "UTC", "extra"],
    ]
    assert set(contacts(runtime)) == {"ana@acme.test"}


def test_standard_input_and_an_errors_path(run: Invoke, runtime: Runtime, tmp_path: Path) -> None:
    errors = tmp_path / "out" / "bad.csv"
    errors.parent.mkdir()
    data = b'{"email": "ana@acme.test", "plan": "pro"}\n{"email": \n'
    code, out, _ = run("contacts", "-", "--format", "jsonl", "--errors", str(errors), input=data)
    assert code == 1
    assert "from stdin" in out
    assert errors.read_text().splitlines()[0] == "line,reason,record"
    assert contacts(runtime)["ana@acme.test"]["traits"] == {"plan": "pro"}


def test_a_dry_run_writes_nothing(run: Invoke, runtime: Runtime, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("email\nana@acme.test\nnope\n")
    code, out, _ = run("contacts", str(source), "--dry-run")
    assert code == 1
    assert out.startswith("Dry run, nothing written: 1 of 2 contacts rows from people.csv")
    assert (tmp_path / "people.rejected.csv").exists()
    assert contacts(runtime) == {}


def test_a_windows_1252_semicolon_file_with_a_mapping(
    run: Invoke, runtime: Runtime, tmp_path: Path
) -> None:
    source = tmp_path / "export.csv"
    source.write_bytes("Correo;Nombre\nana@acme.test;Ana Núñez\n".encode("cp1252"))
    code, _, err = run("contacts", str(source), "--map", "email=Correo", "--map", "name=Nombre")
    assert code == 0
    assert "note: the file is not UTF-8" in err
    assert contacts(runtime)["ana@acme.test"]["name"] == "Ana Núñez"


def test_a_byte_order_mark_and_a_stated_encoding(
    run: Invoke, runtime: Runtime, tmp_path: Path
) -> None:
    with_bom = tmp_path / "bom.csv"
    with_bom.write_bytes("\ufeffemail,name\nana@acme.test,Ana\n".encode())
    latin = tmp_path / "latin.csv"
    latin.write_bytes("email,name\nbo@acme.test,Bò\n".encode("latin-1"))
    assert run("contacts", str(with_bom))[0] == 0
    code, _, err = run("contacts", str(latin), "--encoding", "latin-1")
    assert (code, err) == (0, "")
    people = contacts(runtime)
    assert (people["ana@acme.test"]["name"], people["bo@acme.test"]["name"]) == ("Ana", "Bò")


@pytest.mark.parametrize(
    ("file_text", "args", "message"),
    [
        (None, ("contacts", "missing.csv"), "error: cannot read"),
        ("email\n", ("contacts", "people.xlsx"), "error: --format: say csv or jsonl"),
        ("", ("contacts", "people.csv"), "error: the file is empty"),
        ("email\n", ("contacts", "people.csv", "--map", "email"), "error: --map: 'email' is not"),
        ("mail\n", ("contacts", "people.csv", "--map", "email=E-mail"), "no column 'E-mail'"),
        ("email\n", ("contacts", "people.csv", "--encoding", "klingon"), "unknown encoding"),
        ("email\n", ("delighted-responses", "people.csv"), "no response_id column"),
        ("email\n", ("events", "people.csv", "--delimiter", ";;"), "--delimiter: one character"),
    ],
)
def test_unusable_input_is_exit_2_and_writes_nothing(
    run: Invoke,
    runtime: Runtime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    file_text: str | None,
    args: tuple[str, ...],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    if file_text is not None:
        (tmp_path / args[1]).write_text(file_text)
    code, _, err = run(*args)
    assert code == 2
    assert message in err
    assert contacts(runtime) == {}


def test_delighted_history_from_the_command_line(run: Invoke, tmp_path: Path) -> None:
    source = tmp_path / "delighted.csv"
    source.write_text(
        "Response ID,Date,Score,Comment,Email\n1,2024-01-02T10:00:00Z,9,Nice,ana@acme.test\n"
    )
    code, out, _ = run("delighted-responses", str(source))
    assert code == 0
    assert "Imported 1 of 1 delighted-responses rows" in out
    code, _, err = run("delighted-responses", str(source), "--format", "jsonl")
    assert code == 2
    assert "No such option" in err
