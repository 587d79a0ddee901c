"""Audiences: the condition language compiled to SQL, to select contacts in bulk.

A recurring survey or a campaign names its audience with the same conditions as an
event rule, and a person must not be in or out depending on which path decided. So each
test compiles to SQL that decides *exactly* like the Python predicate
(:mod:`closeloop.triggers.field_sql`), or, where SQL cannot say the same thing (regular
expressions, dates written in any ISO form, trait names a SQLite JSON path cannot spell,
text no database takes as a parameter), to a looser test that never drops anyone the
predicate accepts. Such a filter says it is not exact and carries the predicate, which
:func:`select_audience` and :func:`iter_audience` run on the rows fetched.

Negations are pushed down to the tests (De Morgan), so an inexact test under a ``not``
widens only its own branch to TRUE, not the whole filter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Text, and_, not_, or_, select, true
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from closeloop.errors import InvalidInput
from closeloop.triggers.conditions import (
    ORDERINGS,
    AllOf,
    AnyOf,
    Condition,
    Leaf,
    Node,
    NotOf,
    Scalar,
)
from closeloop.triggers.evaluation import Facts, Predicate, compile_condition
from closeloop.triggers.facts import account_facts, contact_facts
from closeloop.triggers.field_sql import ACCOUNTS, CONTACTS, FieldSql, bindable, field_sql
from closeloop.triggers.values import as_number, as_temporal

# Small enough that a page's rows and members die young: with 5,000 they outlive the
# garbage collector's young generations, and full collections cost a walk of a million
# people 60% more CPU (measured on SQLite); per-page query overhead is small beside it.
DEFAULT_BATCH_SIZE: Final = 1_000


@dataclass(frozen=True)
class AudienceFilter:
    """Who is in an audience: a WHERE over contacts outer-joined to their accounts.

    ``exact`` says the SQL alone decides like the condition's predicate for every row;
    otherwise ``where`` keeps everyone the predicate accepts (and perhaps more), and
    ``recheck`` is that predicate, to run on the rows fetched.
    """

    where: ColumnElement[bool]
    exact: bool
    recheck: Predicate | None


@dataclass
class AudienceMember:
    """One person in an audience, with what planning a send needs.

    Built a million times per walk of a large audience, so kept cheap: not frozen (a
    frozen dataclass costs ten times as much to build), and the traits arrive as JSON
    text, decoded when first read, so a planner after addresses and time zones does not
    pay for them.
    """

    contact_id: int
    email: str | None
    phone: str | None
    name: str | None
    locale: str | None
    time_zone: str | None
    role: str | None
    external_id: str | None
    unsubscribed: bool
    bounced: bool
    account_id: int | None
    account_name: str | None
    account_domain: str | None
    account_time_zone: str | None
    traits_json: str | None = field(repr=False)
    account_traits_json: str | None = field(repr=False)
    # decoded on first read; not functools.cached_property, which takes a lock each time
    _traits: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)
    _account_traits: dict[str, Any] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def traits(self) -> dict[str, Any]:
        if self._traits is None:
            self._traits = _decoded(self.traits_json)
        return self._traits

    @property
    def account_traits(self) -> dict[str, Any]:
        """The account's traits (``{}`` without an account)."""
        if self._account_traits is None:
            self._account_traits = _decoded(self.account_traits_json)
        return self._account_traits

    def facts(self) -> Facts:
        """What a condition sees about this person, built as the trigger engine builds it."""
        contact = contact_facts(
            role=self.role,
            locale=self.locale,
            time_zone=self.time_zone,
            name=self.name,
            email=self.email,
            phone=self.phone,
            external_id=self.external_id,
            traits=self.traits,
        )
        if self.account_id is None:
            return Facts(contact=contact)
        account = account_facts(
            name=self.account_name,
            domain=self.account_domain,
            time_zone=self.account_time_zone,
            traits=self.account_traits,
        )
        return Facts(contact=contact, account=account)


def _decoded(text: str | None) -> dict[str, Any]:
    traits = json.loads(text) if text is not None else None
    return traits if isinstance(traits, dict) else {}


# ------------------------------------------------------------------------ compiling


def check_audience(condition: Condition | None) -> None:
    """Refuse event fields: an audience selects contacts, with no event to read.

    ``field`` on the error is the dotted path of the offending test in the condition.
    """
    if condition is None:
        return
    for path, leaf in _leaves(condition.root, ()):
        if leaf.field.startswith("event."):
            raise InvalidInput(
                f"{leaf.field}: audiences select contacts; event fields are not available",
                field=".".join(str(part) for part in (*path, "field")),
            )


def compile_audience(condition: Condition | None) -> AudienceFilter:
    """The SQL for an audience (everyone when there is no condition), built once per rule."""
    if condition is None:
        return AudienceFilter(where=true(), exact=True, recheck=None)
    check_audience(condition)
    where, exact = _compile(condition.root, negated=False)
    return AudienceFilter(
        where=where, exact=exact, recheck=None if exact else compile_condition(condition)
    )


_Location = tuple[int | str, ...]


def _leaves(node: Node, path: _Location) -> Iterator[tuple[_Location, Leaf]]:
    if isinstance(node, AllOf | AnyOf):
        tag, parts = ("all", node.all) if isinstance(node, AllOf) else ("any", node.any)
        for index, part in enumerate(parts):
            yield from _leaves(part, (*path, tag, index))
    elif isinstance(node, NotOf):
        yield from _leaves(node.not_, (*path, "not"))
    else:
        yield path, node


