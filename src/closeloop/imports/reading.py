"""Reading an import file as a stream of records, in constant memory whatever its size.

The file (or standard input) is read through a buffered text decoder one record at a
time; nothing but the record in hand is kept. The encoding is chosen from the first
megabyte (``decoding``); bytes further on that do not fit it are kept as surrogate
escapes, so they spoil only their own row, which is rejected with the offending byte.
A record that cannot be read at all (a CSV row with the wrong number of fields, a JSON
line that does not parse, a line longer than any sane record) comes out as a
``BadRecord`` with its line number, and the reading goes on.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple

from closeloop.imports import decoding, mapping
from closeloop.imports.schemas import ImportFormat

MAX_LINE_CHARS = 1_000_000
SHOWN_CHARS = 200
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


class Unreadable(Exception):
    """The input cannot be imported at all: no header, an unknown mapping, not text."""


class Record(NamedTuple):
    """One row: its first line in the file, its fields by name, and its cells as read."""

    line: int
    fields: dict[str, Any]
    cells: list[str]


class BadRecord(NamedTuple):
    """A row that could not be read, and why; the import carries on after it."""

    line: int
    reason: str
    cells: list[str]


@dataclass
class Source:
    """Bytes to import: a file, or standard input (``size`` unknown)."""

    stream: IO[bytes]
    name: str
    size: int | None

    @classmethod
    def open(cls, path: str) -> Source:
        """``-`` is standard input; anything else a file (``Unreadable`` if it cannot be)."""
        if path == "-":
            return cls(stream=sys.stdin.buffer, name="stdin", size=None)
        file = Path(path)
        try:
            return cls(stream=file.open("rb"), name=file.name, size=file.stat().st_size)
        except OSError as error:
            raise Unreadable(f"cannot read {path}: {error.strerror}") from None

    def close(self) -> None:
        if self.stream is not sys.stdin.buffer:
            self.stream.close()


class _Counted(io.RawIOBase):
    """The source's bytes, the sample already read first; counts what was handed on."""

    def __init__(self, sample: bytes, rest: IO[bytes]) -> None:
        self._sample = memoryview(sample)
        self._rest = rest
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        target = memoryview(buffer).cast("B")
        if self._sample:
            count = min(len(target), len(self._sample))
            target[:count] = self._sample[:count]
            self._sample = self._sample[count:]
        else:
            chunk = self._rest.read(len(target))
            count = len(chunk)
            target[:count] = chunk
        self.consumed += count
        return count


