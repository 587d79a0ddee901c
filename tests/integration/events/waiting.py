"""Seeing, from outside, that a PostgreSQL transaction is waiting for another's lock."""

from __future__ import annotations

import time

from sqlalchemy import text

from closeloop.runtime import Runtime


def wait_until_blocked_on_a_lock(runtime: Runtime, timeout: float = 10.0) -> None:
    """Return once some session of this database waits on a lock (bounded polling)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + timeout
    with runtime.engine.connect() as connection:
        while time.monotonic() < deadline:
            if connection.execute(query).scalar_one():
                return
            connection.rollback()
            time.sleep(0.005)
    raise AssertionError(f"no session waited on a lock within {timeout}s")
