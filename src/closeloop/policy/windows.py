"""When a survey may be sent: send windows in the recipient's time zone. Pure but for the
zone and holiday data it is handed.

A window is a wall-clock rule ("Tue–Thu 10:00–16:00") read in the **recipient's** zone, so an
instant is allowed when, seen on the recipient's clock, its weekday is a window day, its date is
not a public holiday and its time of day lies in ``[start, end)``. Every other rule follows from
that one definition, including the two days a year the clock misbehaves:

- spring forward: a start that does not exist that day (02:30 when the clocks jump from 02:00 to
  03:00) opens the window at the jump itself, 03:00 — the first instant whose wall time is past
  the start; a window lying wholly inside the gap does not open that day;
- fall back: the repeated hour is in the window twice; the first occurrence (``fold=0``) comes
  first in time, so that is where the window opens.

The search walks the recipient's calendar day by day and, on each day, looks only at the
instants where "allowed" can switch on: the wall clock reaching ``start`` (once, or twice in a
repeated hour) and a change of UTC offset. It stops after :data:`MAX_DAYS_AHEAD` days, so a
calendar where every window day is a holiday fails loudly instead of looping.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_calendars

MAX_DAYS_AHEAD = 366
WEEKDAYS = frozenset(range(7))  # 0 = Monday, as datetime.weekday()
FALLBACK_ZONE = "UTC"
# wide enough around a local day to hold its UTC span under any offset (−12:00 … +14:00)
_SPAN_BEFORE = timedelta(hours=15)
_SPAN_LENGTH = timedelta(hours=54)

HolidayCheck = Callable[[date], bool]


@dataclass(frozen=True)
class SendWindow:
    """Weekdays (0 = Monday) and a ``[start, end)`` time of day, on the recipient's clock."""

    days: frozenset[int]
    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.days:
            raise ValueError("a send window needs at least one day")
        if not self.days <= WEEKDAYS:
            raise ValueError(f"window days are 0 (Monday) … 6 (Sunday), not {sorted(self.days)}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("window times are wall-clock times: give them without a zone")
        if not self.start < self.end:
            raise ValueError(f"a window starts before it ends, not {self.start}–{self.end}")


def is_allowed(
    instant: datetime,
    *,
    window: SendWindow,
    zone: ZoneInfo,
    holidays: HolidayCheck | None = None,
) -> bool:
    """Whether ``instant`` lies inside ``window`` on the recipient's clock (the definition)."""
    local = instant.astimezone(zone)
    if local.weekday() not in window.days:
        return False
    if holidays is not None and holidays(local.date()):
        return False
    return window.start <= local.time() < window.end


def next_allowed(
    *,
    earliest: datetime,
    window: SendWindow | None,
    zone: ZoneInfo,
    holidays: HolidayCheck | None = None,
) -> datetime:
    """The first instant on or after ``earliest`` inside the window, in UTC.

    ``None`` is a trigger that opts out of windows: ``earliest`` itself. A delay never bypasses
    the window: "3 days after" passes ``earliest = event + 3 days`` and gets the first allowed
    moment from there.
    """
    if earliest.tzinfo is None or earliest.utcoffset() is None:
        raise ValueError("earliest must be timezone-aware")
    earliest = earliest.astimezone(UTC)
    if window is None:
        return earliest

    def allowed(instant: datetime) -> bool:
        return is_allowed(instant, window=window, zone=zone, holidays=holidays)

    if allowed(earliest):
        return earliest
    first_day = earliest.astimezone(zone).date()
    for ahead in range(MAX_DAYS_AHEAD + 1):
        day = first_day + timedelta(days=ahead)
        if day.weekday() not in window.days or (holidays is not None and holidays(day)):
            continue
        openings = [c for c in _openings(day, window.start, zone) if c >= earliest and allowed(c)]
        if openings:
            return min(openings)
    raise ValueError(
        f"no allowed moment within {MAX_DAYS_AHEAD} days of {earliest.isoformat()} in {zone.key}: "
        f"every window day ({sorted(window.days)}) is a holiday"
    )


def _openings(day: date, start: time, zone: ZoneInfo) -> Iterator[datetime]:
    """The instants of a local day where the window can switch on, in UTC.

    The wall clock reaching ``start`` (both occurrences in a repeated hour) and any change of
    offset that day (which is where a start that falls in a spring-forward gap opens, and where
    a fall-back can carry the clock back into the window).
    """
    for fold in (0, 1):
        wall = datetime.combine(day, start, tzinfo=zone).replace(fold=fold)
        instant = wall.astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
            yield instant
    transition = _offset_change(day, zone)
    if transition is not None and transition.astimezone(zone).date() == day:
        yield transition


def _offset_change(day: date, zone: ZoneInfo) -> datetime | None:
    """The first instant of the new offset, if the offset changes around ``day``.

    Real zones change offset at most twice a year, so a span of a little over two days holds at
    most one change; bisection to the second finds it (offsets change on whole seconds).
    """
    low = datetime.combine(day, time(0), tzinfo=UTC) - _SPAN_BEFORE
    high = low + _SPAN_LENGTH
    before, after = low.astimezone(zone).utcoffset(), high.astimezone(zone).utcoffset()
    if before == after:
        return None
    # invariant: the offset at low + lo seconds is `before`, at low + hi seconds is not
    lo, hi = 0, int(_SPAN_LENGTH.total_seconds())
    while hi - lo > 1:
        middle = (lo + hi) // 2
        if (low + timedelta(seconds=middle)).astimezone(zone).utcoffset() == before:
            lo = middle
        else:
            hi = middle
    return low + timedelta(seconds=hi)


def resolve_zone(
    contact_zone: str | None, account_zone: str | None, workspace_zone: str | None
) -> ZoneInfo:
    """The recipient's zone: the contact's, else the account's, else the workspace's, else UTC.

    A name that is not a known IANA zone (a typo in an import, an empty trait) is skipped rather
    than failing the send: the next level still knows roughly where the recipient is.
    """
    for name in (contact_zone, account_zone, workspace_zone):
        zone = _zone_or_none(name)
        if zone is not None:
            return zone
    return ZoneInfo(FALLBACK_ZONE)


def _zone_or_none(name: str | None) -> ZoneInfo | None:
    if not name or not name.strip():
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


def holiday_checker(country_code: str | None) -> HolidayCheck:
    """A predicate telling the public holidays of a country (ISO 3166-1 alpha-2).

    An unknown or missing country has no holidays: the window still applies, and guessing a
    calendar would block days wrongly. Calendars are built once per country and year.
    """
    code = (country_code or "").strip().upper()
    if not code or code not in holiday_calendars.list_supported_countries():
        return _no_holidays

    def is_holiday(day: date) -> bool:
        return day in _holiday_dates(code, day.year)

    return is_holiday


def _no_holidays(day: date) -> bool:
    return False


@functools.lru_cache(maxsize=512)
def _holiday_dates(code: str, year: int) -> frozenset[date]:
    return frozenset(holiday_calendars.country_holidays(code, years=year).keys())


_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_window_setting(text: str) -> SendWindow | None:
    """A window written in one line: ``"mon-fri 09:00-17:00"``, ``"tue,thu 10:00-16:00"``,
    or ``"none"`` (no window: send at once)."""
    if text.strip().lower() == "none":
        return None
    try:
        days_text, hours_text = text.strip().lower().split()
        start_text, end_text = hours_text.split("-")
        days: set[int] = set()
        for part in days_text.split(","):
            first, _, last = part.partition("-")
            low = _DAY_NAMES.index(first)
            high = _DAY_NAMES.index(last) if last else low
            if high < low:
                raise ValueError
            days.update(range(low, high + 1))
        return SendWindow(
            days=frozenset(days),
            start=time.fromisoformat(start_text),
            end=time.fromisoformat(end_text),
        )
    except ValueError:
        raise ValueError(
            f"{text!r} is not a send window such as 'mon-fri 09:00-17:00' or 'none'"
        ) from None
