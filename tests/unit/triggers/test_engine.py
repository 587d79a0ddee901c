"""The engine's index: rules found by event name, conditions compiled once, cancel hooks."""

from __future__ import annotations

from typing import Any

from closeloop.triggers.engine import EXPLICIT_PRIORITY, RuleSet, cancels, compile_rule
from closeloop.triggers.evaluation import Facts
from closeloop.triggers.models import RuleKind


def compiled(rule_id: int, **definition: Any) -> Any:
    data = {"kind": "event", "key": f"r{rule_id}", "name": "R", "survey": "nps", **definition}
    return compile_rule(rule_id=rule_id, version=1, definition=data, default_window=None)


def test_rules_are_found_by_event_name_and_conditions() -> None:
    solved = compiled(1, event="Ticket Solved")
    big = compiled(
        2,
        event="Invoice Paid",
        conditions={"field": "event.properties.amount", "op": "gt", "value": 100},
    )
    off = compiled(3, event="Ticket Solved", enabled=False)
    ruleset = RuleSet.of([solved, big, off])
    assert ruleset.listening_to("Ticket Solved") == (solved,)
    assert ruleset.firing("Invoice Paid", Facts(event={"properties": {"amount": 500}})) == [big]
    assert ruleset.firing("Invoice Paid", Facts(event={"properties": {"amount": 5}})) == []
    assert ruleset.firing("Nobody listens", Facts()) == []
    assert ruleset.of_kind(RuleKind.EVENT) == [solved, big]


def test_only_conditions_on_people_need_people_loaded() -> None:
    on_event = compiled(1, event="E", conditions={"field": "event.properties.x", "op": "exists"})
    on_person = compiled(
        2, event="E", conditions={"field": "contact.plan", "op": "eq", "value": "pro"}
    )
    assert (on_event.needs_people, on_person.needs_people) == (False, True)


def test_cancel_hooks_compare_the_named_properties() -> None:
    rule = compiled(
        1, event="Ticket Solved", cancel_if=[{"event": "Ticket Reopened", "same": ["ticket_id"]}]
    )
    ruleset = RuleSet.of([rule])
    [hook] = ruleset.cancelled_by["Ticket Reopened"]
    reopened = Facts(event={"name": "Ticket Reopened", "properties": {"ticket_id": "T-1"}})
    assert cancels(hook, fired_with={"ticket_id": "T-1"}, event=reopened)
    assert not cancels(hook, fired_with={"ticket_id": "T-2"}, event=reopened)
    assert not cancels(hook, fired_with={}, event=reopened)  # nothing to compare: not the same


def test_priorities_of_pending_invitations() -> None:
    ruleset = RuleSet.of([compiled(1, event="E", priority=40)])
    assert ruleset.priority_of(1) == 40
    assert ruleset.priority_of(None) == EXPLICIT_PRIORITY
    assert ruleset.priority_of(99) == 0  # its rule was switched off or deleted
