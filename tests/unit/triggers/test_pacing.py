"""A campaign's budget: it fills at the rate, an hour's worth at most at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.triggers.pacing import refilled, takeable

START = datetime(2026, 3, 3, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("budget", "elapsed", "rate", "expected"),
    [
        (0.0, timedelta(minutes=6), 10, 1.0),
        (0.5, timedelta(minutes=30), 10, 5.5),
        (0.0, timedelta(days=3), 500, 500.0),  # a stopped planner does not send a day at once
        (0.9, timedelta(minutes=15), 1, 1.15),  # the fraction left over is kept
        (3.0, timedelta(0), 10, 3.0),
        (3.0, -timedelta(minutes=5), 10, 3.0),  # a clock read out of order earns nothing
    ],
)
def test_the_budget_fills_at_the_rate_for_an_hour_at_most(
    budget: float, elapsed: timedelta, rate: int, expected: float
) -> None:
    result = refilled(budget=budget, since=START, now=START + elapsed, rate_per_hour=rate)
    assert result == pytest.approx(expected)


@pytest.mark.parametrize(("budget", "people"), [(0.0, 0), (0.999, 0), (1 - 1e-12, 1), (7.5, 7)])
def test_only_whole_people_are_taken(budget: float, people: int) -> None:
    assert takeable(budget) == people


@given(
    st.integers(min_value=1, max_value=5_000),
    st.lists(st.integers(min_value=1, max_value=3_600), min_size=1, max_size=200),
)
def test_ticks_at_any_times_take_the_rate_per_hour(rate: int, gaps: list[int]) -> None:
    """However the ticks fall (each within the hour), the people taken by time t are
    floor(rate × t), or one less while a rounding error is pending."""
    budget, at, taken = 0.0, START, 0
    for gap in gaps:
        now = at + timedelta(seconds=gap)
        budget = refilled(budget=budget, since=at, now=now, rate_per_hour=rate)
        take = takeable(budget)
        budget, at, taken = budget - take, now, taken + take
    earned = rate * (at - START) / timedelta(hours=1)
    assert earned - 1 <= taken <= earned + 1e-6
