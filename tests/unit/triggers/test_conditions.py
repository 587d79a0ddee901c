"""The condition language: what each operator means, what is refused and where, the limits."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from closeloop.errors import InvalidInput
from closeloop.triggers.conditions import (
    MAX_DEPTH,
    MAX_LEAVES,
    MAX_PATTERN_LENGTH,
    Condition,
    InvalidCondition,
    condition_problems,
    parse_condition,
)
from closeloop.triggers.evaluation import Facts, compile_condition, fields_used

FACTS = Facts(
    event={
        "name": "Ticket Solved",
        "properties": {
            "ticket_id": "T-42",
            "priority": 3,
            "score": 7.5,
            "urgent": True,
            "tags": ["billing", "vip", 7],
            "solved_at": "2026-03-10T09:30:00+01:00",
            "nested": {"deep": {"er": "yes"}},
            "nothing": None,
            "amount": "10",
        },
    },
    contact={
        "role": "decision_maker",
        "locale": "de-CH",
        "traits": {"seats": 10, "signed_up_on": "2026-01-15", "plan": "pro"},
    },
    account={"name": "Acme AG", "traits": {"plan": "enterprise", "renewal_date": "2026-06-30"}},
)


def holds(field: str, op: str, value: Any = None, facts: Facts = FACTS) -> bool:
    leaf: dict[str, Any] = {"field": field, "op": op}
    if value is not None:
        leaf["value"] = value
    return compile_condition(parse_condition(leaf))(facts)


def problems(data: object) -> list[str]:
    with pytest.raises(InvalidCondition) as raised:
        parse_condition(data)
    return [str(problem) for problem in raised.value.problems]


# ------------------------------------------------------------------------ operators

MISSING = "event.properties.missing"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("contact.role", "decision_maker", True),
        ("contact.role", "end_user", False),
        ("event.properties.priority", 3, True),
        ("event.properties.priority", 3.0, True),
        ("event.properties.priority", "3", False),
        ("event.properties.urgent", True, True),
        ("event.properties.urgent", 1, False),
        ("event.properties.nested.deep.er", "yes", True),
        ("event.properties.tags", "vip", False),
        ("event.properties.nothing", "x", False),
        ("event.properties.ticket_id.deeper", "x", False),
        (MISSING, "x", False),
    ],
)
def test_eq(field: str, value: Any, expected: bool) -> None:
    assert holds(field, "eq", value) is expected
    # neq is exactly the negation of eq, missing fields included
    assert holds(field, "neq", value) is not expected


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("account.plan", ["pro", "enterprise"], True),
        ("account.traits.plan", ["pro"], False),
        ("event.properties.priority", [1, 2, 3], True),
        ("event.properties.priority", ["3"], False),
        ("event.properties.urgent", [1], False),
        ("event.properties.urgent", [True, "x"], True),
        (MISSING, ["x"], False),
    ],
)
def test_in_and_not_in(field: str, value: Any, expected: bool) -> None:
    assert holds(field, "in", value) is expected
    assert holds(field, "not_in", value) is not expected


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("contact.role", True),
        ("contact.traits.seats", True),
        ("contact.seats", True),
        ("event.properties.nested.deep", True),
        ("event.properties.nothing", False),
        (MISSING, False),
        ("contact.time_zone", False),
        ("event.properties.ticket_id.deeper", False),
    ],
)
def test_exists(field: str, expected: bool) -> None:
    assert holds(field, "exists") is expected


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("contact.seats", "gt", 9, True),
        ("contact.seats", "gt", 10, False),
        ("contact.seats", "gte", 10, True),
        ("contact.seats", "lt", 10.5, True),
        ("contact.seats", "lte", 9.99, False),
        ("event.properties.score", "gte", 7.5, True),
        # no cross-type surprises: a numeric string is not a number, a bool not an int
        ("event.properties.amount", "gt", 9, False),
        ("event.properties.amount", "lt", 11, False),
        ("event.properties.urgent", "gte", 0, False),
        ("event.properties.tags", "gt", 0, False),
        ("contact.signed_up_on", "gt", 0, False),
        # dates as dates
        ("contact.signed_up_on", "gt", "2026-01-14", True),
        ("contact.signed_up_on", "gte", "2026-01-15", True),
        ("contact.signed_up_on", "lt", "2026-01-15", False),
        ("account.renewal_date", "lte", "2026-06-30T23:00:00Z", True),
        # aware date-times compare in UTC: 09:30+01:00 is 08:30Z
        ("event.properties.solved_at", "gt", "2026-03-10T08:29:59Z", True),
        ("event.properties.solved_at", "gt", "2026-03-10T08:30:00Z", False),
        ("event.properties.solved_at", "gte", "2026-03-10T08:30:00", True),
        ("event.properties.solved_at", "lt", "2026-03-10T04:00:00-05:00", True),
        # a date against a date-time compares the days
        ("event.properties.solved_at", "gte", "2026-03-10", True),
        ("event.properties.solved_at", "gt", "2026-03-10", False),
        # a date comparand and a number or a non-date string on the fact side
        ("contact.seats", "gt", "2000-01-01", False),
        ("contact.role", "lt", "2099-01-01", False),
        ("event.properties.ticket_id", "gt", "2000-01-01", False),
        (MISSING, "gt", 0, False),
        (MISSING, "lt", "2099-01-01", False),
    ],
)
def test_orderings(field: str, op: str, value: Any, expected: bool) -> None:
    assert holds(field, op, value) is expected


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("account.name", "Acme", True),
        ("account.name", "acme", False),
        ("event.properties.tags", "vip", True),
        ("event.properties.tags", "vi", False),
        ("event.properties.tags", 7, True),
        ("event.properties.tags", "7", False),
        ("event.properties.priority", 3, False),
        ("event.properties.ticket_id", 4, False),
        ("event.properties.nested", "deep", False),
        (MISSING, "x", False),
    ],
)
def test_contains(field: str, value: Any, expected: bool) -> None:
    assert holds(field, "contains", value) is expected


@pytest.mark.parametrize(
    ("field", "pattern", "expected"),
    [
        ("event.properties.ticket_id", r"^T-\d+$", True),
        ("event.properties.ticket_id", r"\d{3}", False),
        ("contact.locale", "CH", True),
        ("contact.locale", "(?i)^DE", True),
        ("event.properties.priority", "3", False),
        (MISSING, ".*", False),
    ],
)
def test_matches(field: str, pattern: str, expected: bool) -> None:
    assert holds(field, "matches", pattern) is expected


@pytest.mark.parametrize(("pattern", "budget"), [("(a+)+$", 1.0), ("(a|aa)+$", 1.0)])
def test_a_catastrophic_pattern_gives_no_match_quickly(pattern: str, budget: float) -> None:
    predicate = compile_condition(
        parse_condition({"field": "contact.name", "op": "matches", "value": pattern})
    )
    started = time.perf_counter()
    assert predicate(Facts(contact={"name": "a" * 30 + "b"})) is False
    assert time.perf_counter() - started < budget


def test_a_pattern_that_runs_out_of_time_is_no_match() -> None:
    condition = parse_condition({"field": "contact.name", "op": "matches", "value": "(a|aa)+$"})
    predicate = compile_condition(condition, regex_timeout=0.001)
    assert predicate(Facts(contact={"name": "a" * 60 + "b"})) is False


def test_combinators_on_the_example_from_the_design() -> None:
    condition = parse_condition(
        {
            "all": [
                {"field": "contact.role", "op": "eq", "value": "decision_maker"},
                {
                    "any": [
                        {"field": "account.plan", "op": "in", "value": ["pro", "enterprise"]},
                        {"not": {"field": "event.properties.ticket_id", "op": "exists"}},
                    ]
                },
            ]
        }
    )
    predicate = compile_condition(condition)
    assert predicate(FACTS)
    assert not predicate(Facts(contact={"role": "end_user"}))
    assert predicate(Facts(contact={"role": "decision_maker"}))
    assert not predicate(Facts(event={"properties": {"ticket_id": 1}}, contact=FACTS.contact))
    assert fields_used(condition) == {
        "contact.role",
        "account.traits.plan",
        "event.properties.ticket_id",
    }


def test_a_condition_round_trips_through_its_data() -> None:
    data = {"not": {"any": [{"field": "contact.traits.plan", "op": "eq", "value": "pro"}]}}
    dumped = parse_condition(data).model_dump(by_alias=True, exclude_none=True)
    assert dumped == data


# ----------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("field", "canonical"),
    [
        ("event.name", "event.name"),
        ("event.properties.ticket_id", "event.properties.ticket_id"),
        ("event.properties.a.b.c", "event.properties.a.b.c"),
        ("contact.role", "contact.role"),
        ("contact.locale", "contact.locale"),
        ("contact.plan", "contact.traits.plan"),
        ("contact.traits.plan", "contact.traits.plan"),
        ("contact.address.city", "contact.traits.address.city"),
        ("account.name", "account.name"),
        ("account.plan", "account.traits.plan"),
        ("account.traits.renewal_date", "account.traits.renewal_date"),
    ],
)
def test_fields_have_one_spelling(field: str, canonical: str) -> None:
    assert fields_used(parse_condition({"field": field, "op": "exists"})) == {canonical}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {
                "all": [
                    {"field": "contact.role", "op": "exists"},
                    {"any": [{"field": "contact.role", "op": "equals", "value": "x"}]},
                ]
            },
            "all.1.any.0.op: unknown operator 'equals'",
        ),
        ({"all": []}, "all: must not be empty"),
        ({"any": "x"}, "any: expected a list"),
        ({"all": [3]}, "all.0: expected {"),
        ("contact.role", "(condition): expected {"),
        ({"not": {"field": "contact.role"}}, "not.op: required"),
        ({"field": "contact.role", "op": "eq", "value": "x", "why": 1}, "why: unexpected key"),
        ({"field": "user.role", "op": "exists"}, "field: 'user.role': a field starts with"),
        ({"field": "event.ticket_id", "op": "exists"}, "field: 'event.ticket_id': an event has"),
        (
            {"field": "contact.role.x", "op": "exists"},
            "field: 'contact.role.x': contact.role has no parts",
        ),
        ({"field": "contact.traits", "op": "exists"}, "field: 'contact.traits': name a trait"),
        ({"field": "contact..plan", "op": "exists"}, "field: 'contact..plan' is not a dotted path"),
        ({"field": "contact.role", "op": "exists", "value": "x"}, "value: exists takes no value"),
        ({"field": "contact.role", "op": "eq"}, "value: eq needs a value"),
        ({"field": "contact.role", "op": "eq", "value": ["a"]}, "value: eq needs a string"),
        ({"field": "contact.role", "op": "eq", "value": {"a": 1}}, "value: eq needs a string"),
        ({"field": "contact.role", "op": "in", "value": "a"}, "value: in needs a non-empty"),
        ({"field": "contact.role", "op": "not_in", "value": []}, "value: not_in needs a non-"),
        ({"field": "contact.role", "op": "in", "value": [["a"]]}, "value: in needs a string"),
        ({"field": "contact.seats", "op": "gt", "value": "10"}, "value: gt needs a number or"),
        ({"field": "contact.seats", "op": "lt", "value": True}, "value: lt needs a number or"),
        ({"field": "contact.day", "op": "gte", "value": "2026-02-30"}, "value: gte needs a"),
        ({"field": "contact.day", "op": "lte", "value": "20260101"}, "value: lte needs a"),
        ({"field": "contact.seats", "op": "gt", "value": float("nan")}, "value: gt needs a"),
        ({"field": "contact.role", "op": "eq", "value": float("inf")}, "value: eq needs a fini"),
        ({"field": "contact.role", "op": "matches", "value": "(a"}, "value: not a valid pattern"),
        ({"field": "contact.role", "op": "matches", "value": 3}, "value: matches needs a pattern"),
        (
            {"field": "contact.role", "op": "matches", "value": "a" * (MAX_PATTERN_LENGTH + 1)},
            "value: matches needs a pattern of at most 200 characters",
        ),
    ],
)
def test_invalid_conditions_name_the_path(data: object, expected: str) -> None:
    assert any(problem.startswith(expected) for problem in problems(data)), problems(data)


def test_every_problem_is_reported_and_the_error_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_condition(
            {
                "any": [
                    {"field": "contact.role", "op": "equals", "value": 1},
                    {"field": "nobody.x", "op": "in", "value": "a"},
                ]
            }
        )
    assert isinstance(raised.value, InvalidCondition)
    assert [problem.path for problem in raised.value.problems] == [
        "any.0.op",
        "any.1.field",
        "any.1.value",
    ]
    assert raised.value.status == 422
    assert "any.0.op: unknown operator 'equals'" in raised.value.detail


def test_errors_of_a_condition_inside_a_rule_schema() -> None:
    class Rule(BaseModel):
        name: str
        condition: Condition

    with pytest.raises(ValidationError) as raised:
        Rule.model_validate({"condition": {"not": {"field": "contact.role", "op": "is"}}})
    found = condition_problems(raised.value, prefix=("condition",))
    assert [str(problem) for problem in found] == [
        "not.op: unknown operator 'is' (expected one of eq, neq, in, not_in, exists, gt, gte, "
        "lt, lte, contains, matches)"
    ]


# --------------------------------------------------------------------------- limits


def nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"field": "contact.role", "op": "exists"}
    for level in range(depth - 1):
        node = {"not": node} if level % 2 else {"all": [node]}
    return node


def test_ten_levels_are_allowed_eleven_are_not() -> None:
    assert compile_condition(parse_condition(nested(MAX_DEPTH)))(FACTS) in (True, False)
    assert any("nested deeper than 10 levels" in problem for problem in problems(nested(11)))


def test_a_hostile_depth_is_refused_without_recursing() -> None:
    node: Any = {"field": "contact.role", "op": "exists"}
    for _ in range(100_000):
        node = {"not": node}
    assert problems(node) == [
        "not.not.not.not.not.not.not.not.not.not: nested deeper than 10 levels"
    ]


def test_two_hundred_leaves_are_allowed_not_more() -> None:
    leaf = {"field": "contact.role", "op": "exists"}
    assert parse_condition({"any": [leaf] * MAX_LEAVES})
    assert problems({"any": [leaf] * (MAX_LEAVES + 1)}) == [
        "any.200: more than 200 tests (field, op, value)"
    ]


def test_a_huge_list_of_empty_parts_is_refused_early() -> None:
    started = time.perf_counter()
    assert any("more than 1000 parts" in p for p in problems({"all": [{"all": []}] * 10**6}))
    assert time.perf_counter() - started < 1.0


def test_in_lists_are_bounded() -> None:
    assert problems({"field": "contact.role", "op": "in", "value": list(range(1001))}) == [
        "value: in takes at most 1000 values"
    ]


# ----------------------------------------------------------------------- properties

FIELDS = ["contact.role", "contact.seats", "account.plan", "event.properties.n", MISSING]
SCALARS = st.one_of(
    st.sampled_from(["pro", "cto", "2026-01-01", ""]),
    st.integers(-3, 3),
    st.booleans(),
)


@st.composite
def leaves(draw: st.DrawFn) -> dict[str, Any]:
    field, op = draw(st.sampled_from(FIELDS)), draw(st.sampled_from(["eq", "neq", "in", "gt"]))
    leaf: dict[str, Any] = {"field": field, "op": op}
    if op in ("in",):
        leaf["value"] = draw(st.lists(SCALARS, min_size=1, max_size=3))
    elif op == "gt":
        leaf["value"] = draw(st.one_of(st.integers(-3, 3), st.just("2026-01-01")))
    else:
        leaf["value"] = draw(SCALARS)
    return leaf


conditions = st.recursive(
    leaves(),
    lambda children: st.one_of(
        st.builds(lambda parts: {"all": parts}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda parts: {"any": parts}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda part: {"not": part}, children),
    ),
    max_leaves=12,
)
facts = st.builds(
    lambda role, seats, plan, n: Facts(
        event={"properties": {"n": n}},
        contact={"role": role, "traits": {"seats": seats}},
        account={"traits": {"plan": plan}},
    ),
    st.one_of(st.none(), SCALARS),
    st.one_of(st.none(), SCALARS),
    st.one_of(st.none(), SCALARS),
    st.one_of(st.none(), SCALARS, st.lists(SCALARS, max_size=2)),
)


@settings(max_examples=150, deadline=None)
@given(condition=conditions, facts=facts)
def test_not_inverts(condition: dict[str, Any], facts: Facts) -> None:
    plain = compile_condition(parse_condition(condition))
    negated = compile_condition(parse_condition({"not": condition}))
    assert negated(facts) is (not plain(facts))


@settings(max_examples=150, deadline=None)
@given(condition=conditions, facts=facts)
def test_all_or_any_of_one_is_that_one(condition: dict[str, Any], facts: Facts) -> None:
    plain = compile_condition(parse_condition(condition))(facts)
    assert compile_condition(parse_condition({"all": [condition]}))(facts) is plain
    assert compile_condition(parse_condition({"any": [condition]}))(facts) is plain


@settings(max_examples=100, deadline=None)
@given(condition=conditions, many=st.lists(facts, min_size=1, max_size=8))
def test_compiled_once_evaluates_like_compiled_afresh(
    condition: dict[str, Any], many: list[Facts]
) -> None:
    parsed = parse_condition(condition)
    once = compile_condition(parsed)
    assert [once(f) for f in many] == [
        compile_condition(parse_condition(condition))(f) for f in many
    ]


@settings(max_examples=100, deadline=None)
@given(condition=conditions)
def test_fields_used_are_canonical_and_complete(condition: dict[str, Any]) -> None:
    used = fields_used(parse_condition(condition))
    assert used <= {
        "contact.role",
        "contact.traits.seats",
        "account.traits.plan",
        "event.properties.n",
        MISSING,
    }
    assert used
