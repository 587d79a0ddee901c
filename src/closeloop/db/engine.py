"""Engines and sessions.

SQLite runs in WAL mode with foreign keys on and a busy timeout, so the API process
and the dispatcher can read while one of them writes. PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY_OPTION = "closeloop_read_only"

# Every SQLite connection gets these. WAL lets readers work while one writer writes;
# synchronous=NORMAL is durable across process crashes in WAL mode (a power cut may
# lose the last commits, never corrupt). Temporary b-trees (sorts, RETURNING) stay in
# memory instead of spilling to /var/tmp; a page cache of up to 128 MiB a connection
# (only pages actually read are held) and memory-mapped reads keep the hot index pages
# of a growing event log; a larger auto-checkpoint (about 80 MB of WAL) lets 1,000-event
# batches commit without forcing a checkpoint and its fsyncs nearly every time.
# Measured in bench/ingest.py (docs/performance.md).
SQLITE_PRAGMAS: tuple[str, ...] = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA cache_size=-131072",
    "PRAGMA wal_autocheckpoint=20000",
    "PRAGMA mmap_size=268435456",
)


def normalise_url(url: str) -> str:
    """Route ``postgresql://`` URLs through psycopg 3, the driver we ship."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_immediate_if_writing)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # Let SQLAlchemy own transactions (pysqlite's own BEGIN handling is off).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _begin_immediate_if_writing(connection: Any) -> None:
    """Take SQLite's write lock at BEGIN, so concurrent writers wait instead of failing.

    A deferred transaction that reads and then writes can hit ``database is locked``
    without waiting for the busy timeout; ``BEGIN IMMEDIATE`` avoids that upgrade.
    Read-only units of work (``READ_ONLY``) begin deferred, so a long report or a
    dashboard page never holds up the writers.
    """
    if connection.get_execution_options().get(READ_ONLY_OPTION):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``read_only`` ones must not write (SQLite begins them deferred)."""
    bind = engine.execution_options(**{READ_ONLY_OPTION: True}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
