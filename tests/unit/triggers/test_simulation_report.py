"""The simulation's report: counts per rule and week, a sample, suppressions by reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from rich.console import Console

from closeloop.policy.windows import parse_window_setting
from closeloop.triggers.engine import CompiledRule, compile_rule
from closeloop.triggers.models import Outcome, Reason
from closeloop.triggers.replay import SimulatedDecision, SimulatedSend
from closeloop.triggers.simulation_report import (
    SAMPLE_SIZE,
    Tally,
    not_simulated,
    to_json,
    to_table,
)

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # ISO week 2026-W10
END = MONDAY + timedelta(days=14)


def rule(key: str, **definition: object) -> CompiledRule:
    return compile_rule(
        rule_id=len(key),
        version=1,
        definition={"kind": "event", "key": key, "name": key.title(), "survey": "s", **definition},
        default_window=parse_window_setting("mon-fri 09:00-17:00"),
    )


RULES = [
    rule("csat", event="Ticket Solved"),
    rule("quarterly", kind="recurring", every="quarter"),
]


def decision(outcome: Outcome, reason: Reason | None = None) -> SimulatedDecision:
    return SimulatedDecision("csat", "1", outcome, reason, MONDAY)


def tallied() -> Tally:
    tally = Tally(RULES, period_end=END, switched_off=frozenset({"csat"}))
    tally.add_all(
        [
            decision(Outcome.SCHEDULED),
            decision(Outcome.SKIPPED, Reason.FATIGUE),
            decision(Outcome.SKIPPED, Reason.FATIGUE),
            decision(Outcome.SKIPPED, Reason.OUTSIDE_AUDIENCE),
            decision(Outcome.CANCELLED, Reason.CANCELLED_BY_EVENT),
        ]
    )
    for number in range(8):
        sent_at = MONDAY + timedelta(days=3 * number)  # weeks 10, 10, 10, 11, 11, 12, 12, 13
        tally.add(SimulatedSend("csat", str(number % 6), f"p{number % 6}@example.com", sent_at))
    return tally


def test_counts_per_rule_week_and_reason() -> None:
    report = tallied().report(
        source="the event log", since=MONDAY, until=END, events=10, not_simulated=[]
    )
    [csat] = report.rules  # only event rules are counted
    assert (csat.fired, csat.scheduled, csat.sent, csat.enabled) == (4, 1, 8, False)
    assert dict(csat.sent_per_week) == {
        "2026-W10": 3,
        "2026-W11": 2,
        "2026-W12": 2,
        "2026-W13": 1,
    }
    assert csat.due_after_period == 3  # sent on the 14th day or later
    assert dict(csat.suppressed) == {"fatigue": 2, "outside_audience": 1, "cancelled_by_event": 1}
    # a few distinct recipients, in the order they were sent to
    assert csat.sample == [f"p{n}@example.com" for n in range(SAMPLE_SIZE)]


def test_json_for_tools() -> None:
    report = tallied().report(
        source="the event log",
        since=MONDAY,
        until=END,
        events=10,
        not_simulated=not_simulated(RULES),
    )
    document = json.loads(to_json(report))
    assert document["since"] == "2026-03-02T09:00:00Z"
    [csat] = document["rules"]
    assert csat["sent_per_week"]["2026-W10"] == 3
    assert csat["suppressed"] == {"cancelled_by_event": 1, "fatigue": 2, "outside_audience": 1}
    assert document["not_simulated"] == [
        {
            "key": "quarterly",
            "kind": "recurring",
            "why": "sends on a schedule, not from events: not simulated",
        }
    ]


def test_table_says_what_was_and_was_not_simulated() -> None:
    report = tallied().report(
        source="events.jsonl",
        since=None,
        until=None,
        events=10,
        not_simulated=not_simulated(RULES),
    )
    console = Console(width=250, record=True)
    console.print(to_table(report))
    text = console.export_text()
    assert "Replayed 10 events from events.jsonl (all of it)" in text
    assert "nothing was sent" in text
    assert "2026-W13" in text
    assert "csat (off)" in text
    assert "fatigue 2, outside_audience 1, cancelled_by_event 1" in text
    assert "p0@example.com, p1@example.com, p2@example.com" in text
    assert "p3@example.com" not in text  # the table shows a shorter sample than the JSON
    assert "Rule quarterly (recurring) sends on a schedule, not from events: not simulated." in text
