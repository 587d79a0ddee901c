"""The trigger engine: which rules fire for an event. Pure: rules and facts in, rules out.

Rules are compiled once per rule version (conditions to closures, windows to
:class:`SendWindow`) and indexed by the event name that fires them and by the event
names that cancel them, so matching an event costs a dictionary lookup plus the
conditions of the few rules listening to that name, however many rules exist
(bench/triggers.py measures 1,000 rules against 10).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from closeloop.policy.windows import SendWindow
from closeloop.triggers.definitions import (
    AnyRule,
    CancelIf,
    DateRule,
    EventRule,
    parse_rule,
)
from closeloop.triggers.evaluation import Facts, Predicate, compile_condition, fields_used
from closeloop.triggers.models import RuleKind

# rules without a rule (an explicit API or Delighted request) outrank every trigger
EXPLICIT_PRIORITY = 1_000_000


@dataclass(frozen=True)
class CompiledRule:
    """A rule version ready to run: its definition plus what the engine needs at hand."""

    id: int
    version: int
    definition: AnyRule
    # None: the rule opts out of send windows and goes at once
    window: SendWindow | None
    skip_holidays: bool
    predicate: Predicate | None
    # whether the predicate reads the contact or account (else the event alone decides)
    needs_people: bool

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def kind(self) -> RuleKind:
        return RuleKind(self.definition.kind)

    @property
    def priority(self) -> int:
        return self.definition.priority

    @property
    def survey_key(self) -> str:
        return self.definition.survey

    @property
    def delay(self) -> timedelta:
        return self.definition.delay if isinstance(self.definition, EventRule) else timedelta(0)

    @property
    def cancel_if(self) -> list[CancelIf]:
        if isinstance(self.definition, EventRule | DateRule):
            return self.definition.cancel_if
        return []

    def matches(self, facts: Facts) -> bool:
        return self.predicate is None or self.predicate(facts)


def compile_rule(
    *,
    rule_id: int,
    version: int,
    definition: Mapping[str, object] | AnyRule,
    default_window: SendWindow | None,
) -> CompiledRule:
    """Compile one stored rule version (its JSON, or an already parsed definition)."""
    parsed = definition if isinstance(definition, AnyRule) else parse_rule(definition)
    condition = parsed.conditions if isinstance(parsed, EventRule | DateRule) else parsed.audience
    if parsed.send_window == "none":
        window, skip_holidays = None, False
    elif parsed.send_window == "default":
        window, skip_holidays = default_window, default_window is not None
    else:
        window, skip_holidays = parsed.send_window.to_window(), parsed.send_window.skip_holidays
    return CompiledRule(
        id=rule_id,
        version=version,
        definition=parsed,
        window=window,
        skip_holidays=skip_holidays,
        predicate=compile_condition(condition) if condition is not None else None,
        needs_people=condition is not None
        and any(not path.startswith("event.") for path in fields_used(condition)),
    )


@dataclass(frozen=True)
class CancelHook:
    """An event name that cancels a rule's pending invitations when ``same`` agree."""

    rule: CompiledRule
    spec: CancelIf


@dataclass(frozen=True)
class RuleSet:
    """The enabled rules, indexed for the engine's lookups."""

    rules: tuple[CompiledRule, ...] = ()
    by_event: Mapping[str, tuple[CompiledRule, ...]] = field(default_factory=dict)
    cancelled_by: Mapping[str, tuple[CancelHook, ...]] = field(default_factory=dict)
    by_id: Mapping[int, CompiledRule] = field(default_factory=dict)

    @classmethod
    def of(cls, rules: Iterable[CompiledRule]) -> RuleSet:
        enabled = tuple(rule for rule in rules if rule.definition.enabled)
        by_event: defaultdict[str, list[CompiledRule]] = defaultdict(list)
        cancelled_by: defaultdict[str, list[CancelHook]] = defaultdict(list)
        for rule in enabled:
            if isinstance(rule.definition, EventRule):
                by_event[rule.definition.event].append(rule)
            for spec in rule.cancel_if:
                cancelled_by[spec.event].append(CancelHook(rule, spec))
        return cls(
            rules=enabled,
            by_event={name: tuple(found) for name, found in by_event.items()},
            cancelled_by={name: tuple(found) for name, found in cancelled_by.items()},
            by_id={rule.id: rule for rule in enabled},
        )

    def listening_to(self, event_name: str) -> tuple[CompiledRule, ...]:
        """The event rules an event of this name may fire (before their conditions)."""
        return self.by_event.get(event_name, ())

    def firing(self, event_name: str, facts: Facts) -> list[CompiledRule]:
        """The event rules this event fires: listening to its name, conditions true."""
        return [rule for rule in self.by_event.get(event_name, ()) if rule.matches(facts)]

    def of_kind(self, kind: RuleKind) -> list[CompiledRule]:
        return [rule for rule in self.rules if rule.kind is kind]

    def priority_of(self, rule_id: int | None) -> int:
        """A pending invitation's priority: its rule's, or above all for an explicit one."""
        if rule_id is None:
            return EXPLICIT_PRIORITY
        rule = self.by_id.get(rule_id)
        # a rule switched off since: its invitation keeps the lowest claim
        return rule.priority if rule is not None else 0


def cancels(hook: CancelHook, *, fired_with: Mapping[str, object], event: Facts) -> bool:
    """Whether an event cancels an invitation made with ``fired_with`` (the firing event's
    properties kept on the invitation): every ``same`` property present and equal."""
    properties = event.event.get("properties", {})
    if not isinstance(properties, Mapping):
        return False
    for name in hook.spec.same:
        if name not in fired_with or properties.get(name) != fired_with[name]:
            return False
    return True
