"""What the rules read of events and people, so a replay reads and keeps no more. Pure.

The live engine reads one event and one person at a time and can afford whole records;
a replay of millions of events keeps thousands of people in memory and decodes every
event it reads, so it asks the rules first which parts they look at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from closeloop.triggers.definitions import EventRule
from closeloop.triggers.engine import RuleSet
from closeloop.triggers.evaluation import fields_used


@dataclass(frozen=True)
class FactsRead:
    """The fields of people that the rules' conditions read: attributes (``role``) and
    first-level trait keys, per root (``contact``, ``account``).

    A replay keeps many people in memory; keeping only what a condition can look at (a
    role, a trait or two) instead of whole records keeps that small. A condition reads the
    same value either way: what is left out is what no condition asks for, and a missing
    field reads as absent, like an empty one.
    """

    attributes: Mapping[str, frozenset[str]]
    traits: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, ruleset: RuleSet) -> FactsRead:
        attributes: dict[str, set[str]] = {"contact": set(), "account": set()}
        traits: dict[str, set[str]] = {"contact": set(), "account": set()}
        for rule in ruleset.rules:
            definition = rule.definition
            if not isinstance(definition, EventRule) or definition.conditions is None:
                continue
            for path in fields_used(definition.conditions):
                root, first, *rest = path.split(".")
                if root not in attributes:
                    continue
                if first == "traits":
                    traits[root].add(rest[0])
                else:
                    attributes[root].add(first)
        return cls(
            attributes={root: frozenset(keys) for root, keys in attributes.items()},
            traits={root: frozenset(keys) for root, keys in traits.items()},
        )

    def slim(self, root: str, facts: Mapping[str, object]) -> dict[str, object]:
        """``facts`` (as :mod:`closeloop.triggers.facts` builds them) cut to what is read."""
        kept: dict[str, object] = {
            key: facts[key] for key in self.attributes[root] if facts.get(key) is not None
        }
        traits = facts.get("traits")
        if self.traits[root] and isinstance(traits, Mapping):
            read = {key: traits[key] for key in self.traits[root] if key in traits}
            if read:
                kept["traits"] = read
        return kept


def names_needing_properties(ruleset: RuleSet) -> frozenset[str]:
    """Event names whose properties the replay reads: a condition on them, or cancel-if.

    Decoding the properties of every other event would be wasted work.
    """
    needed: set[str] = set()
    for name, listening in ruleset.by_event.items():
        for rule in listening:
            definition = rule.definition
            reads = isinstance(definition, EventRule) and (
                any(spec.same for spec in definition.cancel_if)
                or (
                    definition.conditions is not None
                    and any(
                        path.startswith("event.properties")
                        for path in fields_used(definition.conditions)
                    )
                )
            )
            if reads:
                needed.add(name)
    needed.update(
        name for name, hooks in ruleset.cancelled_by.items() if any(h.spec.same for h in hooks)
    )
    return frozenset(needed)
