"""Rule definitions: durations, windows, each kind, and errors that name the field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.triggers.definitions import (
    DateRule,
    EventRule,
    RuleProblem,
    dump_rule,
    format_duration,
    parse_duration,
    parse_rule,
)

BASE: dict[str, Any] = {"key": "onboarding", "name": "Onboarding", "survey": "nps"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14d", timedelta(days=14)),
        ("2w", timedelta(weeks=2)),
        ("-60d", timedelta(days=-60)),
        ("3h", timedelta(hours=3)),
        ("30m", timedelta(minutes=30)),
        ("0", timedelta(0)),
        (90, timedelta(seconds=90)),
        (" 5 d ", timedelta(days=5)),
    ],
)
def test_durations_read_as_people_write_them(text: object, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["14", "d", "14 days", "1.5d", True, None, "P14D", "--3d"])
def test_other_durations_are_refused(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@given(st.integers(-(10**8), 10**8))
def test_a_formatted_duration_reads_back_the_same(seconds: int) -> None:
    duration = timedelta(seconds=seconds)
    assert parse_duration(format_duration(duration)) == duration


def test_each_kind_parses_and_round_trips() -> None:
    definitions = [
        {
            **BASE,
            "kind": "event",
            "event": "Signed Up",
            "delay": "14d",
            "cancel_if": [{"event": "Ticket Reopened", "same": ["ticket_id"]}],
        },
        {**BASE, "kind": "date", "trait": "account.renewal_date", "offset": "-60d"},
        {
            **BASE,
            "kind": "recurring",
            "every": "quarter",
            "audience": {"field": "contact.role", "op": "eq", "value": "end_user"},
        },
        {
            **BASE,
            "kind": "campaign",
            "rate_per_hour": 500,
            "starts_at": "2026-04-01T09:00:00Z",
            "send_window": {"days": ["tue", "wed", "thu"], "start": "10:00", "end": "16:00"},
        },
    ]
    for data in definitions:
        rule = parse_rule(data)
        assert parse_rule(dump_rule(rule)) == rule
    assert dump_rule(parse_rule(definitions[0]))["delay"] == "14d"


def test_a_trait_path_is_spelled_canonically() -> None:
    rule = parse_rule({**BASE, "kind": "date", "trait": "account.renewal_date"})
    assert isinstance(rule, DateRule)
    assert rule.trait == "account.traits.renewal_date"


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        ({"key": "Has Spaces"}, "key", "pattern"),
        ({"delay": "-1d"}, "delay", "a delay is 0 to"),
        ({"priority": 5000}, "priority", "less than or equal to 1000"),
        ({"sample_percent": 120}, "sample_percent", "less than or equal to 100"),
        (
            {"send_window": {"days": ["tue"], "start": "16:00", "end": "10:00"}},
            "send_window",
            "starts before it ends",
        ),
        (
            {"conditions": {"all": [{"field": "contact.role", "op": "like", "value": "x"}]}},
            "conditions.all.0.op",
            "unknown operator",
        ),
        (
            {"conditions": {"field": "ticket.id", "op": "eq", "value": 1}},
            "conditions.field",
            "starts with event, contact or account",
        ),
        ({"colour": "red"}, "colour", "Extra inputs"),
    ],
)
def test_errors_name_the_field(changes: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(RuleProblem) as caught:
        parse_rule({**BASE, "kind": "event", "event": "Signed Up", **changes})
    paths = [p for p, m in caught.value.problems if message in m]
    assert paths and paths[0].startswith(path), caught.value.problems


def test_a_campaign_ends_after_it_starts() -> None:
    with pytest.raises(RuleProblem, match="ends_at must be after starts_at"):
        parse_rule(
            {
                **BASE,
                "kind": "campaign",
                "rate_per_hour": 1,
                "starts_at": "2026-04-02T00:00:00Z",
                "ends_at": "2026-04-01T00:00:00Z",
            }
        )


def test_a_campaign_start_needs_a_zone() -> None:
    with pytest.raises(RuleProblem) as caught:
        parse_rule(
            {**BASE, "kind": "campaign", "rate_per_hour": 1, "starts_at": "2026-04-02T09:00"}
        )
    assert caught.value.problems[0][0] == "starts_at"


@pytest.mark.parametrize("data", [{**BASE, "kind": "nope"}, BASE])
def test_an_unknown_or_missing_kind_is_named(data: dict[str, Any]) -> None:
    with pytest.raises(RuleProblem) as caught:
        parse_rule(data)
    assert caught.value.problems == [("kind", "expected one of event, date, recurring, campaign")]


@pytest.mark.parametrize(
    ("window", "path"),
    [
        ("sometimes", "send_window"),
        (5, "send_window"),
        ({"days": ["xx"], "start": "10:00", "end": "11:00"}, "send_window.days.0"),
    ],
)
def test_a_bad_window_is_named_plainly(window: object, path: str) -> None:
    with pytest.raises(RuleProblem) as caught:
        parse_rule({**BASE, "kind": "event", "event": "E", "send_window": window})
    assert [p for p, _ in caught.value.problems] == [path]


def test_defaults() -> None:
    rule = parse_rule({**BASE, "kind": "event", "event": "Signed Up"})
    assert isinstance(rule, EventRule)
    assert (rule.delay, rule.priority, rule.sample_percent, rule.send_window, rule.channel) == (
        timedelta(0),
        100,
        100,
        "default",
        "email",
    )
