"""Fixtures shared by every test: both databases, a frozen clock, a runtime.

Every test that asks for ``runtime`` (or ``db_url``) runs twice: on SQLite and on a
throwaway PostgreSQL server. Each run gets a fresh database cloned from a template
that was migrated once, so tests are isolated and fast.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from closeloop.clock import FrozenClock
from closeloop.config import Settings
from closeloop.db.migrate import upgrade
from closeloop.runtime import Runtime
from tests.pg import PostgresServer, start_server
from tests.servers import SmtpSink, smtp_sink

REQUIRE_POSTGRES = os.environ.get("CLOSELOOP_REQUIRE_POSTGRES") == "1"
TEMPLATE_DB = "closeloop_template"
TEST_SECRET = "test-secret-key-with-enough-entropy-0123456789"
_database_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_server()
    if server is None:
        message = "PostgreSQL binaries (initdb, pg_ctl) not found"
        if REQUIRE_POSTGRES:
            pytest.fail(f"{message}, and CLOSELOOP_REQUIRE_POSTGRES=1", pytrace=False)
        pytest.skip(message)
    try:
        admin = create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {TEMPLATE_DB}"))
        admin.dispose()
        upgrade(server.url(TEMPLATE_DB))
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database of each kind."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "closeloop.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"test_{os.getpid()}_{next(_database_numbers)}"
    admin = create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB} STRATEGY FILE_COPY")
        )
    try:
        yield server.url(name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 3, 10, 0, tzinfo=UTC))


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url,
        data_dir=tmp_path / "data",
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        base_url="http://127.0.0.1:8000",
        from_email="surveys@facturaplus.test",
        product_name="FacturaPlus",
    )


@pytest.fixture
def runtime(settings: Settings, clock: FrozenClock) -> Iterator[Runtime]:
    runtime = Runtime.create(settings, clock=clock)
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpSink, int]]:
    """An aiosmtpd server on loopback: ``(sink, port)``; sink.wait_for(n) returns messages."""
    with smtp_sink() as sink_and_port:
        yield sink_and_port
