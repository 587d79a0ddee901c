"""The policy for a survey asked for explicitly (Delighted's POST /people)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from closeloop.compat.delighted.requesting import RequestVerdict, decide_request
from closeloop.policy.fatigue import FatiguePolicy, PastInvitation
from closeloop.policy.windows import SendWindow
from closeloop.triggers.deciding import Pending, PersonState
from closeloop.triggers.engine import EXPLICIT_PRIORITY
from closeloop.triggers.models import Outcome, Reason

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # a Tuesday
PERSON = PersonState(
    contact_key="7",
    suppressed=None,
    reachable=frozenset({"email"}),
    zone=ZoneInfo("Europe/Madrid"),
    holidays=lambda day: False,
)
WORKDAYS = SendWindow(days=frozenset(range(5)), start=time(9), end=time(17))


def _decide(person: PersonState = PERSON, **overrides: object) -> RequestVerdict:
    arguments: dict[str, object] = {
        "person": person,
        "channel": "email",
        "available_channels": frozenset({"email"}),
        "survey_key": "nps",
        "survey_active": True,
        "earliest": NOW,
        "now": NOW,
        "window": None,
        "policy": FatiguePolicy(global_days=30, per_survey_days=90),
    }
    arguments.update(overrides)
    return decide_request(**arguments)  # type: ignore[arg-type]


def _pending(priority: int) -> Pending:
    return Pending(invitation_id=5, rule_key=None, priority=priority, due_at=NOW)


def test_a_request_goes_at_once_by_default() -> None:
    assert _decide() == RequestVerdict(Outcome.SCHEDULED, due_at=NOW)


@pytest.mark.parametrize(
    ("person", "overrides", "reason"),
    [
        (replace(PERSON, suppressed="unsubscribed"), {}, Reason.UNSUBSCRIBED),
        (replace(PERSON, suppressed="bounced"), {}, Reason.BOUNCED),
        (PERSON, {"channel": "sms"}, Reason.CHANNEL_UNAVAILABLE),
        (replace(PERSON, reachable=frozenset()), {}, Reason.NO_ADDRESS),
        (PERSON, {"survey_active": False}, Reason.SURVEY_INACTIVE),
        (replace(PERSON, pending=_pending(EXPLICIT_PRIORITY)), {}, Reason.PENDING),
    ],
)
def test_refusals_in_the_policys_order(
    person: PersonState, overrides: dict[str, object], reason: Reason
) -> None:
    verdict = _decide(person, **overrides)
    assert (verdict.outcome, verdict.reason) == (Outcome.SKIPPED, reason)
    assert verdict.detail


def test_suppression_comes_before_everything_else() -> None:
    person = replace(PERSON, suppressed="unsubscribed", pending=_pending(EXPLICIT_PRIORITY))
    assert _decide(person, channel="sms").reason is Reason.UNSUBSCRIBED


def test_a_rules_pending_invitation_is_replaced() -> None:
    waiting = _pending(1_000)
    verdict = _decide(replace(PERSON, pending=waiting))
    assert (verdict.outcome, verdict.supersedes) == (Outcome.SCHEDULED, waiting)


def test_a_delay_and_a_window_move_the_send_in_the_recipients_zone() -> None:
    late_friday = datetime(2026, 3, 6, 17, 30, tzinfo=UTC)  # 18:30 in Madrid
    verdict = _decide(earliest=late_friday, window=WORKDAYS)
    assert verdict.due_at == datetime(2026, 3, 9, 8, 0, tzinfo=UTC), "Monday 09:00 in Madrid"


def test_an_earliest_in_the_past_means_now() -> None:
    assert _decide(earliest=NOW - timedelta(hours=2)).due_at == NOW


@pytest.mark.parametrize(
    ("history", "reason", "until"),
    [
        ([PastInvitation("onboarding", NOW - timedelta(days=10))], Reason.FATIGUE, 20),
        ([PastInvitation("nps", NOW - timedelta(days=40))], Reason.RECONTACT, 50),
    ],
)
def test_fatigue_is_checked_when_the_survey_would_go(
    history: list[PastInvitation], reason: Reason, until: int
) -> None:
    verdict = _decide(replace(PERSON, history=tuple(history)))
    assert (verdict.outcome, verdict.reason) == (Outcome.SKIPPED, reason)
    assert verdict.until == NOW + timedelta(days=until)
    assert verdict.detail is not None and "may be asked again" in verdict.detail
    later = _decide(replace(PERSON, history=tuple(history)), earliest=NOW + timedelta(days=until))
    assert later.outcome is Outcome.SCHEDULED, "a delay past the block is allowed"
