"""What can be imported, in which formats, and how an upload's progress reads."""

from __future__ import annotations

import codecs
import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from closeloop.imports import mapping
from closeloop.imports.models import Import, ImportState


class ImportKind(enum.StrEnum):
    CONTACTS = "contacts"
    ACCOUNTS = "accounts"
    EVENTS = "events"
    DELIGHTED_RESPONSES = "delighted-responses"

    def reads(self, format: ImportFormat) -> bool:
        """Delighted's history comes as its CSV export; everything else as CSV or JSONL."""
        return self is not ImportKind.DELIGHTED_RESPONSES or format is ImportFormat.CSV


CSV_ONLY = "Delighted's history is imported from its CSV export only"


class ImportFormat(enum.StrEnum):
    CSV = "csv"
    JSONL = "jsonl"

    @classmethod
    def from_content_type(cls, content_type: str) -> ImportFormat | None:
        """``text/csv`` → CSV; ``application/x-ndjson`` and the JSON Lines types → JSONL."""
        media = content_type.partition(";")[0].strip().lower()
        if media in {"text/csv", "application/csv", "text/tab-separated-values"}:
            return cls.CSV
        if media in {"application/x-ndjson", "application/jsonl", "application/x-jsonlines"}:
            return cls.JSONL
        return None

    @classmethod
    def from_name(cls, name: str) -> ImportFormat | None:
        """The format a file name says (``.csv``, ``.tsv``, ``.txt``; ``.jsonl``, ``.ndjson``)."""
        suffix = name.lower().rpartition(".")[2] if "." in name else ""
        if suffix in {"csv", "tsv", "txt"}:
            return cls.CSV
        if suffix in {"jsonl", "ndjson"}:
            return cls.JSONL
        return None


class ImportOut(BaseModel):
    """An uploaded import and how far it has got."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "kind": "contacts",
                    "format": "csv",
                    "file_name": "crm-export.csv",
                    "state": "running",
                    "size_bytes": 73400320,
                    "bytes_read": 36700160,
                    "progress": 0.5,
                    "rows_read": 500000,
                    "rows_imported": 499990,
                    "rows_rejected": 10,
                    "notes": [],
                    "error": None,
                    "errors_url": "/api/v1/imports/12/errors",
                    "created_at": "2026-03-03T10:00:00Z",
                    "started_at": "2026-03-03T10:00:01Z",
                    "finished_at": None,
                }
            ]
        },
    )

    id: int
    kind: ImportKind
    format: ImportFormat
    file_name: str | None
    state: str = Field(description="queued, running, done or failed.")
    size_bytes: int
    bytes_read: int
    progress: float = Field(description="The share of the file read so far, 0 to 1.")
    rows_read: int
    rows_imported: int
    rows_rejected: int
    notes: list[str] = Field(description="What reading the file found worth knowing.")
    error: str | None = Field(description="Why the import failed, when it did.")
    errors_url: str = Field(description="The rejected rows, as CSV: line, reason, the row.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, item: Import) -> ImportOut:
        read = item.size_bytes if item.state == ImportState.DONE.value else item.bytes_read
        return cls(
            id=item.id,
            kind=ImportKind(item.kind),
            format=ImportFormat(item.format),
            file_name=item.file_name,
            state=item.state,
            size_bytes=item.size_bytes,
            bytes_read=read,
            progress=round(min(1.0, read / item.size_bytes), 4) if item.size_bytes else 1.0,
            rows_read=item.rows_read,
            rows_imported=item.rows_imported,
            rows_rejected=item.rows_rejected,
            notes=item.notes,
            error=item.error,
            errors_url=f"/api/v1/imports/{item.id}/errors",
            created_at=item.created_at,
            started_at=item.started_at,
            finished_at=item.finished_at,
        )


class ImportRequest(BaseModel):
    """How to read an upload: its kind, format, encoding, delimiter and column mapping."""

    model_config = ConfigDict(extra="forbid")

    kind: ImportKind = Field(description="contacts, accounts, events or delighted-responses.")
    format: ImportFormat | None = Field(
        default=None,
        description="csv or jsonl; by default the uploaded file's name or content type says.",
    )
    encoding: str | None = Field(
        default=None, description="The file's encoding (utf-8, cp1252…); detected by default."
    )
    delimiter: str | None = Field(
        default=None, min_length=1, max_length=1, description="The CSV delimiter; sniffed."
    )
    map: list[str] = Field(
        default_factory=list,
        description="FIELD=COLUMN: take a field from a differently named column (repeatable).",
        examples=[["email=E-mail", "name=Full name"]],
    )

    @field_validator("format")
    @classmethod
    def _format_of_kind(
        cls, value: ImportFormat | None, info: ValidationInfo
    ) -> ImportFormat | None:
        if info.data.get("kind") is ImportKind.DELIGHTED_RESPONSES and value is ImportFormat.JSONL:
            raise PydanticCustomError(
                "format", "Delighted's history is imported from its CSV export only"
            )
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise PydanticCustomError("encoding", f"unknown encoding {value!r}") from None
        return value

    @field_validator("map")
    @classmethod
    def _valid_mapping(cls, value: list[str]) -> list[str]:
        try:
            mapping.parse(value)
        except mapping.InvalidMapping as error:
            raise PydanticCustomError("mapping", str(error)) from None
        return value

    @property
    def renames(self) -> dict[str, str]:
        return mapping.parse(self.map)
