"""Rules as stored data: create, change (a new version each time), switch on and off, and
load the enabled set compiled for the engine.

Compiled rule sets are cached per process and per database, keyed by a stamp of the
rules table (count, newest change, sum of versions), so every process sees a change on
its next batch of events without a restart and without recompiling when nothing moved.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closeloop.errors import Conflict, InvalidInput, NotFound
from closeloop.journeys import lookup as journeys
from closeloop.policy.windows import SendWindow
from closeloop.surveys import service as surveys
from closeloop.triggers.definitions import AnyRule, dump_rule, parse_rule
from closeloop.triggers.engine import RuleSet, compile_rule
from closeloop.triggers.models import Rule, RuleVersion

_CACHE_SIZE = 16
_cache: dict[tuple[object, ...], RuleSet] = {}
_cache_lock = threading.Lock()


def get(*, session: Session, key: str) -> Rule | None:
    return session.scalar(select(Rule).where(Rule.key == key))


def get_or_404(*, session: Session, key: str) -> Rule:
    rule = get(session=session, key=key)
    if rule is None:
        raise NotFound(f"no rule with key {key!r}", field="key")
    return rule


def list_(*, session: Session, kind: str | None = None) -> list[Rule]:
    query = select(Rule).order_by(Rule.key)
    if kind is not None:
        query = query.where(Rule.kind == kind)
    return list(session.scalars(query))


def versions(*, session: Session, rule_id: int) -> list[RuleVersion]:
    query = select(RuleVersion).where(RuleVersion.rule_id == rule_id).order_by(RuleVersion.version)
    return list(session.scalars(query))


def check_references(*, session: Session, definition: AnyRule) -> None:
    """The survey and touchpoint a rule names must exist: a typo would silently send
    nothing, or file answers under a touchpoint no report shows."""
    if surveys.get_by_key(session=session, key=definition.survey) is None:
        raise InvalidInput(f"no survey with key {definition.survey!r}", field="survey")
    touchpoint = definition.touchpoint
    if (
        touchpoint is not None
        and touchpoint not in journeys.load(session=session).stage_of_touchpoint
    ):
        raise InvalidInput(
            f"no touchpoint {touchpoint!r} in the journey map (add it first: "
            "POST /api/v1/journey/touchpoints)",
            field="touchpoint",
        )


def save(
    *, session: Session, data: Mapping[str, Any] | AnyRule, now: datetime, origin: str = "api"
) -> tuple[Rule, bool]:
    """Create the rule or change it to ``data``; (rule, whether anything changed).

    Saving the definition a rule already has is a no-op, so applying a playbook twice
    changes nothing and keeps the version. A real change adds a version.
    """
    definition = data if isinstance(data, AnyRule) else parse_rule(data)
    check_references(session=session, definition=definition)
    stored = dump_rule(definition)
    rule = get(session=session, key=definition.key)
    if rule is None:
        rule = Rule(
            key=definition.key,
            kind=definition.kind,
            enabled=definition.enabled,
            version=1,
            definition=stored,
            origin=origin,
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(rule)
                session.flush()
        except IntegrityError:
            raise Conflict(
                f"rule {definition.key!r} was created concurrently; retry", field="key"
            ) from None
    else:
        if rule.definition == stored:
            return rule, False
        if rule.kind != definition.kind:
            raise Conflict(
                f"rule {rule.key!r} is a {rule.kind} rule; a rule keeps its kind "
                "(make a new rule instead)",
                field="kind",
            )
        rule.version += 1
        rule.definition = stored
        rule.enabled = definition.enabled
        rule.origin = origin
        rule.updated_at = now
    session.add(
        RuleVersion(rule_id=rule.id, version=rule.version, definition=stored, created_at=now)
    )
    session.flush()
    return rule, True


def create(*, session: Session, data: Mapping[str, Any], now: datetime) -> Rule:
    """A new rule; its key must be free (409 naming ``key``): a change is :func:`update`."""
    definition = parse_rule(data)
    if get(session=session, key=definition.key) is not None:
        raise Conflict(f"a rule with key {definition.key!r} already exists", field="key")
    rule, _ = save(session=session, data=definition, now=now)
    return rule


def update(*, session: Session, key: str, data: Mapping[str, Any], now: datetime) -> Rule:
    """A new version of the rule ``key`` (none when nothing changed); the body may omit
    the key, but may not name another one."""
    get_or_404(session=session, key=key)
    named = data.get("key", key)
    if named != key:
        raise InvalidInput(f"the body names rule {named!r}, the path {key!r}", field="key")
    rule, _ = save(session=session, data={**data, "key": key}, now=now)
    return rule


def set_enabled(*, session: Session, key: str, enabled: bool, now: datetime) -> Rule:
    """Switch a rule on or off; recorded as a new version like any other change."""
    rule = get_or_404(session=session, key=key)
    data = dict(rule.definition, enabled=enabled)
    saved, _ = save(session=session, data=data, now=now, origin=rule.origin)
    return saved


def load_ruleset(*, session: Session, default_window: SendWindow | None) -> RuleSet:
    """The enabled rules, compiled; recompiled only when the rules table changed."""
    count, newest, version_sum = session.execute(
        select(func.count(Rule.id), func.max(Rule.updated_at), func.sum(Rule.version))
    ).one()
    key = (str(session.connection().engine.url), count, newest, version_sum, default_window)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    rows = session.execute(
        select(Rule.id, Rule.version, Rule.definition).where(Rule.enabled.is_(True))
    ).all()
    ruleset = RuleSet.of(
        compile_rule(
            rule_id=id_, version=version, definition=definition, default_window=default_window
        )
        for id_, version, definition in rows
    )
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = ruleset
    return ruleset
