"""The file of rejected rows: each with its line and reason, then the row as it was read.

For a CSV import the row keeps the input's own columns, so the file can be fixed and
imported again as it is (the extra ``line`` and ``reason`` columns are no field of any
kind, and become traits or properties only if left in). A JSONL row is one ``record``
cell holding the line. The file is created with the first rejected row: an import
without any leaves no file behind.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from closeloop.imports.tally import Rejection

SUFFIX = ".rejected.csv"
STDIN_NAME = "rejected.csv"


def default_path(input_name: str) -> Path:
    """``contacts.csv`` → ``contacts.rejected.csv`` beside it; stdin → ``./rejected.csv``."""
    if input_name == "-":
        return Path(STDIN_NAME)
    path = Path(input_name)
    return path.with_name(path.stem + SUFFIX)


def header(columns: list[str] | None) -> list[str]:
    return ["line", "reason", *(columns if columns is not None else ["record"])]


def as_csv(rows: Iterable[Rejection], columns: list[str] | None) -> Iterator[str]:
    """The same file as text, a thousand rows at a time (the API's download)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header(columns))
    for count, rejection in enumerate(rows, start=1):
        writer.writerow([rejection.line, rejection.reason, *rejection.cells])
        if count % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


class RejectionFile:
    """Rejected rows, appended batch by batch as the import goes."""

    def __init__(self, path: Path, columns: list[str] | None) -> None:
        self.path = path
        self.count = 0
        self._columns = columns
        self._file: IO[str] | None = None

    def write(self, rejections: Iterable[Rejection]) -> None:
        for rejection in rejections:
            if self._file is None:
                # bytes the input's encoding could not read are written back as they were
                self._file = self.path.open(
                    "w", encoding="utf-8", errors="surrogateescape", newline=""
                )
                self._writer = csv.writer(self._file)
                self._writer.writerow(header(self._columns))
            self._writer.writerow([rejection.line, rejection.reason, *rejection.cells])
            self.count += 1

    def __enter__(self) -> RejectionFile:
        return self

    def __exit__(self, *_: object) -> None:
        if self._file is not None:
            self._file.close()
