"""Breakdown groups: their labels, their order, and the trend over time."""

from __future__ import annotations

import pytest

from closeloop.analytics.breakdown import Dimension, GroupCounts, arrange, label
from closeloop.analytics.nps import NpsSummary


@pytest.mark.parametrize(
    ("dimension", "key", "name", "expected"),
    [
        (Dimension.WEEK, "2026-03-02", None, "2026-W10"),
        (Dimension.WEEK, "2025-12-29", None, "2026-W01"),
        (Dimension.MONTH, "2026-03", None, "March 2026"),
        (Dimension.SURVEY, "nps", "Relationship NPS", "Relationship NPS"),
        (Dimension.ACCOUNT, "7", None, "7"),
        (Dimension.TOUCHPOINT, None, None, "(no touchpoint)"),
        (Dimension.ROLE, None, None, "(no role)"),
        (Dimension.ACCOUNT, None, None, "(no account)"),
    ],
)
def test_labels(dimension: Dimension, key: str | None, name: str | None, expected: str) -> None:
    assert label(dimension, key, name) == expected


def test_groups_other_than_time_come_biggest_first() -> None:
    groups = arrange(
        Dimension.TOUCHPOINT,
        [
            GroupCounts("support", None, NpsSummary(1, 0, 0)),
            GroupCounts("onboarding", None, NpsSummary(3, 1, 1)),
            GroupCounts(None, None, NpsSummary(1, 0, 0)),
        ],
    )
    assert [group.label for group in groups] == ["onboarding", "(no touchpoint)", "support"]
    assert all(group.change is None for group in groups)


def test_time_groups_come_in_order_each_compared_with_the_one_before() -> None:
    weak = NpsSummary(promoters=10, passives=10, detractors=30)
    strong = NpsSummary(promoters=40, passives=5, detractors=5)
    groups = arrange(
        Dimension.MONTH,
        [GroupCounts("2026-03", None, strong), GroupCounts("2026-02", None, weak)],
    )
    assert [group.key for group in groups] == ["2026-02", "2026-03"]
    assert groups[0].change is None
    change = groups[1].change
    assert change is not None
    assert change.delta == pytest.approx(110.0)  # from -40 to 70
    assert change.significant
