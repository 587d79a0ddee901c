"""Whether a contact may be asked again now, and if not, why and until when. Pure.

Three limits, so nobody is pestered: at most one survey per contact every ``global_days``
across all surveys, the same survey at most every ``per_survey_days``, and never a second
invitation while one is pending. A blocked decision names the limit and the first moment the
contact could be asked, so "why did this person not get a survey?" has an answer. The decision
depends only on the latest past send overall and per survey, so the order of the history does
not matter.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


class BlockReason(enum.StrEnum):
    FATIGUE = "fatigue"  # another survey went out fewer than global_days ago
    RECONTACT = "recontact"  # the same survey went out fewer than per_survey_days ago
    PENDING = "pending"  # an invitation to this contact has not been sent or settled yet


@dataclass(frozen=True)
class FatiguePolicy:
    global_days: int = 30
    per_survey_days: int = 90

    def __post_init__(self) -> None:
        if self.global_days < 0 or self.per_survey_days < 0:
            raise ValueError(
                f"fatigue periods are not negative: {self.global_days}, {self.per_survey_days}"
            )


@dataclass(frozen=True)
class PastInvitation:
    survey_key: str
    sent_at: datetime


@dataclass(frozen=True)
class FatigueDecision:
    """Allowed, or blocked by ``reason`` until ``until`` (None while an invitation is pending:
    that ends with an event, not at a known time)."""

    allowed: bool
    reason: BlockReason | None = None
    until: datetime | None = None


ALLOWED = FatigueDecision(allowed=True)


def decide(
    *,
    policy: FatiguePolicy,
    now: datetime,
    survey_key: str,
    history: Sequence[PastInvitation],
    pending: bool,
) -> FatigueDecision:
    """Whether ``survey_key`` may go to the contact with this history at ``now``.

    Exactly ``global_days`` after the last send is allowed again. When both limits block, the
    one that ends later is named, with its end, since that is when the contact can be asked.
    """
    if pending:
        return FatigueDecision(allowed=False, reason=BlockReason.PENDING)
    blocks: list[tuple[datetime, BlockReason]] = []
    if history:
        last = max(past.sent_at for past in history)
        blocks.append((last + timedelta(days=policy.global_days), BlockReason.FATIGUE))
    same_survey = [past.sent_at for past in history if past.survey_key == survey_key]
    if same_survey:
        last_same = max(same_survey)
        blocks.append((last_same + timedelta(days=policy.per_survey_days), BlockReason.RECONTACT))
    active = [(until, reason) for until, reason in blocks if now < until]
    if not active:
        return ALLOWED
    # later end first; on a tie the survey's own limit is the more specific reason
    until, reason = max(active, key=lambda block: (block[0], block[1] is BlockReason.RECONTACT))
    return FatigueDecision(allowed=False, reason=reason, until=until)


@dataclass(frozen=True)
class Candidate:
    """A trigger that wants to send to the contact now."""

    rule_key: str
    priority: int
    due_at: datetime


def pick_by_priority(candidates: Sequence[Candidate]) -> Candidate:
    """The trigger that wins when several compete for one contact.

    Highest priority, then the earliest due, then the rule key: a total order, so the same
    competition always has the same winner, whatever order the rules were evaluated in.
    """
    if not candidates:
        raise ValueError("no candidates to pick from")
    return min(candidates, key=lambda c: (-c.priority, c.due_at, c.rule_key))
