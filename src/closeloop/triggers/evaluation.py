"""Evaluating the condition language: a validated condition in, a predicate out. Pure.

:func:`compile_condition` builds nested closures once per rule version, and the engine
calls them for every event; nothing is parsed or ``eval``-ed per call. Missing data is
*absent*: ``exists`` and every comparison are false, except ``neq`` and ``not_in``,
which are true (see :mod:`closeloop.triggers.conditions`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import regex

from closeloop.triggers.conditions import (
    ORDERINGS,
    REGEX_TIMEOUT_SECONDS,
    AllOf,
    AnyOf,
    Condition,
    Leaf,
    Node,
    NotOf,
    Value,
)
from closeloop.triggers.values import as_number, as_temporal, comparable

Predicate = Callable[["Facts"], bool]


@dataclass(frozen=True)
class Facts:
    """What a condition may look at, as plain JSON-like dicts.

    ``event`` holds ``name`` and ``properties``; ``contact`` its columns (``role``,
    ``locale`` …) and ``traits``; ``account`` its columns (``name`` …) and ``traits``.
    A missing part (no account) is an empty dict.
    """

    event: Mapping[str, object] = field(default_factory=dict)
    contact: Mapping[str, object] = field(default_factory=dict)
    account: Mapping[str, object] = field(default_factory=dict)


_ABSENT: Final = object()


def compile_condition(
    condition: Condition | Node, *, regex_timeout: float = REGEX_TIMEOUT_SECONDS
) -> Predicate:
    """A predicate over facts, built once: nested closures, no parsing left per call."""
    node = condition.root if isinstance(condition, Condition) else condition
    if isinstance(node, AllOf):
        parts = tuple(compile_condition(part, regex_timeout=regex_timeout) for part in node.all)
        return lambda facts: all(part(facts) for part in parts)
    if isinstance(node, AnyOf):
        parts = tuple(compile_condition(part, regex_timeout=regex_timeout) for part in node.any)
        return lambda facts: any(part(facts) for part in parts)
    if isinstance(node, NotOf):
        inner = compile_condition(node.not_, regex_timeout=regex_timeout)
        return lambda facts: not inner(facts)
    return _compile_leaf(node, regex_timeout)


def fields_used(condition: Condition | Node) -> frozenset[str]:
    """Every field the condition reads, in canonical spelling (to know what to load)."""
    node = condition.root if isinstance(condition, Condition) else condition
    if isinstance(node, AllOf | AnyOf):
        parts = node.all if isinstance(node, AllOf) else node.any
        return frozenset().union(*(fields_used(part) for part in parts))
    if isinstance(node, NotOf):
        return fields_used(node.not_)
    return frozenset({node.field})


def _compile_leaf(leaf: Leaf, regex_timeout: float) -> Predicate:
    root, *keys = leaf.field.split(".")
    read = _reader(root, tuple(keys))
    test = _test(leaf.op, leaf.value, regex_timeout)
    if leaf.op in ("neq", "not_in"):
        return lambda facts: (found := read(facts)) is _ABSENT or test(found)
    return lambda facts: (found := read(facts)) is not _ABSENT and test(found)


def _reader(root: str, keys: tuple[str, ...]) -> Callable[[Facts], object]:
    def read(facts: Facts) -> object:
        found: object = getattr(facts, root)
        for key in keys:
            if not isinstance(found, Mapping):
                return _ABSENT
            found = found.get(key)
        return _ABSENT if found is None else found

    return read


def _test(op: str, value: Value | None, regex_timeout: float) -> Callable[[object], bool]:
    """The test a present fact must pass (absence is handled by the caller)."""
    if op == "exists":
        return lambda found: True
    if op in ("eq", "neq"):
        wanted = _key(value)
        if op == "eq":
            return lambda found: _key(found) == wanted
        return lambda found: _key(found) != wanted
    if op in ("in", "not_in"):
        members = frozenset(_key(item) for item in value) if isinstance(value, list) else None
        assert members is not None
        if op == "in":
            return lambda found: _key(found) in members
        return lambda found: _key(found) not in members
    if op in ORDERINGS:
        return _ordering(ORDERINGS[op], value)
    if op == "contains":
        return _contains(value)
    assert isinstance(value, str)
    pattern = regex.compile(value)

    def matches(found: object) -> bool:
        if not isinstance(found, str):
            return False
        try:
            return pattern.search(found, timeout=regex_timeout) is not None
        except TimeoutError:  # runaway backtracking: treated as no match, never a hang
            return False

    return matches


def _key(value: object) -> tuple[str, object] | None:
    """A value tagged with its kind, so ``1 == 1.0`` but ``True != 1`` and ``"1" != 1``."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    return None


def _ordering(compare: Callable[[Any, Any], bool], value: object) -> Callable[[object], bool]:
    number = as_number(value)
    if number is not None:
        return lambda found: (n := as_number(found)) is not None and compare(n, number)
    temporal = as_temporal(value)
    assert temporal is not None
    pivot = temporal

    def ordered(found: object) -> bool:
        other = as_temporal(found)
        if other is None:
            return False
        left, right = comparable(other, pivot)
        return compare(left, right)

    return ordered


def _contains(value: object) -> Callable[[object], bool]:
    wanted = _key(value)

    def contains(found: object) -> bool:
        if isinstance(found, str):
            return isinstance(value, str) and value in found
        if isinstance(found, list | tuple):
            return any(_key(item) == wanted for item in found)
        return False

    return contains