def _compile(node: Node, *, negated: bool) -> tuple[ColumnElement[bool], bool]:
    """SQL keeping every row where ``node`` (or, when ``negated``, its opposite) holds.

    Returns the expression and whether it is exact: ``not (a and b)`` compiles as
    ``not a or not b``, so an inexact ``b`` widens to TRUE while ``not a`` still filters.
    """
    if isinstance(node, NotOf):
        return _compile(node.not_, negated=not negated)
    if isinstance(node, AllOf | AnyOf):
        parts = node.all if isinstance(node, AllOf) else node.any
        compiled = [_compile(part, negated=negated) for part in parts]
        wheres = [where for where, _ in compiled]
        conjunction = isinstance(node, AllOf) != negated
        where = and_(*wheres) if conjunction else or_(*wheres)
        return where, all(exact for _, exact in compiled)
    where, exact = _leaf(node)
    if not negated:
        return where, exact
    return (not_(where), True) if exact else (true(), False)


def _leaf(leaf: Leaf) -> tuple[ColumnElement[bool], bool]:
    """One test as SQL: exact, or a looser necessary condition of it."""
    target = field_sql(leaf.field)
    op, value = leaf.op, leaf.value
    if target is None or not bindable(value):
        return true(), False
    if op == "exists":
        return target.present(), True
    if isinstance(value, list):  # in, not_in
        holds = target.holds(value)
        return (holds if op == "in" else not_(holds)), True
    assert value is not None
    if op in ("eq", "neq"):
        holds = target.holds([value])
        return (holds if op == "eq" else not_(holds)), True
    if op in ORDERINGS:
        number = as_number(value)
        if number is None:
            return _near_date(target, op, value), False
        return target.ordered(ORDERINGS[op], number), True
    if op == "contains":
        return target.contains(value), True
    return target.is_string(), False  # matches: only a string can match


def _near_date(target: FieldSql, op: str, value: Scalar) -> ColumnElement[bool]:
    """Keep the strings on the pivot's side, give or take a day; the recheck decides.

    A stored date-time may carry any offset and any precision, so SQL cannot order it
    exactly; but a valid one starts with its local date, at most a day from its UTC
    date. So ``after D`` needs a local date from ``D - 1`` on, ``before D`` one up to
    ``D + 1`` (``D`` the pivot's UTC day), and the rows on the wrong side, or not
    starting with a date at all, never reach the recheck.
    """
    pivot = as_temporal(value)
    assert pivot is not None
    day = pivot.date() if isinstance(pivot, datetime) else pivot
    if op in ("gt", "gte"):
        return target.starts_between(_shifted(day, -1), date.max.isoformat())
    return target.starts_between(date.min.isoformat(), _shifted(day, +1))


def _shifted(day: date, days: int) -> str:
    """``day`` moved by ``days``, as ISO text, held within the years a date can have."""
    try:
        return (day + timedelta(days=days)).isoformat()
    except OverflowError:
        return day.isoformat()


# -------------------------------------------------------------------------- selecting

# in AudienceMember's field order, so that a row builds a member positionally (fast)
_MEMBER_COLUMNS: Final = (
    CONTACTS.c.id,
    CONTACTS.c.email,
    CONTACTS.c.phone,
    CONTACTS.c.name,
    CONTACTS.c.locale,
    CONTACTS.c.time_zone,
    CONTACTS.c.role,
    CONTACTS.c.external_id,
    CONTACTS.c.unsubscribed_at.is_not(None),
    CONTACTS.c.bounced_at.is_not(None),
    CONTACTS.c.account_id,
    ACCOUNTS.c.name,
    ACCOUNTS.c.domain,
    ACCOUNTS.c.time_zone,
    sql_cast(CONTACTS.c.traits, Text),
    sql_cast(ACCOUNTS.c.traits, Text),
)
_PEOPLE: Final = CONTACTS.outerjoin(ACCOUNTS, CONTACTS.c.account_id == ACCOUNTS.c.id)


def select_audience(
    session: Session, filter: AudienceFilter, *, after_id: int = 0, limit: int
) -> list[AudienceMember]:
    """The first ``limit`` members with an id above ``after_id``, in id order.

    Fewer than ``limit`` means there are no more. Rows the recheck turns away do not
    count, so an inexact filter may read several pages to fill one.
    """
    _check_positive(limit=limit)
    members: list[AudienceMember] = []
    while True:
        page = _fetch(session, filter.where, after_id=after_id, limit=limit)
        members.extend(_accepted(page, filter.recheck))
        if len(members) >= limit or len(page) < limit:
            return members[:limit]
        after_id = page[-1].contact_id


def iter_audience(
    session: Session, filter: AudienceFilter, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[AudienceMember]:
    """Every member in id order, a page at a time: memory stays at one page."""
    _check_positive(batch_size=batch_size)
    after_id = 0
    while True:
        page = _fetch(session, filter.where, after_id=after_id, limit=batch_size)
        yield from _accepted(page, filter.recheck)
        if len(page) < batch_size:
            return
        after_id = page[-1].contact_id


def _check_positive(**sizes: int) -> None:
    for name, size in sizes.items():
        if size < 1:
            raise InvalidInput(f"{name} is at least 1, not {size}", field=name)


def _fetch(
    session: Session, where: ColumnElement[bool], *, after_id: int, limit: int
) -> list[AudienceMember]:
    """One page of the rows the SQL keeps: Core, only the columns a member holds."""
    query = (
        select(*_MEMBER_COLUMNS)
        .select_from(_PEOPLE)
        .where(CONTACTS.c.id > after_id, where)
        .order_by(CONTACTS.c.id)
        .limit(limit)
    )
    # through the connection: Session.execute wraps every row again, twice the time
    return [AudienceMember(*row) for row in session.connection().execute(query).all()]


def _accepted(page: list[AudienceMember], recheck: Predicate | None) -> list[AudienceMember]:
    if recheck is None:
        return page
    return [member for member in page if recheck(member.facts())]
