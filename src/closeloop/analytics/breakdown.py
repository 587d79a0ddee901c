"""NPS per group (survey, touchpoint, stage, role, account, week, month) and its trend. Pure.

The database hands back one row of counts per group; this module names the groups,
orders them (time in order, everything else by weight) and, over time, marks how the
score moved from one period to the next.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from closeloop.analytics.nps import NpsChange, NpsSummary, compare

NO_VALUE_LABELS = {
    "survey": "(no survey)",
    "touchpoint": "(no touchpoint)",
    "stage": "(no stage)",
    "role": "(no role)",
    "account": "(no account)",
}


class Dimension(enum.StrEnum):
    SURVEY = "survey"
    TOUCHPOINT = "touchpoint"
    STAGE = "stage"
    ROLE = "role"
    ACCOUNT = "account"
    WEEK = "week"
    MONTH = "month"

    @property
    def is_time(self) -> bool:
        return self in {Dimension.WEEK, Dimension.MONTH}


@dataclass(frozen=True)
class GroupCounts:
    """One group as the database returns it: its key, a display name if any, the counts."""

    key: str | None
    name: str | None
    summary: NpsSummary


@dataclass(frozen=True)
class NpsGroup:
    key: str | None
    label: str
    summary: NpsSummary
    # the move from the previous period (week and month breakdowns only)
    change: NpsChange | None = None


@dataclass(frozen=True)
class NpsReport:
    since: datetime
    until: datetime
    summary: NpsSummary
    survey: str | None = None
    by: Dimension | None = None
    groups: tuple[NpsGroup, ...] = ()


def label(dimension: Dimension, key: str | None, name: str | None = None) -> str:
    """How a group is shown: ISO week for weeks, ``March 2026`` for months, else its name."""
    if key is None:
        return NO_VALUE_LABELS.get(dimension.value, "(none)")
    if dimension is Dimension.WEEK:
        year, week, _ = date.fromisoformat(key).isocalendar()
        return f"{year}-W{week:02d}"
    if dimension is Dimension.MONTH:
        return date.fromisoformat(f"{key}-01").strftime("%B %Y")
    return name or key


def arrange(dimension: Dimension, rows: Iterable[GroupCounts]) -> tuple[NpsGroup, ...]:
    """Groups in reading order; over time, each with its change from the period before."""
    rows = list(rows)
    if not dimension.is_time:
        rows.sort(key=lambda row: (-row.summary.responses, label(dimension, row.key, row.name)))
        return tuple(
            NpsGroup(key=row.key, label=label(dimension, row.key, row.name), summary=row.summary)
            for row in rows
        )
    rows.sort(key=lambda row: row.key or "")
    groups: list[NpsGroup] = []
    previous: NpsSummary | None = None
    for row in rows:
        change = compare(previous, row.summary) if previous is not None else None
        groups.append(
            NpsGroup(
                key=row.key,
                label=label(dimension, row.key),
                summary=row.summary,
                change=change,
            )
        )
        previous = row.summary
    return tuple(groups)
