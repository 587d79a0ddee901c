"""The simulation's in-memory engine: the live engine's order of questions, with the
person's pending invitation and past sends kept in memory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closeloop.policy import windows
from closeloop.policy.fatigue import FatiguePolicy
from closeloop.policy.windows import SendWindow, parse_window_setting
from closeloop.triggers.deciding import PersonState
from closeloop.triggers.engine import RuleSet, compile_rule
from closeloop.triggers.evaluation import Facts
from closeloop.triggers.facts import account_facts, contact_facts
from closeloop.triggers.models import Outcome, Reason
from closeloop.triggers.reads import FactsRead, names_needing_properties
from closeloop.triggers.replay import (
    Happening,
    Person,
    Replay,
    ReplayEvent,
    SimulatedDecision,
    SimulatedSend,
    WindowMemo,
)

T0 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # a Tuesday
WEEKDAYS = parse_window_setting("mon-fri 09:00-17:00")
POLICY = FatiguePolicy(global_days=30, per_survey_days=90)


def ruleset(*definitions: dict[str, Any]) -> RuleSet:
    return RuleSet.of(
        compile_rule(
            rule_id=number,
            version=1,
            definition={"kind": "event", "name": d["key"], "survey": d["key"], **d},
            default_window=WEEKDAYS,
        )
        for number, d in enumerate(definitions, start=1)
    )


def person(key: str = "7", *, role: str = "end_user", **state: Any) -> Person:
    policy: dict[str, Any] = {
        "contact_key": key,
        "suppressed": None,
        "reachable": frozenset({"email"}),
        "zone": ZoneInfo("UTC"),
        "holidays": lambda day: False,
    }
    policy.update(state)
    return Person(
        address=f"p{key}@example.com",
        contact={"role": role, "traits": {}},
        account={},
        policy=PersonState(**policy),
    )


def event(name: str, at: datetime, number: int = 1, **properties: object) -> ReplayEvent:
    return ReplayEvent(number, name, at, properties)


class Run:
    """A replay and everything it said, in order."""

    def __init__(self, rules: RuleSet, *, active: Sequence[str] | None = None) -> None:
        surveys = frozenset(active if active is not None else (r.survey_key for r in rules.rules))
        self.replay = Replay(ruleset=rules, policy=POLICY, active_surveys=surveys)
        self.happened: list[Happening] = []

    def feed(self, item: ReplayEvent, who: Person | None = None, key: str = "7") -> None:
        self.happened.extend(self.replay.feed(item, who.policy.contact_key if who else key, who))

    def finish(self) -> None:
        self.happened.extend(self.replay.finish())

    def decisions(self) -> list[tuple[str, Outcome, Reason | None]]:
        return [
            (h.rule_key, h.outcome, h.reason)
            for h in self.happened
            if isinstance(h, SimulatedDecision)
        ]

    def sends(self) -> list[tuple[str, datetime]]:
        return [(h.rule_key, h.sent_at) for h in self.happened if isinstance(h, SimulatedSend)]


def test_a_firing_is_scheduled_in_the_window_and_sent_at_its_due_time() -> None:
    run = Run(ruleset({"key": "onboarding", "event": "Signed Up", "delay": "14d"}))
    saturday_night = datetime(2026, 3, 7, 23, 0, tzinfo=UTC)
    run.feed(event("Signed Up", saturday_night), person())
    # 14 days later is a Saturday night: the window opens on Monday 09:00
    due = datetime(2026, 3, 23, 9, 0, tzinfo=UTC)
    assert run.happened == [
        SimulatedDecision("onboarding", "7", Outcome.SCHEDULED, None, saturday_night, due, 1)
    ]
    run.finish()
    assert run.sends() == [("onboarding", due)]


def test_pending_then_sent_then_fatigue_until_the_policy_allows_again() -> None:
    run = Run(
        ruleset(
            {"key": "csat", "event": "Ticket Solved", "send_window": "none", "delay": "1h"},
            {"key": "delivery", "event": "Order Delivered", "send_window": "none"},
        )
    )
    someone = person()
    run.feed(event("Ticket Solved", T0), someone)
    run.feed(event("Order Delivered", T0 + timedelta(minutes=30)), someone)  # csat pending
    run.feed(event("Order Delivered", T0 + timedelta(days=2)), someone)  # csat went out
    run.feed(event("Order Delivered", T0 + timedelta(days=31)), someone)
    run.finish()
    assert run.decisions() == [
        ("csat", Outcome.SCHEDULED, None),
        ("delivery", Outcome.SKIPPED, Reason.PENDING),
        ("delivery", Outcome.SKIPPED, Reason.FATIGUE),
        ("delivery", Outcome.SCHEDULED, None),
    ]
    assert run.sends() == [
        ("csat", T0 + timedelta(hours=1)),
        ("delivery", T0 + timedelta(days=31)),
    ]


def test_a_survey_is_not_sent_twice_within_its_recontact_period() -> None:
    run = Run(ruleset({"key": "csat", "event": "Ticket Solved", "send_window": "none"}))
    someone = person()
    for days in (0, 40, 95):
        run.feed(event("Ticket Solved", T0 + timedelta(days=days)), someone)
    assert [reason for _, _, reason in run.decisions()] == [None, Reason.RECONTACT, None]


@pytest.mark.parametrize(
    ("reopened", "delay", "cancelled"),
    [
        ({"ticket_id": "T-1"}, timedelta(minutes=10), True),
        ({"ticket_id": "T-2"}, timedelta(minutes=10), False),  # another ticket
        ({}, timedelta(minutes=10), False),  # no ticket named
        ({"ticket_id": "T-1"}, timedelta(hours=2), False),  # the survey went out already
    ],
)
def test_cancel_if_the_same_ticket_is_reopened_before_the_survey_goes(
    reopened: dict[str, object], delay: timedelta, cancelled: bool
) -> None:
    run = Run(
        ruleset(
            {
                "key": "csat",
                "event": "Ticket Solved",
                "delay": "1h",
                "send_window": "none",
                "cancel_if": [{"event": "Ticket Reopened", "same": ["ticket_id"]}],
            }
        )
    )
    run.feed(event("Ticket Solved", T0, 1, ticket_id="T-1"), person())
    # no rule listens to Ticket Reopened: the replay needs no person for it
    run.feed(event("Ticket Reopened", T0 + delay, 2, **reopened), None, key="7")
    run.finish()
    expected = [("csat", Outcome.SCHEDULED, None)]
    if cancelled:
        expected.append(("csat", Outcome.CANCELLED, Reason.CANCELLED_BY_EVENT))
    assert run.decisions() == expected
    assert run.sends() == ([] if cancelled else [("csat", T0 + timedelta(hours=1))])


def test_an_older_event_cannot_cancel_what_a_later_one_scheduled() -> None:
    run = Run(
        ruleset(
            {
                "key": "csat",
                "event": "Ticket Solved",
                "delay": "1h",
                "send_window": "none",
                "cancel_if": [{"event": "Ticket Reopened", "same": ["ticket_id"]}],
            }
        )
    )
    run.feed(event("Ticket Solved", T0, 1, ticket_id="T-1"), person())
    run.feed(event("Ticket Reopened", T0 - timedelta(minutes=1), 2, ticket_id="T-1"), key="7")
    assert run.decisions() == [("csat", Outcome.SCHEDULED, None)]


def test_a_stronger_rule_supersedes_the_pending_invitation() -> None:
    run = Run(
        ruleset(
            {"key": "low", "event": "Order Delivered", "delay": "3d", "priority": 10},
            {"key": "high", "event": "Invoice Paid", "priority": 90, "send_window": "none"},
        )
    )
    someone = person()
    run.feed(event("Order Delivered", T0), someone)
    run.feed(event("Invoice Paid", T0 + timedelta(hours=1)), someone)
    run.feed(event("Order Delivered", T0 + timedelta(hours=2)), someone)
    run.finish()
    assert run.decisions() == [
        ("low", Outcome.SCHEDULED, None),
        ("low", Outcome.CANCELLED, Reason.SUPERSEDED),
        ("high", Outcome.SCHEDULED, None),
        ("low", Outcome.SKIPPED, Reason.FATIGUE),  # "high" went out at once
    ]
    assert run.sends() == [("high", T0 + timedelta(hours=1))]


def test_refusals_outside_audience_sampled_out_unsubscribed_no_address() -> None:
    rules = ruleset(
        {
            "key": "users",
            "event": "E",
            "conditions": {"field": "contact.role", "op": "eq", "value": "end_user"},
        },
        {"key": "nobody", "event": "F", "sample_percent": 0},
    )
    run = Run(rules)
    run.feed(event("E", T0), person("1", role="billing"), key="1")
    run.feed(event("F", T0), person("2"), key="2")
    run.feed(event("E", T0), person("3", suppressed="unsubscribed"), key="3")
    run.feed(event("E", T0), person("4", reachable=frozenset()), key="4")
    assert run.decisions() == [
        ("users", Outcome.SKIPPED, Reason.OUTSIDE_AUDIENCE),
        ("nobody", Outcome.SKIPPED, Reason.SAMPLED_OUT),
        ("users", Outcome.SKIPPED, Reason.UNSUBSCRIBED),
        ("users", Outcome.SKIPPED, Reason.NO_ADDRESS),
    ]


def test_an_inactive_survey_sends_nothing() -> None:
    run = Run(ruleset({"key": "r", "event": "E"}), active=[])
    run.feed(event("E", T0), person())
    assert run.decisions() == [("r", Outcome.SKIPPED, Reason.SURVEY_INACTIVE)]


def test_an_event_that_fires_rules_needs_its_person() -> None:
    run = Run(ruleset({"key": "r", "event": "E"}))
    with pytest.raises(ValueError, match="its person is needed"):
        run.feed(event("E", T0), None)


def test_people_with_nothing_recent_are_forgotten_without_changing_decisions() -> None:
    run = Run(ruleset({"key": "r", "event": "E", "send_window": "none"}))
    for number in range(50):
        run.feed(event("E", T0 + timedelta(hours=number), number), person(str(number)))
    assert run.replay.people_in_memory == 50
    # past the horizon (90 days), the 50 sends cannot block anything any more
    later = T0 + timedelta(days=200)
    run.feed(event("E", later, 99), person("0"))
    assert run.replay.people_in_memory == 1
    assert run.decisions()[-1] == ("r", Outcome.SCHEDULED, None)
    assert len(run.sends()) == 50  # the sweep sent what was due before forgetting


def test_names_needing_properties_are_the_ones_a_rule_reads() -> None:
    rules = ruleset(
        {
            "key": "amount",
            "event": "Invoice Paid",
            "conditions": {"field": "event.properties.amount", "op": "gt", "value": 10},
        },
        {
            "key": "csat",
            "event": "Ticket Solved",
            "cancel_if": [{"event": "Ticket Reopened", "same": ["ticket_id"]}],
        },
        {
            "key": "role",
            "event": "Signed Up",
            "conditions": {"field": "contact.role", "op": "exists"},
        },
        {"key": "plain", "event": "Order Delivered", "cancel_if": [{"event": "Refunded"}]},
    )
    assert names_needing_properties(rules) == {"Invoice Paid", "Ticket Solved", "Ticket Reopened"}


# --- slim facts read like whole ones ----------------------------------------------------

CONDITIONS: list[dict[str, Any]] = [
    {"field": "contact.role", "op": "eq", "value": "billing"},
    {"field": "contact.traits.plan", "op": "in", "value": ["pro", "enterprise"]},
    {"field": "contact.plan", "op": "neq", "value": "free"},
    {"field": "account.traits.address.city", "op": "eq", "value": "Madrid"},
    {"field": "account.name", "op": "exists"},
    {"not": {"field": "contact.traits.seats", "op": "gte", "value": 10}},
    {
        "any": [
            {"field": "contact.locale", "op": "eq", "value": "es"},
            {"field": "contact.email", "op": "matches", "value": "@acme"},
        ]
    },
]
PEOPLE = [
    (
        contact_facts(role=role, locale=locale, time_zone=None, name="Ana", email=email,
                      phone=None, external_id=None, traits=traits),
        account_facts(name=account_name, domain=None, time_zone=None, traits=account_traits),
    )
    for role, locale, email, traits, account_name, account_traits in [
        ("billing", "es", "ana@acme.example", {"plan": "pro", "seats": 12}, "Acme",
         {"address": {"city": "Madrid"}}),
        (None, None, None, {"plan": None}, None, {}),
        ("end_user", "en", "bo@other.example", {"plan": "free", "seats": 3}, "Other",
         {"address": "unknown"}),
    ]
]  # fmt: skip


@pytest.mark.parametrize("condition", CONDITIONS)
@pytest.mark.parametrize(("contact", "account"), PEOPLE)
def test_slim_facts_give_every_condition_the_same_answer(
    condition: dict[str, Any], contact: dict[str, object], account: dict[str, object]
) -> None:
    rules = ruleset({"key": "r", "event": "E", "conditions": condition})
    read = FactsRead.of(rules)
    predicate = rules.rules[0].predicate
    assert predicate is not None
    whole = Facts(event={}, contact=contact, account=account)
    slim = Facts(
        event={}, contact=read.slim("contact", contact), account=read.slim("account", account)
    )
    assert predicate(slim) == predicate(whole)


def test_slim_facts_keep_only_what_is_read() -> None:
    rules = ruleset(
        {"key": "r", "event": "E", "conditions": {"field": "contact.plan", "op": "exists"}}
    )
    contact, account = PEOPLE[0]
    read = FactsRead.of(rules)
    assert read.slim("contact", contact) == {"traits": {"plan": "pro"}}
    assert read.slim("account", account) == {}


# --- the window memo answers as next_allowed does --------------------------------------

ZONES = [ZoneInfo(name) for name in ("UTC", "Europe/Madrid", "America/New_York", "Asia/Kolkata")]
WINDOWS = [
    SendWindow(days=frozenset({1, 2, 3}), start=time(10), end=time(16)),
    SendWindow(days=frozenset(range(5)), start=time(9), end=time(17)),
    SendWindow(days=frozenset({6}), start=time(2, 30), end=time(3)),
]


def _christmas(day: date) -> bool:
    return (day.month, day.day) == (12, 25)


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.integers(min_value=-6 * 3600, max_value=3 * 86_400), min_size=1, max_size=40),
    zone=st.sampled_from(ZONES),
    window=st.sampled_from([*WINDOWS, None]),
    holidays=st.sampled_from([None, _christmas]),
)
def test_the_window_memo_gives_next_allowed_s_answers(
    steps: list[int], zone: ZoneInfo, window: SendWindow | None, holidays: Any
) -> None:
    memo = WindowMemo()
    moment = datetime(2026, 3, 20, tzinfo=UTC)  # DST changes in Europe and America nearby
    for step in steps:
        moment += timedelta(seconds=step)
        expected = windows.next_allowed(
            earliest=moment, window=window, zone=zone, holidays=holidays
        )
        assert memo(earliest=moment, window=window, zone=zone, holidays=holidays) == expected
