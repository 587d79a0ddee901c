"""Fatigue: one survey per N days, one per survey per M days, never two pending; priority."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closeloop.policy.fatigue import (
    BlockReason,
    Candidate,
    FatigueDecision,
    FatiguePolicy,
    PastInvitation,
    decide,
    pick_by_priority,
)

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
DEFAULT = FatiguePolicy()


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def sent(survey: str, days_ago: float) -> PastInvitation:
    return PastInvitation(survey_key=survey, sent_at=ago(days_ago))


@pytest.mark.parametrize(
    ("history", "pending", "expected"),
    [
        ([], False, FatigueDecision(allowed=True)),
        ([sent("csat", 31)], False, FatigueDecision(allowed=True)),
        ([sent("csat", 30)], False, FatigueDecision(allowed=True)),  # exactly N days: allowed
        (
            [sent("csat", 29)],
            False,
            FatigueDecision(
                allowed=False, reason=BlockReason.FATIGUE, until=NOW + timedelta(days=1)
            ),
        ),
        (
            [sent("nps", 60)],
            False,
            FatigueDecision(allowed=False, reason=BlockReason.RECONTACT, until=ago(60 - 90)),
        ),
        (
            # both block; the survey's own limit ends later, so it is the answer
            [sent("nps", 10)],
            False,
            FatigueDecision(allowed=False, reason=BlockReason.RECONTACT, until=ago(10 - 90)),
        ),
        (
            # the last send of any survey decides fatigue, whatever the order
            [sent("csat", 100), sent("ces", 5), sent("csat", 40)],
            False,
            FatigueDecision(allowed=False, reason=BlockReason.FATIGUE, until=ago(5 - 30)),
        ),
        ([sent("nps", 90), sent("csat", 45)], False, FatigueDecision(allowed=True)),
        ([], True, FatigueDecision(allowed=False, reason=BlockReason.PENDING)),
        ([sent("nps", 400)], True, FatigueDecision(allowed=False, reason=BlockReason.PENDING)),
    ],
)
def test_decisions(history: list[PastInvitation], pending: bool, expected: FatigueDecision) -> None:
    decision = decide(policy=DEFAULT, now=NOW, survey_key="nps", history=history, pending=pending)
    assert decision == expected


def test_a_policy_of_zero_days_never_blocks() -> None:
    policy = FatiguePolicy(global_days=0, per_survey_days=0)
    assert decide(
        policy=policy, now=NOW, survey_key="nps", history=[sent("nps", 0)], pending=False
    ).allowed


@pytest.mark.parametrize(("global_days", "per_survey_days"), [(-1, 90), (30, -1)])
def test_negative_periods_are_refused(global_days: int, per_survey_days: int) -> None:
    with pytest.raises(ValueError, match="not negative"):
        FatiguePolicy(global_days=global_days, per_survey_days=per_survey_days)


def test_blocked_until_means_allowed_from_then() -> None:
    history = [sent("csat", 3), sent("nps", 50)]
    blocked = decide(policy=DEFAULT, now=NOW, survey_key="nps", history=history, pending=False)
    assert blocked.until is not None
    assert decide(
        policy=DEFAULT, now=blocked.until, survey_key="nps", history=history, pending=False
    ).allowed


@settings(max_examples=150)
@given(
    global_days=st.integers(min_value=1, max_value=60),
    per_survey_days=st.integers(min_value=0, max_value=120),
    requests=st.lists(
        st.tuples(st.integers(min_value=0, max_value=400 * 24), st.sampled_from(["a", "b", "c"])),
        max_size=60,
    ),
    order=st.randoms(use_true_random=False),
)
def test_never_two_surveys_within_global_days_whatever_the_order(
    global_days: int,
    per_survey_days: int,
    requests: list[tuple[int, str]],
    order: random.Random,
) -> None:
    policy = FatiguePolicy(global_days=global_days, per_survey_days=per_survey_days)
    history: list[PastInvitation] = []
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for hours, survey in sorted(requests):
        now = start + timedelta(hours=hours)
        shuffled = list(history)
        order.shuffle(shuffled)
        decision = decide(
            policy=policy, now=now, survey_key=survey, history=shuffled, pending=False
        )
        assert decision == decide(
            policy=policy, now=now, survey_key=survey, history=history, pending=False
        )
        if decision.allowed:
            history.append(PastInvitation(survey_key=survey, sent_at=now))
        else:
            assert decision.until is not None and decision.until > now
    times = sorted(past.sent_at for past in history)
    assert all(b - a >= timedelta(days=global_days) for a, b in itertools.pairwise(times))
    for survey in "abc":
        same = sorted(p.sent_at for p in history if p.survey_key == survey)
        gaps = [b - a for a, b in itertools.pairwise(same)]
        assert all(gap >= timedelta(days=per_survey_days) for gap in gaps)


def candidate(rule: str, priority: int, due_in_hours: int) -> Candidate:
    return Candidate(rule_key=rule, priority=priority, due_at=NOW + timedelta(hours=due_in_hours))


@pytest.mark.parametrize(
    ("candidates", "winner"),
    [
        ([candidate("a", 1, 0)], "a"),
        ([candidate("low", 1, 0), candidate("high", 5, 48)], "high"),  # priority first
        ([candidate("later", 3, 10), candidate("sooner", 3, 2)], "sooner"),  # then earliest due
        ([candidate("b", 3, 2), candidate("a", 3, 2)], "a"),  # then rule key
        ([candidate("neg", -1, 0), candidate("zero", 0, 99)], "zero"),
    ],
)
def test_priority_decides_between_competing_triggers(
    candidates: list[Candidate], winner: str
) -> None:
    assert pick_by_priority(candidates).rule_key == winner
    assert pick_by_priority(list(reversed(candidates))).rule_key == winner


def test_picking_from_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="no candidates"):
        pick_by_priority([])
