"""What became of each row, and the running count of a whole import. Pure."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    # already stored exactly so: a re-run of the same file is all unchanged
    UNCHANGED = "unchanged"


class Rejection(NamedTuple):
    """A row left out: its line in the file, why, and its cells as read."""

    line: int
    reason: str
    cells: list[str]


@dataclass
class Tally:
    """Counts so far; ``imported`` is every row that went in, changed or not."""

    read: int = 0
    rejected: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # imported by an earlier attempt of a resumed import, whatever became of them
    earlier: int = 0
    bytes_read: int = 0

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged + self.earlier

    def count(self, outcome: Outcome, rows: int = 1) -> None:
        if outcome is Outcome.CREATED:
            self.created += rows
        elif outcome is Outcome.UPDATED:
            self.updated += rows
        else:
            self.unchanged += rows