class Reader:
    """The records of one source in one format; ``columns`` is the CSV header as read.

    Opening reads the first megabyte to choose the encoding and, for CSV, reads and
    checks the header, so a file that cannot be imported at all fails before any row
    is written (``Unreadable``). ``canonical`` names a CSV column the way the importer
    knows it (``E-Mail`` → ``email``) unless ``renames`` (the ``--map`` options) name it.
    """

    def __init__(
        self,
        source: Source,
        *,
        format: ImportFormat,
        renames: Mapping[str, str],
        canonical: Callable[[str], str] = str,
        encoding: str | None = None,
        delimiter: str | None = None,
    ) -> None:
        self.source = source
        self.format = format
        # the CSV header as read, and the field name each column has after mapping
        self.columns: list[str] | None = None
        self.names: list[str] | None = None
        self.notes: list[str] = []
        sample = source.stream.read(decoding.SAMPLE_BYTES)
        try:
            self.encoding = decoding.choose_encoding(
                sample, complete=len(sample) < decoding.SAMPLE_BYTES, requested=encoding
            )
        except LookupError:
            raise Unreadable(f"unknown encoding {encoding!r}") from None
        if self.encoding.note:
            self.notes.append(self.encoding.note)
        self._counted = _Counted(sample, source.stream)
        text = io.TextIOWrapper(
            io.BufferedReader(self._counted, buffer_size=1 << 16),
            encoding=self.encoding.codec,
            errors="surrogateescape",
            newline="" if format is ImportFormat.CSV else None,
        )
        self._records = (
            self._csv(text, renames, canonical, delimiter)
            if format is ImportFormat.CSV
            else self._jsonl(text, renames)
        )

    @property
    def bytes_read(self) -> int:
        return self._counted.consumed

    def __iter__(self) -> Iterator[Record | BadRecord]:
        return self._records

    def _csv(
        self,
        text: io.TextIOWrapper,
        renames: Mapping[str, str],
        canonical: Callable[[str], str],
        delimiter: str | None,
    ) -> Iterator[Record | BadRecord]:
        first = text.readline()
        if not first.strip():
            raise Unreadable("the file is empty: a CSV import needs a header line")
        if _ESCAPED_BYTE.search(first):
            raise Unreadable(f"the header is not {self.encoding.codec} text; pass --encoding")
        chosen = delimiter or decoding.sniff_delimiter(first)
        rows = csv.reader(itertools.chain([first], text), delimiter=chosen)
        header = [name.strip() for name in next(rows)]
        self.columns = header
        try:
            named = mapping.apply_to_header(header, renames)
        except mapping.InvalidMapping as error:
            raise Unreadable(str(error)) from None
        names = [name if name in renames.values() else canonical(name) for name in named]
        self.names = names
        kept = [index for index, name in enumerate(names) if name]
        if len(kept) < len(names):
            count = len(names) - len(kept)
            self.notes.append(f"ignoring {count} column{'s' * (count != 1)} without a name")
        return self._csv_records(rows, names, kept)

    def _csv_records(
        self, rows: Any, names: list[str], kept: list[int]
    ) -> Iterator[Record | BadRecord]:
        width = len(names)
        every_column = len(kept) == width
        kept_names = [names[index] for index in kept]
        line = rows.line_num
        while True:
            start = line + 1
            try:
                row = next(rows)
            except StopIteration:
                return
            except csv.Error as error:
                line = rows.line_num
                yield BadRecord(start, f"cannot be read as CSV: {error}", [])
                continue
            line = rows.line_num
            if not row:
                continue  # a blank line
            if len(row) != width:
                if len(row) > width and not any(row[width:]):
                    row = row[:width]  # trailing empty cells, as spreadsheets write them
                else:
                    reason = f"has {len(row)} fields, the header has {width}"
                    yield BadRecord(start, reason, row)
                    continue
            if not "".join(row).isascii() and (bad := _bad_byte(row)):
                yield BadRecord(start, f"is not valid {self.encoding.codec} text ({bad})", row)
                continue
            if every_column:
                fields = dict(zip(names, row, strict=True))
            else:
                fields = dict(zip(kept_names, (row[index] for index in kept), strict=True))
            yield Record(start, fields, row)

    def _jsonl(
        self, text: io.TextIOWrapper, renames: Mapping[str, str]
    ) -> Iterator[Record | BadRecord]:
        for number in itertools.count(1):
            line = text.readline(MAX_LINE_CHARS + 1)
            if not line:
                return
            if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
                while (rest := text.readline(MAX_LINE_CHARS)) and not rest.endswith("\n"):
                    pass
                reason = f"is longer than {MAX_LINE_CHARS:,} characters"
                yield BadRecord(number, reason, [line[:SHOWN_CHARS] + "…"])
                continue
            record = line.strip()
            if not record:
                continue
            yield _json_record(number, record, renames, self.encoding.codec)


def _json_record(
    number: int, record: str, renames: Mapping[str, str], codec: str
) -> Record | BadRecord:
    if not record.isascii() and (bad := _bad_byte([record])):
        return BadRecord(number, f"is not valid {codec} text ({bad})", [record])
    try:
        value = json.loads(record, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        reason = f"is not valid JSON: {error.msg} at column {error.colno}"
        return BadRecord(number, reason, [record])
    except ValueError as error:
        return BadRecord(number, f"is not valid JSON: {error}", [record])
    except RecursionError:
        return BadRecord(number, "is not valid JSON: nested too deeply", [record])
    if not isinstance(value, dict):
        return BadRecord(number, "is not a JSON object ({...})", [record])
    if renames:
        value = {renames.get(key, key): item for key, item in value.items()}
    return Record(number, value, [record])


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _bad_byte(cells: list[str]) -> str | None:
    """The first byte the decoder could not read, as the user would look for it."""
    for cell in cells:
        found = _ESCAPED_BYTE.search(cell)
        if found:
            return f"byte 0x{ord(found.group()) - 0xDC00:02X}"
    return None
