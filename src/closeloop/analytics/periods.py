"""Reporting periods: ISO dates or datetimes in, a half-open UTC interval out. Pure.

A date bound means the whole day in UTC: ``since=2026-03-01`` starts at its midnight,
``until=2026-03-31`` ends at the next midnight, so "until the 31st" includes the 31st.
A datetime without a zone is read as UTC. Lengths such as ``30d``, ``12w`` and ``6m``
count back from the end of the period (by default the end of today); months are
calendar months.
"""

from __future__ import annotations

import calendar
import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from closeloop.errors import InvalidInput

DEFAULT_LENGTH_DAYS = 90
BOUND_HINT = "use an ISO date (2026-03-01) or datetime (2026-03-01T09:00:00Z)"
_LENGTH = re.compile(r"(\d{1,4})([dwm])")


class Unit(enum.StrEnum):
    DAYS = "d"
    WEEKS = "w"
    MONTHS = "m"


@dataclass(frozen=True)
class Length:
    """A period length such as ``30d``, ``12w`` or ``6m``."""

    count: int
    unit: Unit

    def before(self, end: datetime) -> datetime:
        """The start of a period of this length that ends at ``end``."""
        if self.unit is Unit.DAYS:
            return end - timedelta(days=self.count)
        if self.unit is Unit.WEEKS:
            return end - timedelta(weeks=self.count)
        return months_before(end, self.count)


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime  # exclusive


def parse_length(text: str, *, field: str = "period") -> Length:
    match = _LENGTH.fullmatch(text.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise InvalidInput(
            f"{text!r} is not a period length: use a number and d, w or m, such as 30d, 12w, 6m",
            field=field,
        )
    return Length(count=int(match.group(1)), unit=Unit(match.group(2)))


def parse_bound(text: str, *, field: str) -> date | datetime:
    """A date (``2026-03-01``) or a datetime (``2026-03-01T09:00:00Z``), as written."""
    text = text.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a date or datetime: {BOUND_HINT}", field=field
        ) from None


def start_of(bound: date | datetime) -> datetime:
    """The first instant a ``since`` bound includes."""
    if isinstance(bound, datetime):
        return _as_utc(bound)
    return datetime.combine(bound, time(), tzinfo=UTC)


def end_of(bound: date | datetime) -> datetime:
    """The first instant an ``until`` bound excludes: a date includes its whole day."""
    if isinstance(bound, datetime):
        return _as_utc(bound)
    return datetime.combine(bound + timedelta(days=1), time(), tzinfo=UTC)


def resolve(
    *,
    since: date | datetime | None,
    until: date | datetime | None,
    now: datetime,
    length: Length | None = None,
) -> Period:
    """The interval to report on; by default the ``DEFAULT_LENGTH_DAYS`` days up to today.

    Without ``until`` the period ends with today (UTC), whole: an answer given a moment
    ago counts, and the same command gives the same figures all day long.
    """
    if since is not None and length is not None:
        raise InvalidInput("give either a start date or a period length, not both", field="period")
    try:
        end = end_of(until if until is not None else _as_utc(now).date())
    except OverflowError:
        raise InvalidInput("the end of the period is out of range", field="until") from None
    try:
        if since is not None:
            start = start_of(since)
        elif length is not None:
            start = length.before(end)
        else:
            start = end - timedelta(days=DEFAULT_LENGTH_DAYS)
    except (OverflowError, ValueError):
        raise InvalidInput("the start of the period is out of range", field="since") from None
    if start >= end:
        raise InvalidInput(
            f"the period starts ({start:%Y-%m-%d %H:%M}) at or after it ends "
            f"({end:%Y-%m-%d %H:%M}) UTC",
            field="since",
        )
    return Period(since=start, until=end)


def bounds(
    *, since: date | datetime | None, until: date | datetime | None
) -> tuple[datetime | None, datetime | None]:
    """Optional bounds of a filter as UTC instants, each one free to be open."""
    try:
        start = start_of(since) if since is not None else None
    except OverflowError:
        raise InvalidInput("the start is out of range", field="since") from None
    try:
        end = end_of(until) if until is not None else None
    except OverflowError:
        raise InvalidInput("the end is out of range", field="until") from None
    if start is not None and end is not None and start >= end:
        raise InvalidInput("since must be before until", field="since")
    return start, end


def months_before(instant: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (clamped to the month's end)."""
    index = instant.year * 12 + instant.month - 1 - months
    year, month = divmod(index, 12)
    day = min(instant.day, calendar.monthrange(year, month + 1)[1])
    return instant.replace(year=year, month=month + 1, day=day)


def _as_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)
