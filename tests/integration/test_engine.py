"""How the engine treats SQLite: its settings, and readers that never block writers."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select, text

from closeloop.contacts.models import Contact
from closeloop.runtime import Runtime

# SQLite only: PostgreSQL readers never block writers in the first place
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def sqlite_runtime(runtime: Runtime) -> Runtime:
    assert runtime.engine.dialect.name == "sqlite"
    return runtime


def test_every_sqlite_connection_is_configured(sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.read_transaction() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA temp_store")).scalar() == 2  # memory


def test_a_reader_does_not_hold_up_a_writer(sqlite_runtime: Runtime) -> None:
    runtime = sqlite_runtime
    with runtime.read_transaction() as reader:
        assert reader.scalar(select(func.count()).select_from(Contact)) == 0
        started = time.monotonic()
        with runtime.transaction() as writer:
            writer.add(Contact(email="a@example.test", traits={}, created_at=runtime.clock.now()))
        assert time.monotonic() - started < 1, "the writer waited for the reader"
        # the reader keeps its snapshot
        assert reader.scalar(select(func.count()).select_from(Contact)) == 0
    with runtime.read_transaction() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 1
