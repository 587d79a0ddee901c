"""The calendar periods of recurring rules, and each contact's slot in them. Pure.

A quarterly relationship survey means calendar quarters, as a CX lead reads a report:
January, April, July and October, starting at midnight UTC on the first day. Every
period length that divides the year (1, 2, 3, 4, 6 or 12 months) is aligned on
1 January, so a period is known from any instant inside it without any stored anchor.

Periods are not all the same length (a quarter holds 90 to 92 days), so a contact's slot
is a stable *fraction* of its period (:func:`closeloop.policy.stagger.offset`, keyed by
rule and contact) rather than a fixed number of days: contacts spread evenly over every
period, and each is asked at the same relative point of each period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from closeloop.policy import stagger

MONTHS_IN_A_YEAR = 12


@dataclass(frozen=True, order=True)
class Period:
    """``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def __contains__(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def slot(self, *, contact_key: str, rule_key: str) -> datetime:
        """The contact's moment in this period: the same fraction of every period."""
        return stagger.slot(
            contact_key=contact_key,
            rule_key=rule_key,
            period_start=self.start,
            period=self.length,
        )


def period_containing(instant: datetime, months: int) -> Period:
    """The calendar period of ``months`` months (aligned on 1 January, UTC) holding ``instant``."""
    _check_months(months)
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be timezone-aware")
    instant = instant.astimezone(UTC)
    first_month = (instant.month - 1) // months * months + 1
    start = datetime(instant.year, first_month, 1, tzinfo=UTC)
    return Period(start, _add_months(start, months))


def next_period(period: Period) -> Period:
    """The period right after ``period``, of the same number of months."""
    months = _months_between(period.start, period.end)
    return Period(period.end, _add_months(period.end, months))


def periods_to_plan(now: datetime, months: int, *, lead: timedelta) -> list[Period]:
    """The periods whose slots should exist at ``now``: the current one, and the next one
    once it starts within ``lead`` (so its first slots are planned before they fall due)."""
    current = period_containing(now, months)
    upcoming = next_period(current)
    return [current, upcoming] if upcoming.start - now <= lead else [current]


def _check_months(months: int) -> None:
    if months < 1 or MONTHS_IN_A_YEAR % months:
        raise ValueError(f"a period is a number of months dividing the year, not {months}")


def _add_months(start: datetime, months: int) -> datetime:
    """The first of the month ``months`` after ``start`` (itself the first of a month)."""
    index = start.year * MONTHS_IN_A_YEAR + start.month - 1 + months
    return start.replace(year=index // MONTHS_IN_A_YEAR, month=index % MONTHS_IN_A_YEAR + 1)


def _months_between(start: datetime, end: datetime) -> int:
    months = (end.year - start.year) * MONTHS_IN_A_YEAR + end.month - start.month
    _check_months(months)
    return months
