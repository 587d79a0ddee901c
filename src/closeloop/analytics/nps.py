"""NPS arithmetic. Pure: counts in, figures out.

The margin of error follows the usual treatment of NPS as the mean of a variable that
is +1 for a promoter, 0 for a passive and -1 for a detractor: its variance is
``p + d - (p - d)²`` (shares of promoters and detractors), and the 95 % margin is
``1.96 · √(variance / n)``, reported on the −100…100 scale.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass

Z_95 = 1.96
# the lowest score of each category; the SQL that counts categories uses the same bounds
PROMOTER_MIN = 9
PASSIVE_MIN = 7
# below this many answers on either side, a change between periods is not called significant:
# the normal approximation behind the margins is not trustworthy on a handful of answers
MIN_RESPONSES_TO_COMPARE = 10


class Category(enum.StrEnum):
    PROMOTER = "promoter"
    PASSIVE = "passive"
    DETRACTOR = "detractor"


def categorise(score: int) -> Category:
    """The NPS category of a 0–10 score."""
    if not 0 <= score <= 10:
        raise ValueError(f"an NPS score is 0–10, not {score}")
    if score >= PROMOTER_MIN:
        return Category.PROMOTER
    if score >= PASSIVE_MIN:
        return Category.PASSIVE
    return Category.DETRACTOR


@dataclass(frozen=True)
class NpsSummary:
    promoters: int
    passives: int
    detractors: int

    @classmethod
    def from_counts(cls, counts: Mapping[Category, int]) -> NpsSummary:
        """A summary from per-category counts (as a GROUP BY returns them); missing means 0."""
        return cls(
            promoters=counts.get(Category.PROMOTER, 0),
            passives=counts.get(Category.PASSIVE, 0),
            detractors=counts.get(Category.DETRACTOR, 0),
        )

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    def share(self, category: Category) -> float | None:
        """The share of a category in percent, or None with no responses."""
        if not self.responses:
            return None
        count = {
            Category.PROMOTER: self.promoters,
            Category.PASSIVE: self.passives,
            Category.DETRACTOR: self.detractors,
        }[category]
        return 100.0 * count / self.responses

    @property
    def nps(self) -> float | None:
        """Net Promoter Score on −100…100, or None with no responses."""
        if not self.responses:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.responses

    @property
    def margin_of_error(self) -> float | None:
        """Half-width of the 95 % confidence interval of the NPS, in NPS points."""
        n = self.responses
        if n < 2:
            return None
        p, d = self.promoters / n, self.detractors / n
        variance = p + d - (p - d) ** 2
        return 100.0 * Z_95 * math.sqrt(variance / n)


def summarise(scores: list[int]) -> NpsSummary:
    categories = [categorise(score) for score in scores]
    return NpsSummary(
        promoters=categories.count(Category.PROMOTER),
        passives=categories.count(Category.PASSIVE),
        detractors=categories.count(Category.DETRACTOR),
    )


@dataclass(frozen=True)
class NpsChange:
    """How the NPS moved from one period to the next, and whether that is more than noise."""

    delta: float
    margin_of_error: float
    significant: bool


def compare(previous: NpsSummary, current: NpsSummary) -> NpsChange | None:
    """The change from ``previous`` to ``current``, or None when either has too few answers.

    The two periods are independent samples, so the margin of the difference is the root
    of the summed squared margins; the change is significant when it exceeds that margin
    and both periods hold at least ``MIN_RESPONSES_TO_COMPARE`` answers.
    """
    if previous.nps is None or current.nps is None:
        return None
    if previous.margin_of_error is None or current.margin_of_error is None:
        return None
    delta = current.nps - previous.nps
    margin = math.hypot(previous.margin_of_error, current.margin_of_error)
    enough = min(previous.responses, current.responses) >= MIN_RESPONSES_TO_COMPARE
    return NpsChange(
        delta=delta, margin_of_error=margin, significant=enough and abs(delta) > margin
    )
