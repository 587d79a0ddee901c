"""Audiences in SQL: the same people the condition's predicate accepts, on both databases.

Each table names who an audience holds among five people; every case is checked three
ways: the predicate agrees with the table, the audience selects exactly those people,
and the SQL alone does too when it says it is exact (else it keeps at least them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, delete, insert

from closeloop.contacts.models import Account, Contact
from closeloop.errors import InvalidInput
from closeloop.runtime import Runtime
from closeloop.triggers.audience import (
    AudienceFilter,
    check_audience,
    compile_audience,
    iter_audience,
    select_audience,
)
from closeloop.triggers.conditions import parse_condition
from closeloop.triggers.evaluation import Facts, compile_condition
from closeloop.triggers.facts import account_facts, contact_facts

CONTACTS = cast(Table, Contact.__table__)
ACCOUNTS = cast(Table, Account.__table__)
CONTACT_COLUMNS = ("role", "locale", "time_zone", "name", "email", "phone", "external_id")

ACCOUNT_ROWS: dict[str, dict[str, Any]] = {
    "acme": {
        "name": "Acme AG",
        "domain": "acme.example",
        "time_zone": "Europe/Zurich",
        "traits": {"plan": "enterprise", "seats": 250, "renewal_date": "2026-06-30"},
    },
    "tiny": {"name": "Tiny GmbH", "domain": None, "time_zone": None, "traits": {}},
}
PEOPLE: dict[str, dict[str, Any]] = {
    "ana": {
        "role": "decision_maker",
        "locale": "de-CH",
        "time_zone": "Europe/Zurich",
        "name": "Ana Weber",
        "email": "ana@acme.example",
        "account": "acme",
        "traits": {
            "plan": "pro",
            "seats": 10,
            "score": 7.5,
            "trial": True,
            "tags": ["billing", "vip", 7, True],
            "signed_up_on": "2026-01-15",
            "meta": {"level": "gold"},
            "país": "CH",
            'it"s': 1,
            "a'b": "x",
        },
    },
    "ben": {
        "role": "end_user",
        "name": "Ben",
        "email": "ben@acme.example",
        "account": "acme",
        "traits": {
            "plan": "10",
            "seats": 10.0,
            "trial": False,
            "tags": [],
            "nothing": None,
            "meta": {"level": None},
            "signed_up_on": "2026-01-15T23:30:00-05:00",  # 2026-01-16 in UTC
        },
    },
    "cai": {
        "external_id": "u-3",
        "account": "tiny",
        "traits": {
            "seats": "10",
            "tags": "vip list",
            "trial": 1,
            "meta": "gold",
            "signed_up_on": "2026-01-17T00:30:00+01:00",  # 2026-01-16 in UTC
        },
    },
    "dee": {"email": "dee@example.org", "traits": {}},
    "eve": {
        "role": "end_user",
        "name": "Eve",
        "locale": "es",
        "phone": "+34600123456",
        "traits": {"plan": "Pro", "seats": 1, "tags": [["vip"], {"vip": True}, 7.0], "score": -0.5},
    },
}
EVERYONE = "ana ben cai dee eve"


def leaf(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op} | ({} if value is None else {"value": value})


Case = tuple[dict[str, Any], str]

EQUALITY: list[Case] = [
    (leaf("contact.role", "eq", "decision_maker"), "ana"),
    (leaf("contact.role", "neq", "decision_maker"), "ben cai dee eve"),  # no role: not one
    (leaf("contact.role", "eq", 1), ""),
    (leaf("contact.role", "neq", 1), EVERYONE),
    (leaf("contact.plan", "eq", "pro"), "ana"),  # case matters: eve's is "Pro"
    (leaf("contact.plan", "eq", "10"), "ben"),
    (leaf("contact.plan", "eq", 10), ""),  # "10" is a string, not a number
    (leaf("contact.seats", "eq", 10), "ana ben"),  # 10.0 is 10
    (leaf("contact.seats", "eq", 10.0), "ana ben"),
    (leaf("contact.seats", "eq", "10"), "cai"),
    (leaf("contact.seats", "neq", 10), "cai dee eve"),
    (leaf("contact.trial", "eq", True), "ana"),
    (leaf("contact.trial", "eq", 1), "cai"),  # true is not 1
    (leaf("contact.trial", "eq", False), "ben"),
    (leaf("contact.trial", "eq", 0), ""),
    (leaf("contact.trial", "neq", True), "ben cai dee eve"),
    (leaf("contact.plan", "in", ["pro", 10, True]), "ana"),
    (leaf("contact.seats", "in", ["10", 1]), "cai eve"),
    (leaf("contact.trial", "in", [True, False]), "ana ben"),
    (leaf("contact.plan", "not_in", ["pro", "10"]), "cai dee eve"),
    (leaf("contact.role", "in", ["end_user", 3, False]), "ben eve"),
    (leaf("contact.role", "not_in", ["end_user"]), "ana cai dee"),
    (leaf("contact.meta.level", "eq", "gold"), "ana"),  # cai's meta is a string: no level
    (leaf("contact.meta", "eq", "gold"), "cai"),
    (leaf("contact.meta.level", "neq", "gold"), "ben cai dee eve"),
    (leaf("contact.tags", "eq", "vip"), ""),  # a list is not its element
    (leaf("contact.nothing", "eq", "x"), ""),
    (leaf("contact.nothing", "neq", "x"), EVERYONE),  # null is absent
    (leaf("contact.name", "eq", "Ana Weber"), "ana"),
    (leaf("contact.email", "eq", "ben@acme.example"), "ben"),
    (leaf("contact.external_id", "eq", "u-3"), "cai"),
]
ORDERINGS: list[Case] = [
    (leaf("contact.seats", "gt", 5), "ana ben"),  # cai's "10" is text, not a number
    (leaf("contact.seats", "gte", 10), "ana ben"),
    (leaf("contact.seats", "lt", 10), "eve"),
    (leaf("contact.seats", "lte", 1), "eve"),
    (leaf("contact.seats", "gt", 1.5), "ana ben"),
    (leaf("contact.score", "lt", 0), "eve"),
    (leaf("contact.score", "gt", 7), "ana"),
    (leaf("contact.trial", "gte", 1), "cai"),  # true is not a number
    (leaf("contact.name", "gt", 3), ""),
    (leaf("contact.plan", "lt", 100), ""),
    # dates compare in UTC, as days when either side is a day
    (leaf("contact.signed_up_on", "gte", "2026-01-16"), "ben cai"),
    (leaf("contact.signed_up_on", "lt", "2026-01-16"), "ana"),
    (leaf("contact.signed_up_on", "gt", "2026-01-15"), "ben cai"),
    (leaf("contact.signed_up_on", "lt", "2026-01-17"), "ana ben cai"),
    (leaf("contact.signed_up_on", "gte", "2026-01-17"), ""),
    (leaf("contact.signed_up_on", "lte", "2026-01-15T12:00:00Z"), "ana"),
    (leaf("contact.signed_up_on", "gt", "2026-01-16T04:00:00Z"), "ben cai"),
    (leaf("contact.signed_up_on", "lt", "2026-01-16T04:00:00+01:00"), "ana"),
    (leaf("contact.plan", "gt", "2020-01-01"), ""),  # not dates
]
CONTAINS: list[Case] = [
    (leaf("contact.tags", "contains", "vip"), "ana cai"),  # eve's "vip" sits one list down
    (leaf("contact.tags", "contains", 7), "ana eve"),  # 7.0 is 7
    (leaf("contact.tags", "contains", True), "ana"),
    (leaf("contact.tags", "contains", 1), ""),  # true is not 1
    (leaf("contact.tags", "contains", ""), "cai"),  # in any string, in no list here
    (leaf("contact.tags", "contains", "VIP"), ""),
    (leaf("contact.meta", "contains", "gold"), "cai"),  # an object contains nothing
    (leaf("contact.name", "contains", "Web"), "ana"),
    (leaf("contact.name", "contains", "web"), ""),
    (leaf("contact.name", "contains", "%"), ""),  # no LIKE wildcards
    (leaf("contact.email", "contains", "@acme."), "ana ben"),
    (leaf("contact.name", "contains", 1), ""),
    ({"not": leaf("contact.tags", "contains", "vip")}, "ben dee eve"),
]
EXISTS: list[Case] = [
    (leaf("contact.plan", "exists"), "ana ben eve"),
    (leaf("contact.nothing", "exists"), ""),  # null is absent
    (leaf("contact.meta.level", "exists"), "ana"),
    (leaf("contact.tags", "exists"), "ana ben cai eve"),  # an empty list is there
    (leaf("contact.role", "exists"), "ana ben eve"),
    ({"not": leaf("contact.locale", "exists")}, "ben cai dee"),
    (leaf("contact.seats.deeper", "exists"), ""),
]
ACCOUNTS_CASES: list[Case] = [
    (leaf("account.name", "eq", "Acme AG"), "ana ben"),
    (leaf("account.name", "neq", "Acme AG"), "cai dee eve"),  # no account: not Acme
    (leaf("account.name", "exists"), "ana ben cai"),
    (leaf("account.domain", "exists"), "ana ben"),
    (leaf("account.time_zone", "eq", "Europe/Zurich"), "ana ben"),
    (leaf("account.plan", "eq", "enterprise"), "ana ben"),
    (leaf("account.plan", "neq", "enterprise"), "cai dee eve"),
    (leaf("account.seats", "gt", 100), "ana ben"),
    (leaf("account.plan", "exists"), "ana ben"),
    ({"not": leaf("account.plan", "exists")}, "cai dee eve"),
    (leaf("account.renewal_date", "lt", "2026-07-01"), "ana ben"),
]
RECHECKED: list[Case] = [
    (leaf("contact.name", "matches", "^A"), "ana"),
    ({"not": leaf("contact.name", "matches", "^A")}, "ben cai dee eve"),
    (leaf("contact.plan", "matches", "^[0-9]+$"), "ben"),  # the string, not a number
    (leaf("contact.país", "eq", "CH"), "ana"),
    (leaf('contact.it"s', "eq", 1), "ana"),
    (leaf("contact.a'b", "eq", "x"), "ana"),
    (leaf("contact.plan", "neq", "pro\x00"), EVERYONE),
    (leaf("contact.name", "in", ["Eve", "\ud800"]), "eve"),
]
COMBINED: list[Case] = [
    ({"all": [leaf("contact.role", "eq", "end_user"), leaf("account.name", "exists")]}, "ben"),
    (
        {"any": [leaf("account.plan", "eq", "enterprise"), leaf("contact.locale", "eq", "es")]},
        "ana ben eve",
    ),
    (
        {"not": {"all": [leaf("contact.role", "eq", "end_user"), leaf("contact.seats", "lt", 5)]}},
        "ana ben cai dee",
    ),
    (
        {"not": {"any": [leaf("contact.plan", "exists"), leaf("account.name", "exists")]}},
        "dee",
    ),
    ({"not": {"not": leaf("contact.role", "eq", "decision_maker")}}, "ana"),
    (
        {"any": [leaf("contact.name", "matches", "^E"), leaf("contact.seats", "gt", 9)]},
        "ana ben eve",
    ),
    (
        {
            "all": [
                {"not": leaf("contact.name", "matches", "^A")},
                leaf("account.plan", "eq", "enterprise"),
            ]
        },
        "ben",
    ),
    (
        {"not": {"any": [leaf("contact.name", "matches", "^A"), leaf("contact.trial", "eq", 1)]}},
        "ben dee eve",
    ),
]


@pytest.fixture
def people(runtime: Runtime) -> dict[int, str]:
    """The five people of the tables, stored; their names by contact id."""
    return {ids: name for name, ids in insert_people(runtime, ACCOUNT_ROWS, PEOPLE).items()}


def insert_people(
    runtime: Runtime, accounts: Mapping[str, Mapping[str, Any]], people: Mapping[str, Any]
) -> dict[str, int]:
    with runtime.transaction() as session:
        session.execute(delete(CONTACTS))
        session.execute(delete(ACCOUNTS))
        account_ids = {
            key: session.execute(
                insert(ACCOUNTS).values(**row).returning(ACCOUNTS.c.id)
            ).scalar_one()
            for key, row in accounts.items()
        }
        contact_ids = {}
        for name, person in people.items():
            row = {column: person.get(column) for column in CONTACT_COLUMNS} | {
                "traits": person["traits"],
                "account_id": account_ids.get(person.get("account", "")),
            }
            contact_ids[name] = session.execute(
                insert(CONTACTS).values(**row).returning(CONTACTS.c.id)
            ).scalar_one()
        return contact_ids


def facts_of(person: Mapping[str, Any], accounts: Mapping[str, Mapping[str, Any]]) -> Facts:
    """The facts the engine builds for a person, from the values stored."""
    contact = contact_facts(
        **{column: person.get(column) for column in CONTACT_COLUMNS}, traits=person["traits"]
    )
    account = accounts.get(person.get("account") or "")
    return Facts(contact=contact, account=account_facts(**account) if account else {})


def selected_ids(runtime: Runtime, audience: AudienceFilter, *, batch_size: int = 2) -> set[int]:
    """Who is in the audience, read in small pages so that paging is part of every check."""
    with runtime.read_transaction() as session:
        members = iter_audience(session, audience, batch_size=batch_size)
        return {member.contact_id for member in members}


def names(text: str) -> set[str]:
    return set(text.split())


TABLES = {
    "equality": EQUALITY,
    "orderings": ORDERINGS,
    "contains": CONTAINS,
    "exists": EXISTS,
    "accounts": ACCOUNTS_CASES,
    "rechecked": RECHECKED,
    "combined": COMBINED,
}


def test_an_audience_holds_whom_the_tables_name(runtime: Runtime, people: dict[int, str]) -> None:
    # one database for every case (a PostgreSQL one takes most of a second to make);
    # the assertion lists each case that went wrong, with what each side chose
    wrong = []
    for topic, data, expected in [(t, d, e) for t, cases in TABLES.items() for d, e in cases]:
        condition = parse_condition(data)
        audience = compile_audience(condition)
        predicate = compile_condition(condition)
        accepted = {name for name in PEOPLE if predicate(facts_of(PEOPLE[name], ACCOUNT_ROWS))}
        chosen = {people[i] for i in selected_ids(runtime, audience)}
        sql_alone = dataclasses.replace(audience, recheck=None)
        by_sql = {people[i] for i in selected_ids(runtime, sql_alone)}
        sql_agrees = by_sql == chosen if audience.exact else by_sql >= chosen
        if not (accepted == chosen == names(expected) and sql_agrees):
            wrong.append((topic, data, expected, sorted(accepted), sorted(chosen), sorted(by_sql)))
    assert wrong == []


@pytest.mark.parametrize(
    ("data", "exact"),
    [
        (leaf("contact.role", "eq", "cto"), True),
        (leaf("contact.traits.seats", "gte", 3), True),
        (leaf("contact.tags", "contains", 7), True),
        (leaf("account.plan", "not_in", ["a", 1, True]), True),
        ({"not": {"any": [leaf("contact.plan", "exists"), leaf("account.name", "eq", "x")]}}, True),
        (leaf("contact.name", "matches", "^A"), False),
        (leaf("contact.signed_up_on", "lt", "2026-01-01"), False),
        (leaf("contact.país", "eq", "CH"), False),
        (leaf("contact.plan", "eq", "a\x00"), False),
        ({"all": [leaf("contact.role", "eq", "cto"), leaf("contact.name", "matches", "x")]}, False),
    ],
)
def test_only_what_sql_cannot_say_is_left_to_the_recheck(data: object, exact: bool) -> None:
    audience = compile_audience(parse_condition(data))
    assert audience.exact is exact
    assert (audience.recheck is None) is exact


def test_an_inexact_test_under_not_widens_only_its_own_branch() -> None:
    # not (a or matches) = not a and not matches: "not a" stays in SQL
    data = {
        "not": {"any": [leaf("contact.plan", "eq", "pro"), leaf("contact.name", "matches", "x")]}
    }
    where = str(compile_audience(parse_condition(data)).where)
    assert where.startswith("NOT (coalesce(json_type(contacts.traits")


def test_no_condition_is_everyone_and_dates_narrow_to_a_day_either_side(
    runtime: Runtime, people: dict[int, str]
) -> None:
    everyone = compile_audience(None)
    assert (everyone.exact, everyone.recheck) == (True, None)
    assert {people[i] for i in selected_ids(runtime, everyone)} == names(EVERYONE)

    def by_sql_alone(data: object) -> set[str]:
        audience = dataclasses.replace(compile_audience(parse_condition(data)), recheck=None)
        return {people[i] for i in selected_ids(runtime, audience)}

    # stored: ana 2026-01-15, ben 2026-01-15T23:30-05:00, cai 2026-01-17T00:30+01:00
    assert by_sql_alone(leaf("contact.signed_up_on", "lt", "2026-01-13")) == set()
    assert by_sql_alone(leaf("contact.signed_up_on", "gte", "2026-01-17")) == {"cai"}
    assert by_sql_alone(leaf("contact.name", "gt", "2026-01-01")) == set()  # names are no dates


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (leaf("event.name", "eq", "Signed Up"), "field"),
        (
            {
                "all": [
                    leaf("contact.role", "exists"),
                    {"not": leaf("event.properties.x", "exists")},
                ]
            },
            "all.1.not.field",
        ),
    ],
)
def test_event_fields_are_refused_in_an_audience(data: object, path: str) -> None:
    condition = parse_condition(data)
    with pytest.raises(InvalidInput) as raised:
        check_audience(condition)
    assert raised.value.field == path
    assert "event fields are not available" in raised.value.detail
    with pytest.raises(InvalidInput):
        compile_audience(condition)


def test_a_member_carries_what_a_send_needs(runtime: Runtime, people: dict[int, str]) -> None:
    ids = {name: contact_id for contact_id, name in people.items()}
    with runtime.transaction() as session:
        session.execute(
            CONTACTS.update()
            .where(CONTACTS.c.id == ids["ana"])
            .values(unsubscribed_at=runtime.clock.now())
        )
        session.execute(
            CONTACTS.update()
            .where(CONTACTS.c.id == ids["dee"])
            .values(bounced_at=runtime.clock.now())
        )
    with runtime.read_transaction() as session:
        members = {
            people[m.contact_id]: m
            for m in select_audience(session, compile_audience(None), limit=10)
        }
    ana, dee = members["ana"], members["dee"]
    flags = (ana.unsubscribed, ana.bounced, dee.unsubscribed, dee.bounced)
    assert flags == (True, False, False, True)
    assert all(type(flag) is bool for flag in flags)  # not SQLite's 1 and 0
    assert (ana.email, ana.locale, ana.time_zone, ana.role) == (
        "ana@acme.example",
        "de-CH",
        "Europe/Zurich",
        "decision_maker",
    )
    assert (ana.account_name, ana.account_domain, ana.account_time_zone) == (
        "Acme AG",
        "acme.example",
        "Europe/Zurich",
    )
    assert ana.traits["tags"] == ["billing", "vip", 7, True]
    assert ana.account_traits["plan"] == "enterprise"
    assert (dee.account_id, dee.account_name, dict(dee.account_traits)) == (None, None, {})
    for name, member in members.items():  # every column in its place, as the engine reads it
        assert member.facts() == facts_of(PEOPLE[name], ACCOUNT_ROWS), name


def test_pages_follow_contact_ids_and_fill_up_past_rechecked_rows(
    runtime: Runtime, people: dict[int, str]
) -> None:
    # ana, ben and eve have a name; only ben and eve's do not start with A
    audience = compile_audience(parse_condition({"not": leaf("contact.name", "matches", "^A")}))
    assert not audience.exact
    with runtime.read_transaction() as session:
        first = select_audience(session, audience, limit=2)
        rest = select_audience(session, audience, after_id=first[-1].contact_id, limit=2)
        everyone = select_audience(session, audience, limit=100)
    ids = [m.contact_id for m in first + rest]
    assert ids == sorted(ids)
    assert [people[i] for i in ids] == ["ben", "cai", "dee", "eve"]
    assert (len(first), len(rest)) == (2, 2)
    assert [m.contact_id for m in everyone] == ids
    with runtime.read_transaction() as session, pytest.raises(InvalidInput) as raised:
        select_audience(session, audience, limit=0)
    assert raised.value.field == "limit"


# ---------------------------------------------------------------- property: SQL == predicate

DATES = st.sampled_from(
    [
        "2026-01-15",
        "2026-01-16",
        "2026-01-15T23:30:00-05:00",
        "2026-01-16T00:30:00+01:00",
        "2026-01-16T12:00:00Z",
        "2026-01-17T00:00:00+14:00",
    ]
)
TEXTS = st.one_of(
    st.sampled_from(["pro", "Pro", "Ana", "es", "10", "", "vip", "a%b_", "it's", "ä😀"]), DATES
)
NUMBERS = st.one_of(
    st.sampled_from([0, 1, 10, 10.0, -0.5, 0.1, 2.5]),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(min_value=-(2**53), max_value=2**53, allow_nan=False),
)
SCALARS = st.one_of(TEXTS, NUMBERS, st.booleans())
TRAIT_VALUES = st.one_of(
    SCALARS,
    st.none(),
    st.lists(st.one_of(SCALARS, st.lists(SCALARS, max_size=1)), max_size=3),
    st.fixed_dictionaries({}, optional={"level": SCALARS}),
)
TRAITS = st.dictionaries(
    st.sampled_from(["plan", "seats", "tags", "meta"]), TRAIT_VALUES, max_size=4
)
WORDS = st.sampled_from(["pro", "Ana", "vip", "10", "es", "2026-01-16T00:30:00+01:00"])
CONTACT = st.fixed_dictionaries(
    {"traits": TRAITS, "account": st.sampled_from([None, "first", "second"])},
    optional=dict.fromkeys(("role", "locale", "name", "email"), WORDS),
)
ACCOUNT = st.fixed_dictionaries(
    {"name": WORDS, "domain": st.none() | WORDS, "time_zone": st.none(), "traits": TRAITS}
)
FIELDS = st.sampled_from(
    [
        "contact.role",
        "contact.name",
        "contact.email",
        "contact.external_id",
        "contact.plan",
        "contact.seats",
        "contact.tags",
        "contact.meta",
        "contact.meta.level",
        "account.name",
        "account.domain",
        "account.plan",
        "account.tags",
        "account.meta.level",
    ]
)


def leaves() -> st.SearchStrategy[dict[str, Any]]:
    def with_value(op: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
        return st.builds(leaf, FIELDS, st.just(op), values)

    return st.one_of(
        st.builds(leaf, FIELDS, st.just("exists")),
        *(with_value(op, SCALARS) for op in ("eq", "neq", "contains")),
        *(with_value(op, st.lists(SCALARS, min_size=1, max_size=3)) for op in ("in", "not_in")),
        *(with_value(op, NUMBERS | DATES) for op in ("gt", "gte", "lt", "lte")),
        with_value("matches", st.sampled_from(["^p", "o$", "[0-9]", "vip"])),
    )


CONDITIONS = st.recursive(
    leaves(),
    lambda parts: st.one_of(
        st.builds(lambda items: {"all": items}, st.lists(parts, min_size=1, max_size=3)),
        st.builds(lambda items: {"any": items}, st.lists(parts, min_size=1, max_size=3)),
        st.builds(lambda part: {"not": part}, parts),
    ),
    max_leaves=6,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    accounts=st.fixed_dictionaries({"first": ACCOUNT, "second": ACCOUNT}),
    contacts=st.lists(CONTACT, max_size=6),
    conditions=st.lists(CONDITIONS, min_size=1, max_size=4),
)
def test_an_audience_is_exactly_whom_the_predicate_accepts(
    runtime: Runtime,
    accounts: dict[str, dict[str, Any]],
    contacts: Sequence[dict[str, Any]],
    conditions: list[dict[str, Any]],
) -> None:
    people = {  # an email or an external id names one person
        f"p{index}": person
        | {"external_id": f"p{index}"}
        | ({"email": f"{person['email']}.{index}"} if "email" in person else {})
        for index, person in enumerate(contacts)
    }
    ids = insert_people(runtime, accounts, people)
    for data in conditions:
        condition = parse_condition(data)
        predicate = compile_condition(condition)
        accepted = {
            ids[name] for name, person in people.items() if predicate(facts_of(person, accounts))
        }
        audience = compile_audience(condition)
        assert selected_ids(runtime, audience, batch_size=4) == accepted, data
        sql_alone = dataclasses.replace(audience, recheck=None)
        by_sql = selected_ids(runtime, sql_alone, batch_size=100)
        assert by_sql == accepted if audience.exact else by_sql >= accepted, data
