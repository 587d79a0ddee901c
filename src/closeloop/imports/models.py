"""Imports uploaded through the API: their progress, durable, and the rows they rejected.

Progress is committed in the same transaction as the rows of each batch, so what an
``Import`` says was imported is exactly what is stored: a process killed mid-file loses
the batch in hand and nothing else, and the next one resumes after ``last_line``.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from closeloop.db.base import Base, BigId, JSONType


class ImportState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Import(Base):
    __tablename__ = "imports"
    # the runner looks for work by state
    __table_args__ = (Index("ix_imports_state", "state"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # what is imported, from which upload
    kind: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(8))
    file_name: Mapped[str | None] = mapped_column(String(255))
    # relative to the data directory of the process that received it
    stored_path: Mapped[str] = mapped_column(String(500))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    # encoding, delimiter and column mapping, as the upload asked
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # the file's column names once read (CSV), for the rejected rows' download
    columns: Mapped[list[str] | None] = mapped_column(JSONType)
    # progress, committed with each batch
    state: Mapped[str] = mapped_column(String(16), default=ImportState.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_line: Mapped[int] = mapped_column(Integer, default=0)
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_imported: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    # what the person importing should know (the file was read as Windows-1252…)
    notes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    # a running import whose heartbeat is older than the lease has lost its process
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ImportRejection(Base):
    __tablename__ = "import_rejections"
    __table_args__ = (Index("ix_import_rejections_import_line", "import_id", "line"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = mapped_column(BigId, ForeignKey("imports.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    # the row's cells as read (CSV), or the one line of text (JSONL)
    record: Mapped[list[str]] = mapped_column(JSONType)
