"""What can be imported, in which formats, and how an upload's progress reads."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ImportKind(enum.StrEnum):
    CONTACTS = "contacts"
    ACCOUNTS = "accounts"
    EVENTS = "events"
    DELIGHTED_RESPONSES = "delighted-responses"


class ImportFormat(enum.StrEnum):
    CSV = "csv"
    JSONL = "jsonl"

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
        from_attributes=True,
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
    error: str | None = Field(description="Why the import failed, when it did.")
    errors_url: str = Field(description="The rejected rows, as CSV: line, reason, the row.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


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

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding {value!r}") from None
        return value

    @field_validator("map")
    @classmethod
    def _valid_mapping(cls, value: list[str]) -> list[str]:
        mapping.parse(value)  # InvalidMapping is a ValueError: a field error
        return value

    @model_validator(mode="after")
    def _format_of_kind(self) -> ImportRequest:
        if self.kind is ImportKind.DELIGHTED_RESPONSES and self.format is ImportFormat.JSONL:
            raise ValueError("Delighted's history is imported from its CSV export only")
        return self

    @property
    def renames(self) -> dict[str, str]:
        return mapping.parse(self.map)
