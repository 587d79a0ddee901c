"""NPS arithmetic: categories, the score, shares, the margin of error, changes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.analytics.nps import (
    MIN_RESPONSES_TO_COMPARE,
    Category,
    NpsSummary,
    categorise,
    compare,
    summarise,
)

counts = st.integers(min_value=0, max_value=10_000)
summaries = st.builds(NpsSummary, promoters=counts, passives=counts, detractors=counts)


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (0, Category.DETRACTOR),
        (6, Category.DETRACTOR),
        (7, Category.PASSIVE),
        (8, Category.PASSIVE),
        (9, Category.PROMOTER),
        (10, Category.PROMOTER),
    ],
)
def test_categories_follow_the_standard_bounds(score: int, category: Category) -> None:
    assert categorise(score) is category


@pytest.mark.parametrize("score", [-1, 11, 100])
def test_scores_off_the_scale_are_refused(score: int) -> None:
    with pytest.raises(ValueError, match="0–10"):
        categorise(score)


@pytest.mark.parametrize(
    ("scores", "nps", "promoter_share"),
    [
        ([10, 9, 8, 7, 6], 20.0, 40.0),
        ([10, 10], 100.0, 100.0),
        ([0, 1, 2], -100.0, 0.0),
        ([7, 8], 0.0, 0.0),
        ([9, 0], 0.0, 50.0),
    ],
)
def test_nps_is_promoters_minus_detractors_in_percent(
    scores: list[int], nps: float, promoter_share: float
) -> None:
    summary = summarise(scores)
    assert summary.nps == pytest.approx(nps)
    assert summary.share(Category.PROMOTER) == pytest.approx(promoter_share)


def test_no_responses_means_no_figures() -> None:
    empty = NpsSummary(0, 0, 0)
    assert empty.nps is None
    assert empty.share(Category.PASSIVE) is None
    assert empty.margin_of_error is None


def test_from_counts_takes_missing_categories_as_zero() -> None:
    summary = NpsSummary.from_counts({Category.PROMOTER: 3, Category.DETRACTOR: 1})
    assert summary == NpsSummary(promoters=3, passives=0, detractors=1)


@given(summaries)
def test_nps_stays_within_minus_100_and_100(summary: NpsSummary) -> None:
    if summary.responses:
        assert summary.nps is not None
        assert -100.0 <= summary.nps <= 100.0
        shares = [summary.share(category) or 0.0 for category in Category]
        assert math.fsum(shares) == pytest.approx(100.0)


@given(summaries)
def test_the_margin_is_never_negative_and_at_most_196_points(summary: NpsSummary) -> None:
    margin = summary.margin_of_error
    if summary.responses >= 2:
        assert margin is not None
        # the variance of a ±1/0 variable is at most 1
        assert 0.0 <= margin <= 196.0 + 1e-9


@given(
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=2, max_value=20),
)
def test_the_margin_shrinks_as_answers_grow_in_the_same_proportions(
    promoters: int, passives: int, detractors: int, factor: int
) -> None:
    small = NpsSummary(promoters, passives, detractors)
    large = NpsSummary(promoters * factor, passives * factor, detractors * factor)
    assert small.nps == pytest.approx(large.nps)
    assert small.margin_of_error is not None and large.margin_of_error is not None
    assert large.margin_of_error < small.margin_of_error
    assert large.margin_of_error == pytest.approx(small.margin_of_error / math.sqrt(factor))


def test_a_big_move_on_many_answers_is_significant() -> None:
    before = NpsSummary(promoters=20, passives=30, detractors=50)
    after = NpsSummary(promoters=60, passives=30, detractors=10)
    change = compare(before, after)
    assert change is not None
    assert change.delta == pytest.approx(80.0)
    assert change.significant


def test_a_small_move_is_noise() -> None:
    before = NpsSummary(promoters=40, passives=30, detractors=30)
    after = NpsSummary(promoters=42, passives=30, detractors=28)
    change = compare(before, after)
    assert change is not None
    assert change.delta == pytest.approx(4.0)
    assert not change.significant


def test_a_handful_of_answers_is_never_called_significant() -> None:
    few = MIN_RESPONSES_TO_COMPARE - 1
    change = compare(NpsSummary(0, 0, few), NpsSummary(few, 0, 0))
    assert change is not None
    assert change.delta == pytest.approx(200.0)
    assert not change.significant


@pytest.mark.parametrize(
    ("previous", "current"),
    [(NpsSummary(0, 0, 0), NpsSummary(5, 5, 5)), (NpsSummary(5, 5, 5), NpsSummary(1, 0, 0))],
)
def test_no_change_without_a_margin_on_both_sides(
    previous: NpsSummary, current: NpsSummary
) -> None:
    assert compare(previous, current) is None


@given(summaries, summaries)
def test_the_margin_of_a_change_covers_both_margins(a: NpsSummary, b: NpsSummary) -> None:
    change = compare(a, b)
    if change is not None:
        assert a.margin_of_error is not None and b.margin_of_error is not None
        assert change.margin_of_error >= max(a.margin_of_error, b.margin_of_error) - 1e-9
        assert change.significant == (
            min(a.responses, b.responses) >= MIN_RESPONSES_TO_COMPARE
            and abs(change.delta) > change.margin_of_error
        )
