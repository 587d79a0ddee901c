"""The policy verdict for rules that fired: the order of the checks and what each says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closeloop.policy.fatigue import FatiguePolicy, PastInvitation
from closeloop.policy.windows import SendWindow, parse_window_setting
from closeloop.triggers.deciding import Firing, Pending, PersonState, decide
from closeloop.triggers.engine import CompiledRule, compile_rule
from closeloop.triggers.models import Outcome, Reason

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # a Tuesday
POLICY = FatiguePolicy(global_days=30, per_survey_days=90)
WEEKDAYS = parse_window_setting("mon-fri 09:00-17:00")


def rule(
    key: str = "r",
    *,
    priority: int = 100,
    sample: float = 100,
    survey: str = "nps",
    window: object = "default",
    rule_id: int = 1,
) -> CompiledRule:
    return compile_rule(
        rule_id=rule_id,
        version=3,
        definition={
            "kind": "event",
            "key": key,
            "name": key,
            "survey": survey,
            "event": "E",
            "priority": priority,
            "sample_percent": sample,
            "send_window": window,
        },
        default_window=WEEKDAYS,
    )


def person(**changes: object) -> PersonState:
    values: dict[str, object] = {
        "contact_key": "42",
        "suppressed": None,
        "reachable": frozenset({"email"}),
        "zone": ZoneInfo("Europe/Madrid"),
        "holidays": lambda day: False,
    }
    values.update(changes)
    return PersonState(**values)  # type: ignore[arg-type]


def verdicts(firings: list[Firing], who: PersonState) -> list[tuple[str, Outcome, Reason | None]]:
    found = decide(firings, who, now=NOW, policy=POLICY, active_surveys=frozenset({"nps", "csat"}))
    return [(v.firing.rule.key, v.outcome, v.reason) for v in found]


def test_a_firing_in_the_window_is_scheduled_at_once() -> None:
    [verdict] = decide(
        [Firing(rule(), NOW)], person(), now=NOW, policy=POLICY, active_surveys=frozenset({"nps"})
    )
    assert verdict.outcome is Outcome.SCHEDULED
    assert verdict.due_at == NOW  # 11:00 in Madrid, a Tuesday


def test_a_delay_never_bypasses_the_window() -> None:
    saturday = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
    [verdict] = decide(
        [Firing(rule(), saturday)],
        person(),
        now=NOW,
        policy=POLICY,
        active_surveys=frozenset({"nps"}),
    )
    # Monday 09:00 in Madrid (UTC+1 in March before the 29th) is 08:00 UTC
    assert verdict.due_at == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


def test_a_rule_that_opts_out_of_windows_goes_at_night_too() -> None:
    night = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)
    [verdict] = decide(
        [Firing(rule(window="none"), night)],
        person(),
        now=NOW,
        policy=POLICY,
        active_surveys=frozenset({"nps"}),
    )
    assert verdict.due_at == night


@pytest.mark.parametrize(
    ("who", "firing_rule", "reason"),
    [
        (person(suppressed="unsubscribed"), rule(), Reason.UNSUBSCRIBED),
        (person(suppressed="bounced"), rule(), Reason.BOUNCED),
        (person(reachable=frozenset()), rule(), Reason.NO_ADDRESS),
        (person(), rule(survey="gone"), Reason.SURVEY_INACTIVE),
        (person(), rule(sample=0), Reason.SAMPLED_OUT),
    ],
)
def test_refusals_name_their_reason(
    who: PersonState, firing_rule: CompiledRule, reason: Reason
) -> None:
    assert verdicts([Firing(firing_rule, NOW)], who) == [("r", Outcome.SKIPPED, reason)]


def test_a_moment_long_gone_is_too_late() -> None:
    late = Firing(rule(), NOW - timedelta(days=3))
    assert verdicts([late], person()) == [("r", Outcome.SKIPPED, Reason.TOO_LATE)]
    slightly_late = Firing(rule(), NOW - timedelta(hours=5))
    assert verdicts([slightly_late], person()) == [("r", Outcome.SCHEDULED, None)]


def test_the_highest_priority_wins_the_others_are_superseded() -> None:
    firings = [
        Firing(rule("low", priority=1), NOW),
        Firing(rule("high", priority=9), NOW),
        Firing(rule("mid", priority=5), NOW),
    ]
    assert sorted(verdicts(firings, person())) == [
        ("high", Outcome.SCHEDULED, None),
        ("low", Outcome.SKIPPED, Reason.SUPERSEDED),
        ("mid", Outcome.SKIPPED, Reason.SUPERSEDED),
    ]


def test_a_pending_invitation_blocks_weaker_and_yields_to_stronger_rules() -> None:
    pending = Pending(invitation_id=7, rule_key="p", priority=50, due_at=NOW + timedelta(days=2))
    who = person(pending=pending)
    assert verdicts([Firing(rule(priority=50), NOW)], who) == [
        ("r", Outcome.SKIPPED, Reason.PENDING)
    ]
    [verdict] = decide(
        [Firing(rule(priority=51), NOW)],
        who,
        now=NOW,
        policy=POLICY,
        active_surveys=frozenset({"nps"}),
    )
    assert (verdict.outcome, verdict.supersedes) == (Outcome.SCHEDULED, pending)


def test_fatigue_is_checked_when_the_survey_would_go_out() -> None:
    """Sent 20 days ago: blocked now, but a 14-day delay lands after the 30 days."""
    who = person(history=(PastInvitation("csat", NOW - timedelta(days=20)),))
    [now_verdict] = decide(
        [Firing(rule(), NOW)], who, now=NOW, policy=POLICY, active_surveys=frozenset({"nps"})
    )
    assert (now_verdict.reason, now_verdict.until) == (Reason.FATIGUE, NOW + timedelta(days=10))
    assert "2026-02-11" in (now_verdict.detail or "")
    later = Firing(rule(), NOW + timedelta(days=14))
    assert verdicts([later], who) == [("r", Outcome.SCHEDULED, None)]


def test_the_same_survey_waits_for_the_recontact_period() -> None:
    who = person(history=(PastInvitation("nps", NOW - timedelta(days=40)),))
    [verdict] = decide(
        [Firing(rule(), NOW)], who, now=NOW, policy=POLICY, active_surveys=frozenset({"nps"})
    )
    assert (verdict.reason, verdict.until) == (Reason.RECONTACT, NOW + timedelta(days=50))


@settings(max_examples=60, deadline=None)
@given(
    priorities=st.lists(st.integers(0, 1000), min_size=1, max_size=6),
    offsets=st.lists(st.integers(0, 48), min_size=6, max_size=6),
)
def test_at_most_one_is_scheduled_and_the_order_does_not_matter(
    priorities: list[int], offsets: list[int]
) -> None:
    firings = [
        Firing(rule(f"r{i}", priority=p, rule_id=i), NOW + timedelta(hours=offsets[i]))
        for i, p in enumerate(priorities)
    ]
    forward = verdicts(firings, person())
    backward = verdicts(list(reversed(firings)), person())
    assert sorted(forward, key=str) == sorted(backward, key=str)
    scheduled = [key for key, outcome, _ in forward if outcome is Outcome.SCHEDULED]
    assert len(scheduled) == 1
    best = max(priorities)
    assert priorities[int(scheduled[0][1:])] == best


def test_windows_compile_from_the_rule() -> None:
    own = rule(window={"days": ["tue"], "start": "10:00", "end": "11:00"})
    assert own.window == SendWindow(days=frozenset({1}), start=own.window.start, end=own.window.end)  # type: ignore[union-attr]
    assert rule(window="none").window is None
    assert rule().window == WEEKDAYS
