"""Calendar periods of recurring rules and the slots in them: aligned, contiguous, evenly
spread and stable from one period to the next."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closeloop.triggers.periods import Period, next_period, period_containing, periods_to_plan

MONTHS = st.sampled_from([1, 2, 3, 4, 6, 12])
INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2098, 12, 31), timezones=st.just(UTC)
)
RULE_KEYS = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)


@pytest.mark.parametrize(
    ("instant", "months", "start", "end"),
    [
        (datetime(2026, 3, 3, 10, tzinfo=UTC), 3, datetime(2026, 1, 1), datetime(2026, 4, 1)),
        (datetime(2026, 4, 1, tzinfo=UTC), 3, datetime(2026, 4, 1), datetime(2026, 7, 1)),
        (
            datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
            3,
            datetime(2026, 10, 1),
            datetime(2027, 1, 1),
        ),
        (datetime(2026, 9, 30, tzinfo=UTC), 6, datetime(2026, 7, 1), datetime(2027, 1, 1)),
        (datetime(2026, 2, 14, tzinfo=UTC), 1, datetime(2026, 2, 1), datetime(2026, 3, 1)),
        (datetime(2026, 8, 8, tzinfo=UTC), 12, datetime(2026, 1, 1), datetime(2027, 1, 1)),
        # 00:30 on 1 April in Madrid is still March in UTC
        (
            datetime.fromisoformat("2026-04-01T00:30:00+02:00"),
            3,
            datetime(2026, 1, 1),
            datetime(2026, 4, 1),
        ),
    ],
)
def test_periods_are_calendar_periods_in_utc(
    instant: datetime, months: int, start: datetime, end: datetime
) -> None:
    assert period_containing(instant, months) == Period(
        start.replace(tzinfo=UTC), end.replace(tzinfo=UTC)
    )


@pytest.mark.parametrize("months", [0, 5, 7, 24, -3])
def test_a_period_divides_the_year(months: int) -> None:
    with pytest.raises(ValueError, match="dividing the year"):
        period_containing(datetime(2026, 3, 3, tzinfo=UTC), months)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        period_containing(datetime(2026, 3, 3), 3)


@given(INSTANTS, MONTHS)
def test_a_period_holds_its_instant_and_starts_on_a_first_of_month(
    instant: datetime, months: int
) -> None:
    period = period_containing(instant, months)
    assert instant in period
    assert (period.start.day, period.start.hour, period.start.minute) == (1, 0, 0)
    assert (period.start.month - 1) % months == 0
    assert timedelta(days=28 * months) <= period.length <= timedelta(days=31 * months)
    assert period_containing(period.start, months) == period
    assert period_containing(period.end - timedelta(microseconds=1), months) == period


@given(INSTANTS, MONTHS)
def test_periods_follow_one_another_without_gap(instant: datetime, months: int) -> None:
    period = period_containing(instant, months)
    following = next_period(period)
    assert following.start == period.end
    assert following == period_containing(period.end, months)


@pytest.mark.parametrize(
    ("now", "planned"),
    [
        (datetime(2026, 3, 3, tzinfo=UTC), [datetime(2026, 1, 1)]),
        (datetime(2026, 3, 25, tzinfo=UTC), [datetime(2026, 1, 1), datetime(2026, 4, 1)]),
        (datetime(2026, 3, 24, 23, 59, tzinfo=UTC), [datetime(2026, 1, 1)]),
    ],
)
def test_the_next_period_is_planned_a_week_ahead(now: datetime, planned: list[datetime]) -> None:
    periods = periods_to_plan(now, 3, lead=timedelta(days=7))
    assert [p.start for p in periods] == [start.replace(tzinfo=UTC) for start in planned]


@given(INSTANTS, MONTHS, RULE_KEYS, st.integers(min_value=1, max_value=10**12))
def test_a_contact_has_the_same_point_of_every_period(
    instant: datetime, months: int, rule_key: str, contact_id: int
) -> None:
    period = period_containing(instant, months)
    following = next_period(period)
    here = period.slot(contact_key=str(contact_id), rule_key=rule_key)
    there = following.slot(contact_key=str(contact_id), rule_key=rule_key)
    assert here in period and there in following
    fraction_here = (here - period.start) / period.length
    fraction_there = (there - following.start) / following.length
    assert abs(fraction_here - fraction_there) < 1e-9


@settings(max_examples=20, deadline=None)  # tens of thousands of slots per example
@given(INSTANTS, st.sampled_from([3, 6]), RULE_KEYS)
def test_slots_spread_evenly_over_the_days_of_a_period(
    instant: datetime, months: int, rule_key: str
) -> None:
    period = period_containing(instant, months)
    days = period.length.days
    contacts = 200 * days  # two hundred a day on average
    per_day = Counter(
        (period.slot(contact_key=str(n), rule_key=rule_key) - period.start).days
        for n in range(contacts)
    )
    assert len(per_day) == days
    assert max(per_day.values()) <= 1.4 * 200
    assert min(per_day.values()) >= 0.6 * 200
