"""Playbook files: the shipped ones say what the seeds say, and a bad one is refused whole,
every problem named by file, line and path."""

from __future__ import annotations

import time
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path

import pytest

from closeloop.errors import NotFound
from closeloop.playbooks import loader
from closeloop.playbooks.parsing import InvalidPlaybook, Playbook, parse
from closeloop.triggers.definitions import DateRule, EventRule, RecurringRule, WindowSpec

SHIPPED = {
    "b2b-saas",
    "manufacturing",
    "marketing-agency",
    "fintech",
    "logistics",
    "ecommerce",
    "telecom",
}
JOURNEY = ["awareness", "consideration", "purchase", "retention", "advocacy"]
EVENTS = {
    "Signed Up",
    "Ticket Solved",
    "Ticket Reopened",
    "Order Delivered",
    "Invoice Paid",
    "Subscription Cancelled",
    "Contact Details Changed",
    "Feature Released",
}

MINIMAL = """\
name: tiny
description: The smallest useful playbook.
stages:
  - {key: retention, name: Retention}
touchpoints:
  - key: support
    name: Support
    stage: retention
    events: [Ticket Solved]
surveys:
  - key: support-csat
    name: Support CSAT
    kind: csat
rules:
  - key: support-csat
    kind: event
    name: Support CSAT
    survey: support-csat
    touchpoint: support
    event: Ticket Solved
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(InvalidPlaybook) as refused:
        parse(text, source="mine.yaml")
    return [str(problem) for problem in refused.value.problems]


def _rule(playbook: Playbook, key: str) -> EventRule | DateRule | RecurringRule:
    [rule] = [rule for rule in playbook.rules if rule.key == key]
    assert isinstance(rule, EventRule | DateRule | RecurringRule)
    return rule


# the shipped playbooks


def test_the_seven_industries_are_shipped_and_named_as_their_files() -> None:
    assert set(loader.shipped_names()) == SHIPPED
    assert [playbook.name for playbook in loader.shipped()] == sorted(SHIPPED)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_a_shipped_playbook_is_a_whole_journey(name: str) -> None:
    playbook = loader.load_shipped(name)
    assert [stage.key for stage in playbook.stages] == JOURNEY
    assert playbook.rules and playbook.surveys and playbook.touchpoints
    marked = [event for touchpoint in playbook.touchpoints for event in touchpoint.events]
    assert set(marked) <= EVENTS
    fired = {rule.event for rule in playbook.rules if isinstance(rule, EventRule)}
    assert fired <= EVENTS
    # a solved ticket is asked about at once and outranks everything; the relationship
    # survey gives way to every moment-driven one
    priorities = {rule.key: rule.priority for rule in playbook.rules}
    recurring = [rule for rule in playbook.rules if isinstance(rule, RecurringRule)]
    assert recurring and max(rule.priority for rule in recurring) == min(priorities.values())
    for rule in playbook.rules:
        if isinstance(rule, EventRule) and rule.event == "Ticket Solved":
            assert rule.priority == max(priorities.values())
            assert (rule.delay, rule.send_window) == (timedelta(0), "none")
            assert [(c.event, c.same) for c in rule.cancel_if] == [
                ("Ticket Reopened", ["ticket_id"])
            ]


def test_b2b_saas_follows_the_seed_table() -> None:
    playbook = loader.load_shipped("b2b-saas")
    onboarding = _rule(playbook, "onboarding")
    assert isinstance(onboarding, EventRule)
    assert (onboarding.event, onboarding.delay) == ("Signed Up", timedelta(days=14))
    support = _rule(playbook, "support-csat")
    assert isinstance(support, EventRule)
    assert (support.delay, support.send_window) == (timedelta(0), "none")
    feature = _rule(playbook, "feature-release")
    assert isinstance(feature, EventRule)
    assert (feature.event, feature.delay) == ("Feature Released", timedelta(days=7))
    renewal = _rule(playbook, "renewal")
    assert isinstance(renewal, DateRule)
    assert (renewal.trait, renewal.offset) == ("account.traits.renewal_date", timedelta(days=-60))
    end_users = _rule(playbook, "relationship-end-users")
    deciders = _rule(playbook, "relationship-decision-makers")
    assert isinstance(end_users, RecurringRule) and isinstance(deciders, RecurringRule)
    assert (end_users.every, deciders.every) == ("quarter", "half_year")
    assert end_users.audience is not None and deciders.audience is not None
    assert end_users.audience.model_dump() == {
        "field": "contact.role",
        "op": "eq",
        "value": "end_user",
    }
    assert deciders.audience.model_dump()["value"] == "decision_maker"
    kinds = {survey.key: survey.kind.value for survey in playbook.surveys}
    assert kinds["support-csat"] == "csat" and kinds["relationship-nps"] == "nps"
    # the demo's touchpoints all have a place in this journey
    stage_of = {touchpoint.key: touchpoint.stage for touchpoint in playbook.touchpoints}
    for touchpoint in ("support", "onboarding", "first_billing", "renewal", "relationship"):
        assert stage_of[touchpoint] in JOURNEY


def test_the_same_event_is_the_same_touchpoint_in_every_playbook() -> None:
    """So playbooks compose: applying a second one updates shared touchpoints."""
    touchpoint_of: dict[str, set[str]] = {}
    for playbook in loader.shipped():
        for touchpoint in playbook.touchpoints:
            for event in touchpoint.events:
                touchpoint_of.setdefault(event, set()).add(touchpoint.key)
    assert all(len(keys) == 1 for keys in touchpoint_of.values()), touchpoint_of


# YAML as people write it


def test_times_and_words_stay_as_written() -> None:
    """YAML 1.1 would read 10:00 as 600 (base 60) and `on` as true."""
    text = MINIMAL.replace(
        "    event: Ticket Solved\n",
        "    event: Ticket Solved\n"
        "    send_window: {days: [tue, wed], start: 10:00, end: 16:30}\n"
        "    conditions: {field: contact.plan, op: eq, value: on}\n",
    ).replace("events: [Ticket Solved]", "events: [Ticket Solved]\n    description: yes")
    playbook = parse(text, source="mine.yaml")
    rule = _rule(playbook, "support-csat")
    assert isinstance(rule.send_window, WindowSpec)
    assert (rule.send_window.start, rule.send_window.end) == (clock_time(10), clock_time(16, 30))
    assert isinstance(rule, EventRule) and rule.conditions is not None
    assert rule.conditions.model_dump()["value"] == "on"
    assert playbook.touchpoints[0].description == "yes"


def test_a_minimal_playbook_parses() -> None:
    playbook = parse(MINIMAL, source="mine.yaml")
    assert playbook.name == "tiny"
    assert [rule.key for rule in playbook.rules] == ["support-csat"]
    assert playbook.where.line_of("rules.0.event") == 20
    assert playbook.where.line_of("rules.0.delay") == 15  # not written: the rule's line


# refusals, each with its line


BAD: list[tuple[str, str, str]] = [
    (
        "rules:\n",
        "rules:\n  - 7\n",
        "mine.yaml:15: rules.0: Input should be a valid dictionary",
    ),
    (
        "    event: Ticket Solved\n",
        "    event: Ticket Solved\n    conditions: {all: [{field: contact.role, op: equals}]}\n",
        "mine.yaml:21: rules.0.conditions.all.0.op: unknown operator 'equals'",
    ),
    (
        "    survey: support-csat\n    touchpoint",
        "    survey: supprt-csat\n    touchpoint",
        "mine.yaml:18: rules.0.survey: no survey 'supprt-csat' in this playbook "
        "(surveys: support-csat)",
    ),
    (
        "    touchpoint: support\n",
        "    touchpoint: helpdesk\n",
        "mine.yaml:19: rules.0.touchpoint: no touchpoint 'helpdesk' in this playbook",
    ),
    (
        "    stage: retention\n",
        "    stage: loyalty\n",
        "mine.yaml:8: touchpoints.0.stage: no stage 'loyalty' in this playbook (stages: retention)",
    ),
    (
        "    kind: csat\n",
        "    kind: csat\n    kind: nps\n",
        "mine.yaml:14: surveys.0.kind: the key 'kind' is written twice (first on line 13)",
    ),
    (
        "    kind: csat\n",
        "    kind: stars\n",
        "mine.yaml:13: surveys.0.kind: Input should be 'nps', 'csat' or 'ces'",
    ),
    (
        "    name: Support CSAT\n    kind",
        "    name: Support CSAT\n    question: How was {produkt}?\n    kind",
        "mine.yaml:13: surveys.0.question: unknown placeholder {produkt}",
    ),
    (
        "    event: Ticket Solved\n",
        "    event: Ticket Solved\n    delay: soon\n",
        "mine.yaml:21: rules.0.delay: 'soon' is not a duration",
    ),
    (
        "description: The smallest useful playbook.\n",
        "",
        "mine.yaml:1: description: Field required",
    ),
    (
        "  - {key: retention, name: Retention}\n",
        "  - {key: retention, name: Retention}\n  - {key: retention, name: Again}\n",
        "mine.yaml:5: stages.1.key: 'retention' is used twice (first on line 4)",
    ),
    (
        "    events: [Ticket Solved]\n",
        "    events: [Ticket Solved]\n  - {key: help, name: Help, stage: retention, "
        "events: [Ticket Solved]}\n",
        "mine.yaml:10: touchpoints.1.events.0: event 'Ticket Solved' already marks touchpoint "
        "'support'",
    ),
    ("name: tiny", "name: Tiny Playbook", "mine.yaml:1: name: String should match pattern"),
    ("stages:", "stages: []\nnothing:", "mine.yaml:3: stages: List should have at least 1 item"),
]


@pytest.mark.parametrize(("old", "new", "expected"), BAD)
def test_a_problem_is_named_by_file_line_and_path(old: str, new: str, expected: str) -> None:
    assert old in MINIMAL
    problems = _problems(MINIMAL.replace(old, new, 1))
    assert any(problem.startswith(expected) for problem in problems), problems


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    text = (
        MINIMAL.replace("name: tiny", "name: Tiny")
        .replace("stage: retention", "stage: loyalty")
        .replace("    survey: support-csat\n", "    survey: nope\n    every: week\n")
    )
    problems = _problems(text)
    assert [problem.split(": ")[0:2] for problem in problems] == [
        ["mine.yaml:1", "name"],
        ["mine.yaml:8", "touchpoints.0.stage"],
        ["mine.yaml:18", "rules.0.survey"],
        ["mine.yaml:19", "rules.0.every"],
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "mine.yaml:1: (playbook): expected a mapping"),
        ("- just\n- a list\n", "mine.yaml:1: (playbook): expected a mapping"),
        ("name: tiny\nstages: [\n  {key: a\n", "mine.yaml:4: (yaml): expected ','"),
        ("name: !!python/object:os.system {}\n", "mine.yaml:1: (yaml): could not determine"),
    ],
)
def test_text_that_is_not_a_playbook(text: str, expected: str) -> None:
    [problem] = _problems(text)
    assert problem.startswith(expected), problem


def test_aliases_cannot_make_the_reader_work_exponentially() -> None:
    """A "billion laughs" document is read in the time its text takes to read."""
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    started = time.monotonic()
    problems = _problems(MINIMAL + "\n".join(levels) + "\ndescription: *a8\n")
    assert time.monotonic() - started < 2
    assert any("a8: unexpected" in p or "Extra inputs" in p for p in problems), problems


# finding playbooks


def test_a_playbook_by_name_or_by_file(tmp_path: Path) -> None:
    assert loader.resolve("telecom").name == "telecom"
    mine = tmp_path / "mine.yaml"
    mine.write_text(MINIMAL, encoding="utf-8")
    assert loader.resolve(str(mine)).name == "tiny"
    with pytest.raises(NotFound, match="neither a shipped playbook"):
        loader.resolve(str(tmp_path / "missing.yaml"))


def test_a_file_that_is_not_text_is_refused_with_its_line(tmp_path: Path) -> None:
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(MINIMAL.encode() + b"# caf\xe9\n")
    with pytest.raises(InvalidPlaybook) as refused:
        loader.load_file(latin)
    assert str(refused.value) == f"{latin}:21: (file): not UTF-8 text"
