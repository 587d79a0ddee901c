"""How many people a campaign may take now: a token bucket. Pure.

The budget fills at ``rate_per_hour`` while the campaign runs, and one refill counts at
most an hour, so a planner that was stopped for a day never sends a day's worth at once.
(Capping the elapsed time rather than the budget keeps the fraction left after taking
whole people: at one an hour, 0.9 plus a quarter of an hour is 1.15, not 1.)
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

HOUR = timedelta(hours=1)
_ROUNDING = 1e-9


def refilled(*, budget: float, since: datetime, now: datetime, rate_per_hour: int) -> float:
    """The budget at ``now`` after filling since ``since`` (for an hour at most)."""
    if rate_per_hour < 1:
        raise ValueError(f"a campaign sends at least one per hour, not {rate_per_hour}")
    elapsed = min(max(now - since, timedelta(0)), HOUR)
    return budget + rate_per_hour * (elapsed / HOUR)


def takeable(budget: float) -> int:
    """Whole people the budget allows now (a sum of fractions that should make 1 may fall
    a rounding error short of it, and must still count as 1)."""
    return max(math.floor(budget + _ROUNDING), 0)
