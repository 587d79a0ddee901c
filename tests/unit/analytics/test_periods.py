"""Reporting periods: dates include their whole day, lengths count back from the end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.analytics.periods import (
    DEFAULT_LENGTH_DAYS,
    Length,
    Unit,
    bounds,
    months_before,
    parse_bound,
    parse_length,
    resolve,
)
from closeloop.errors import InvalidInput

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", Length(30, Unit.DAYS)),
        ("12w", Length(12, Unit.WEEKS)),
        ("6m", Length(6, Unit.MONTHS)),
        (" 6M ", Length(6, Unit.MONTHS)),
    ],
)
def test_lengths(text: str, expected: Length) -> None:
    assert parse_length(text) == expected


@pytest.mark.parametrize("text", ["", "0d", "30", "d", "30y", "-3d", "1.5m", "99999d", "30 d"])
def test_bad_lengths_name_the_period(text: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_length(text)
    assert error.value.field == "period"
    assert "30d" in error.value.detail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", date(2026, 3, 1)),
        ("2026-03-01T09:00:00Z", datetime(2026, 3, 1, 9, tzinfo=UTC)),
        ("2026-03-01T09:00:00+02:00", datetime(2026, 3, 1, 9, tzinfo=timezone(timedelta(hours=2)))),
        ("2026-03-01T09:00", datetime(2026, 3, 1, 9)),
    ],
)
def test_bounds_are_iso_dates_or_datetimes(text: str, expected: date) -> None:
    assert parse_bound(text, field="since") == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "01/03/2026", "2026-03-01T25:00", ""])
def test_bad_bounds_name_their_field(text: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_bound(text, field="until")
    assert error.value.field == "until"
    assert "ISO date" in error.value.detail


def test_the_default_is_the_last_90_days_including_today() -> None:
    period = resolve(since=None, until=None, now=NOW)
    assert period.until == datetime(2026, 3, 4, tzinfo=UTC)
    assert period.since == period.until - timedelta(days=DEFAULT_LENGTH_DAYS)


def test_an_answer_given_right_now_is_in_the_default_period() -> None:
    period = resolve(since=None, until=None, now=NOW)
    assert period.since <= NOW < period.until


def test_a_date_until_includes_the_whole_day() -> None:
    period = resolve(since=date(2026, 3, 1), until=date(2026, 3, 31), now=NOW)
    assert period.since == datetime(2026, 3, 1, tzinfo=UTC)
    assert period.until == datetime(2026, 4, 1, tzinfo=UTC)


def test_datetimes_are_taken_as_given_and_naive_ones_as_utc() -> None:
    madrid = timezone(timedelta(hours=1))
    period = resolve(
        since=datetime(2026, 3, 1, 10, tzinfo=madrid), until=datetime(2026, 3, 2, 8), now=NOW
    )
    assert period.since == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert period.until == datetime(2026, 3, 2, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("length", "since"),
    [
        (Length(30, Unit.DAYS), datetime(2026, 2, 2, tzinfo=UTC)),
        (Length(2, Unit.WEEKS), datetime(2026, 2, 18, tzinfo=UTC)),
        (Length(6, Unit.MONTHS), datetime(2025, 9, 4, tzinfo=UTC)),
    ],
)
def test_a_length_counts_back_from_the_end_of_today(length: Length, since: datetime) -> None:
    assert resolve(since=None, until=None, now=NOW, length=length).since == since


def test_a_start_and_a_length_together_are_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        resolve(since=date(2026, 1, 1), until=None, now=NOW, length=Length(1, Unit.DAYS))
    assert error.value.field == "period"


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (date(2026, 3, 5), date(2026, 3, 1)),
        (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
    ],
)
def test_a_period_that_ends_before_it_starts_is_refused(since: date, until: date) -> None:
    with pytest.raises(InvalidInput) as error:
        resolve(since=since, until=until, now=NOW)
    assert error.value.field == "since"
    with pytest.raises(InvalidInput):
        bounds(since=since, until=until)


def test_extreme_dates_are_an_error_not_a_crash() -> None:
    with pytest.raises(InvalidInput) as error:
        resolve(since=None, until=date.max, now=NOW)
    assert error.value.field == "until"
    with pytest.raises(InvalidInput) as error:
        resolve(since=None, until=date(1, 1, 2), now=NOW)
    assert error.value.field == "since"


def test_open_bounds_stay_open() -> None:
    assert bounds(since=None, until=None) == (None, None)
    assert bounds(since=date(2026, 3, 1), until=None) == (datetime(2026, 3, 1, tzinfo=UTC), None)


@pytest.mark.parametrize(
    ("instant", "months", "expected"),
    [
        (datetime(2026, 3, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2024, 3, 31, tzinfo=UTC), 1, datetime(2024, 2, 29, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 1, datetime(2025, 12, 15, tzinfo=UTC)),
        (datetime(2026, 3, 3, tzinfo=UTC), 24, datetime(2024, 3, 3, tzinfo=UTC)),
    ],
)
def test_months_are_calendar_months(instant: datetime, months: int, expected: datetime) -> None:
    assert months_before(instant, months) == expected


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(min_value=0, max_value=1200),
)
def test_months_before_always_lands_in_the_right_month(instant: datetime, months: int) -> None:
    earlier = months_before(instant, months)
    assert (instant.year * 12 + instant.month) - (earlier.year * 12 + earlier.month) == months
    assert earlier.time() == instant.time()
    assert earlier.day <= instant.day
