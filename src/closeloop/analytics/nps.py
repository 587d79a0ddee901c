"""NPS arithmetic. Pure: counts in, figures out.

The margin of error follows the usual treatment of NPS as the mean of a variable that
is +1 for a promoter, 0 for a passive and -1 for a detractor: its variance is
``p + d - (p - d)²`` (shares of promoters and detractors), and the 95 % margin is
``1.96 · √(variance / n)``, reported on the −100…100 scale.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

Z_95 = 1.96


class Category(enum.StrEnum):
    PROMOTER = "promoter"
    PASSIVE = "passive"
    DETRACTOR = "detractor"


def categorise(score: int) -> Category:
    """The NPS category of a 0–10 score."""
    if not 0 <= score <= 10:
        raise ValueError(f"an NPS score is 0–10, not {score}")
    if score >= 9:
        return Category.PROMOTER
    if score >= 7:
        return Category.PASSIVE
    return Category.DETRACTOR


@dataclass(frozen=True)
class NpsSummary:
    promoters: int
    passives: int
    detractors: int

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
