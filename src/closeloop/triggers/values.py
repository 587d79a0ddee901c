"""How the condition language reads values: numbers, ISO dates and date-times. Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime

import regex

_ISO_DATE_PREFIX = regex.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def as_number(value: object) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def as_temporal(value: object) -> date | None:
    """A date or an aware UTC date-time from an ISO string (or a date object), else None.

    Only the extended form (``2026-01-31``) counts, so that ``"20260131"`` or a plain
    number in a string is never taken for a date. A date-time without an offset is read
    as UTC, the zone the project stores times in.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) > 64 or not _ISO_DATE_PREFIX.match(value):
        return None
    try:
        return (
            date.fromisoformat(value)
            if len(value) == 10
            else as_temporal(datetime.fromisoformat(value))
        )
    except ValueError:
        return None


def comparable(left: date, right: date) -> tuple[date, date]:
    """Both as date-times, or both as dates when either side is only a date."""
    if isinstance(left, datetime) and isinstance(right, datetime):
        return left, right
    return _day(left), _day(right)


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value
