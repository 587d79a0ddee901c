"""What a running closeloop process holds: settings, the clock, the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from closeloop.clock import Clock, SystemClock
from closeloop.config import Settings
from closeloop.db.engine import make_engine, make_session_factory, transaction


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def create(cls, settings: Settings, *, clock: Clock | None = None) -> Runtime:
        engine = make_engine(settings.resolved_database_url)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            read_sessions=make_session_factory(engine, read_only=True),
            clock=clock or SystemClock(),
        )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error."""
        with transaction(self.sessions) as session:
            yield session

    @contextmanager
    def read_transaction(self) -> Iterator[Session]:
        """A unit of work that only reads: on SQLite it does not take the write lock."""
        with transaction(self.read_sessions) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
