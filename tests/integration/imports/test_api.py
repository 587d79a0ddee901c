"""`POST /api/v1/imports`: uploads run in the background, durably, and report their progress."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from closeloop.api.app import create_app
from closeloop.auth import service as auth
from closeloop.auth.models import Scope
from closeloop.clock import FrozenClock
from closeloop.imports import jobs, runner
from closeloop.imports.models import Import, ImportState
from closeloop.imports.schemas import ImportFormat, ImportKind
from closeloop.runtime import Runtime
from tests.integration.imports.importing import contacts

CSV = (
    b"email,name,time_zone\n"
    b"ana@acme.test,Ana,UTC\nbo@acme.test,Bo,Mars/Base\ncleo@acme.test,Cleo,\n"
)


def _key(runtime: Runtime, scope: Scope) -> dict[str, str]:
    with runtime.transaction() as session:
        _, plain = auth.create_api_key(
            session=session, name=scope.value, scope=scope, now=runtime.clock.now()
        )
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def admin(runtime: Runtime) -> dict[str, str]:
    return _key(runtime, Scope.ADMIN)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as client:
        yield client


def _finished(client: TestClient, headers: dict[str, str], import_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/v1/imports/{import_id}", headers=headers).json()
        if body["state"] in {"done", "failed"}:
            return body
        time.sleep(0.05)
    raise AssertionError(f"import {import_id} did not finish: {body}")


def test_a_csv_body_is_imported_in_the_background(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    response = client.post(
        "/api/v1/imports",
        params={"kind": "contacts"},
        content=CSV,
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert response.status_code == 202, response.text
    queued = response.json()
    assert (queued["state"], queued["format"], queued["size_bytes"]) == ("queued", "csv", len(CSV))
    done = _finished(client, admin, queued["id"])
    assert {k: done[k] for k in ("state", "rows_read", "rows_imported", "rows_rejected")} == {
        "state": "done",
        "rows_read": 3,
        "rows_imported": 2,
        "rows_rejected": 1,
    }
    assert (done["progress"], done["error"]) == (1.0, None)
    assert set(contacts(runtime)) == {"ana@acme.test", "cleo@acme.test"}
    errors = client.get(done["errors_url"], headers=admin)
    assert errors.status_code == 200
    assert errors.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(errors.text))) == [
        ["line", "reason", "email", "name", "time_zone"],
        [
            "3",
            "time_zone: not an IANA time zone such as 'Europe/Madrid' or 'America/New_York'",
            "bo@acme.test",
            "Bo",
            "Mars/Base",
        ],
    ]
    # the upload has served its purpose
    assert not any((runtime.settings.data_dir / "imports").iterdir())


def test_a_multipart_jsonl_upload_takes_its_format_from_the_file_name(
    client: TestClient, admin: dict[str, str]
) -> None:
    data = b'{"name": "Signed Up", "contact": {"email": "a@acme.test"}}\n{"broken"\n'
    response = client.post(
        "/api/v1/imports",
        params={"kind": "events"},
        files={"file": ("events.jsonl", data, "application/octet-stream")},
        headers=admin,
    )
    assert response.status_code == 202, response.text
    assert (response.json()["format"], response.json()["file_name"]) == ("jsonl", "events.jsonl")
    done = _finished(client, admin, response.json()["id"])
    assert (done["rows_imported"], done["rows_rejected"]) == (1, 1)
    errors = client.get(done["errors_url"], headers=admin).text.splitlines()
    assert errors[0] == "line,reason,record"
    assert errors[1].startswith("2,is not valid JSON")


def test_an_unreadable_upload_fails_visibly(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/imports",
        params={"kind": "delighted-responses", "format": "csv"},
        content=b"email\nana@acme.test\n",
        headers=admin,
    )
    done = _finished(client, admin, response.json()["id"])
    assert done["state"] == "failed"
    assert "no response_id column" in done["error"]


@pytest.mark.parametrize(
    ("params", "body", "field"),
    [
        ({"kind": "contacts"}, b"email\n", "format"),
        ({"kind": "people", "format": "csv"}, b"email\n", "kind"),
        ({"kind": "contacts", "format": "csv", "map": "email"}, b"email\n", "map"),
        ({"kind": "contacts", "format": "csv", "encoding": "klingon"}, b"email\n", "encoding"),
        ({"kind": "delighted-responses", "format": "jsonl"}, b"{}\n", "format"),
        ({"kind": "contacts", "format": "csv"}, b"", "file"),
    ],
)
def test_bad_uploads_are_422_naming_the_field(
    client: TestClient,
    admin: dict[str, str],
    runtime: Runtime,
    params: dict[str, str],
    body: bytes,
    field: str,
) -> None:
    response = client.post("/api/v1/imports", params=params, content=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]
    uploads = runtime.settings.data_dir / "imports"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_imports_need_an_admin_key(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    ingest = _key(runtime, Scope.INGEST)
    url = "/api/v1/imports?kind=contacts&format=csv"
    assert client.post(url, content=CSV).status_code == 401
    assert client.post(url, content=CSV, headers=ingest).status_code == 403
    assert client.get("/api/v1/imports/1", headers=ingest).status_code == 403
    assert client.get("/api/v1/imports/424242", headers=admin).status_code == 404
    assert client.get("/api/v1/imports/424242/errors", headers=admin).status_code == 404


# durability: driven directly, with the clock in hand, no background thread


def _queue(runtime: Runtime, data: bytes, **fields: Any) -> int:
    upload = Path("imports") / "upload.csv"
    (runtime.settings.data_dir / upload).parent.mkdir(parents=True, exist_ok=True)
    (runtime.settings.data_dir / upload).write_bytes(data)
    with runtime.transaction() as session:
        item = jobs.enqueue(
            session=session,
            kind=ImportKind.CONTACTS,
            format=ImportFormat.CSV,
            file_name="upload.csv",
            stored_path=upload,
            size_bytes=len(data),
            options={"renames": {}, "encoding": None, "delimiter": None},
            now=runtime.clock.now(),
        )
        for name, value in fields.items():
            setattr(item, name, value)
        return item.id


def _load(runtime: Runtime, import_id: int) -> Import:
    with runtime.read_transaction() as session:
        return jobs.get_or_404(session=session, import_id=import_id)


def test_an_import_whose_process_died_is_resumed_after_its_last_committed_line(
    runtime: Runtime, clock: FrozenClock
) -> None:
    # lines 2 and 3 were committed by a process that died at its next batch
    import_id = _queue(
        runtime,
        CSV,
        state=ImportState.RUNNING.value,
        attempts=1,
        heartbeat_at=clock.now(),
        last_line=3,
        rows_read=2,
        rows_imported=1,
        rows_rejected=1,
    )
    assert runner.run_once(runtime) is False  # its lease has not run out yet
    clock.advance(jobs.LEASE + timedelta(seconds=1))
    assert runner.run_once(runtime) is True
    item = _load(runtime, import_id)
    assert (item.state, item.attempts, item.last_line) == ("done", 2, 4)
    assert (item.rows_read, item.rows_imported, item.rows_rejected) == (3, 2, 1)
    # only the line after the last committed one was imported by this attempt
    assert set(contacts(runtime)) == {"cleo@acme.test"}


def test_an_import_that_keeps_dying_is_failed_not_left_running(
    runtime: Runtime, clock: FrozenClock
) -> None:
    import_id = _queue(
        runtime,
        CSV,
        state=ImportState.RUNNING.value,
        attempts=jobs.MAX_ATTEMPTS,
        heartbeat_at=clock.now() - jobs.LEASE * 2,
        last_line=2,
    )
    assert runner.run_once(runtime) is False
    item = _load(runtime, import_id)
    assert item.state == "failed"
    assert item.error is not None
    assert f"stopped {jobs.MAX_ATTEMPTS} times" in item.error
    assert "the rows up to line 2 are in" in item.error


def test_an_upload_that_is_gone_fails_the_import(runtime: Runtime) -> None:
    import_id = _queue(runtime, CSV)
    (runtime.settings.data_dir / "imports" / "upload.csv").unlink()
    assert runner.run_once(runtime) is True
    item = _load(runtime, import_id)
    assert (item.state, item.error is not None and "upload it again" in item.error) == (
        "failed",
        True,
    )


def test_a_stopping_process_puts_its_import_back_in_the_queue(runtime: Runtime) -> None:
    rows = "".join(f"person{n}@acme.test\n" for n in range(5_001))
    import_id = _queue(runtime, ("email\n" + rows).encode())
    stop = threading.Event()
    stop.set()
    assert runner.run_once(runtime, stop) is True
    item = _load(runtime, import_id)
    assert (item.state, item.last_line, item.rows_imported) == ("queued", 5_001, 5_000)
    assert runner.run_once(runtime) is True
    item = _load(runtime, import_id)
    assert (item.state, item.rows_read, item.rows_imported) == ("done", 5_001, 5_001)
    assert len(contacts(runtime)) == 5_001


def test_a_claimant_that_lost_its_import_writes_nothing_more(runtime: Runtime) -> None:
    import_id = _queue(runtime, CSV)
    with runtime.transaction() as session:
        mine = jobs.claim(session=session, now=runtime.clock.now())
    assert mine is not None
    with runtime.transaction() as session:
        # another process took it over once the lease ran out
        jobs.get_or_404(session=session, import_id=import_id).attempts += 1
    with pytest.raises(jobs.Superseded), runtime.transaction() as session:
        jobs.finish(session=session, item=mine, now=runtime.clock.now())
    assert _load(runtime, import_id).state == "running"


def test_delighted_history_is_refused_from_a_jsonl_file(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/imports",
        params={"kind": "delighted-responses"},
        files={"file": ("export.jsonl", b"{}\n", "application/x-ndjson")},
        headers=admin,
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "format", "reason": "Delighted's history is imported from its CSV export only"}
    ]
