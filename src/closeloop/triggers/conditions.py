"""The condition language: rules a CX lead writes as data, checked once, evaluated often.

Pure: JSON/YAML-shaped data in, a validated :class:`Condition` out; a condition in, a
predicate over plain :class:`Facts` out. Conditions are never code, so nothing is ever
``eval``-ed: :func:`compile_condition` builds nested closures once per rule version, and
the engine calls them for every event.

A hostile or careless rule must not hurt the engine, hence the limits (nesting depth,
number of leaves, list and string sizes, pattern length) checked before Pydantic walks
the data, and regular expressions run by the ``regex`` package with a time limit.

Missing data is *absent* (a missing key, a ``null``, or a path through something that
is not an object): ``exists`` is false and every comparison is false, except the
negative ``neq`` and ``not_in``, which are true — "role is not admin" holds for someone
with no role, so ``neq`` always equals ``not eq``. Values compare only with values of
their own kind: ``"10" > 9`` is false, ``True`` is not ``1``, never an exception.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any, Final

import regex
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from closeloop.errors import InvalidInput

MAX_DEPTH: Final = 10
MAX_LEAVES: Final = 200
MAX_NODES: Final = 1_000
MAX_LIST_ITEMS: Final = 1_000
MAX_STRING_LENGTH: Final = 1_000
MAX_PATTERN_LENGTH: Final = 200
MAX_FIELD_SEGMENTS: Final = 10
MAX_SEGMENT_LENGTH: Final = 100
# long enough for any sane pattern on a trait or property, short enough that a thousand
# rules with a bad pattern each still cannot stall an event for long
REGEX_TIMEOUT_SECONDS: Final = 0.05

OPERATORS: Final = (
    "eq", "neq", "in", "not_in", "exists", "gt", "gte", "lt", "lte", "contains", "matches",
)  # fmt: skip
# Any: each ordering compares two numbers or two dates, never a mix (checked before)
ORDERINGS: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
# the columns of contacts and accounts; any other name after the root is a trait
CONTACT_ATTRIBUTES: Final = frozenset(
    {"role", "locale", "time_zone", "name", "email", "phone", "external_id"}
)
ACCOUNT_ATTRIBUTES: Final = frozenset({"name", "domain", "time_zone"})
_COMBINATORS: Final = ("all", "any", "not")
_ISO_DATE_PREFIX = regex.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

Scalar = str | int | float | bool
Value = Scalar | list[Scalar]
Predicate = Callable[["Facts"], bool]


# ---------------------------------------------------------------------------- models


class Leaf(BaseModel):
    """One test of one field, e.g. ``{"field": "contact.role", "op": "eq", "value": "cto"}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    op: str
    value: Value | None = Field(default=None, validate_default=True)

    @field_validator("field")
    @classmethod
    def _known_field(cls, path: str) -> str:
        return canonical_field(path)

    @field_validator("op")
    @classmethod
    def _known_operator(cls, op: str) -> str:
        if op not in OPERATORS:
            raise ValueError(f"unknown operator {op!r} (expected one of {', '.join(OPERATORS)})")
        return op

    @field_validator("value", mode="before")
    @classmethod
    def _value_fits_operator(cls, value: object, info: ValidationInfo) -> object:
        op = info.data.get("op")
        if op is None:  # the operator is already reported; a second error would be noise
            return None
        _check_value(str(op), value)
        return value


class AllOf(BaseModel):
    """True when every part is; the parts are tried in order and stop at the first false."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    all: list[Node] = Field(min_length=1)


class AnyOf(BaseModel):
    """True when some part is; the parts are tried in order and stop at the first true."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    any: list[Node] = Field(min_length=1)


class NotOf(BaseModel):
    """The opposite of its part (``{"not": …}``; the attribute is ``not_``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    not_: Node = Field(alias="not")


def _kind(data: object) -> str | None:
    """Which shape a node has: the combinator key it carries, else a leaf."""
    if isinstance(data, Mapping):
        return next((key for key in _COMBINATORS if key in data), "leaf")
    for model, tag in ((AllOf, "all"), (AnyOf, "any"), (NotOf, "not"), (Leaf, "leaf")):
        if isinstance(data, model):
            return tag
    return None


Node = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")]
    | Annotated[Leaf, Tag("leaf")],
    Discriminator(
        _kind,
        custom_error_type="not_a_condition",
        custom_error_message='expected {"all": [...]}, {"any": [...]}, {"not": ...} '
        'or {"field": ..., "op": ..., "value": ...}',
    ),
]


class Condition(RootModel[Node]):
    """A whole condition, within the size limits; embed it in rule schemas as is.

    Serialise with ``model_dump(by_alias=True)`` so that ``not`` keeps its name.
    """

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _within_limits(cls, data: object) -> object:
        _check_limits(data)
        return data


# ------------------------------------------------------------------------ validation


@dataclass(frozen=True)
class ConditionProblem:
    """What is wrong, and where: ``path`` is dotted from the top of the condition."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(condition)'}: {self.message}"


class InvalidCondition(InvalidInput):
    """The condition is not valid."""

    def __init__(self, problems: tuple[ConditionProblem, ...]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


def parse_condition(data: object) -> Condition:
    """A validated condition, or :class:`InvalidCondition` listing every problem found."""
    try:
        return Condition.model_validate(data)
    except ValidationError as error:
        raise InvalidCondition(condition_problems(error)) from None


def condition_problems(
    error: ValidationError, *, prefix: tuple[int | str, ...] = ()
) -> tuple[ConditionProblem, ...]:
    """Pydantic's errors, for the condition found at ``prefix``, told in the language's terms.

    Pydantic puts each union tag into the error location (``all.all.0.leaf.op``); the
    author never wrote those, so they are dropped (``all.0.op``). Errors outside
    ``prefix`` (other parts of an enclosing rule) are left out.
    """
    problems = []
    for detail in error.errors():
        loc = detail["loc"]
        if loc[: len(prefix)] != prefix:
            continue
        ctx = detail.get("ctx", {})
        if detail["type"] == "condition_limit":
            path, message = str(ctx["path"]), str(ctx["message"])
        else:
            path, message = condition_path(loc[len(prefix) :]), _message(detail["type"], detail)
        problems.append(ConditionProblem(path=path, message=message))
    return tuple(problems)


def condition_path(loc: tuple[int | str, ...]) -> str:
    """The dotted path of a Pydantic location inside a condition, union tags removed."""
    parts: list[str] = []
    expect_tag = True
    for item in loc:
        if expect_tag and item in ("all", "any", "not", "leaf"):
            expect_tag = False
            continue
        parts.append(str(item))
        expect_tag = isinstance(item, int) or item == "not"
    return ".".join(parts)


def _message(kind: str, detail: Mapping[str, object]) -> str:
    ctx = detail.get("ctx")
    if kind == "value_error" and isinstance(ctx, Mapping):
        return str(ctx["error"])
    return {
        "missing": "required",
        "extra_forbidden": "unexpected key",
        "too_short": "must not be empty",
        "string_type": "expected a string",
        "list_type": "expected a list",
    }.get(kind, str(detail["msg"]))


def canonical_field(path: str) -> str:
    """The one spelling of a field: ``contact.plan`` is short for ``contact.traits.plan``."""
    segments = path.split(".")
    if len(segments) > MAX_FIELD_SEGMENTS + 1:
        raise ValueError(f"a field has at most {MAX_FIELD_SEGMENTS} parts after its root")
    for segment in segments:
        if not segment or segment != segment.strip() or len(segment) > MAX_SEGMENT_LENGTH:
            raise ValueError(f"{path!r} is not a dotted path such as contact.traits.plan")
    root, rest = segments[0], segments[1:]
    if root == "event":
        if rest == ["name"] or (len(rest) > 1 and rest[0] == "properties"):
            return path
        raise ValueError(f"{path!r}: an event has event.name and event.properties.<key>")
    if root in ("contact", "account"):
        attributes = CONTACT_ATTRIBUTES if root == "contact" else ACCOUNT_ATTRIBUTES
        if rest and rest[0] in attributes:
            if len(rest) > 1:
                raise ValueError(f"{path!r}: {root}.{rest[0]} has no parts")
            return path
        traits = rest[1:] if rest and rest[0] == "traits" else rest
        if not traits:
            raise ValueError(f"{path!r}: name a trait, as in {root}.traits.<key>")
        return ".".join([root, "traits", *traits])
    raise ValueError(f"{path!r}: a field starts with event, contact or account")


def _check_value(op: str, value: object) -> None:
    """Raise ValueError unless ``value`` is what ``op`` compares with."""
    if op == "exists":
        if value is not None:
            raise ValueError("exists takes no value")
    elif value is None:
        raise ValueError(f"{op} needs a value (use exists to test for a missing field)")
    elif op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise ValueError(f"{op} needs a non-empty list of values")
        if len(value) > MAX_LIST_ITEMS:
            raise ValueError(f"{op} takes at most {MAX_LIST_ITEMS} values")
        for item in value:
            _check_scalar(op, item)
    elif op in ORDERINGS:
        number = _as_number(value)
        if (number is None or not math.isfinite(number)) and _as_temporal(value) is None:
            raise ValueError(
                f"{op} needs a number or an ISO date or date-time "
                f"(2026-01-31, 2026-01-31T09:00:00Z), not {value!r}"
            )
    elif op == "matches":
        if not isinstance(value, str) or len(value) > MAX_PATTERN_LENGTH:
            raise ValueError(f"matches needs a pattern of at most {MAX_PATTERN_LENGTH} characters")
        try:
            regex.compile(value)
        except regex.error as error:
            raise ValueError(f"not a valid pattern: {error}") from None
    else:
        _check_scalar(op, value)


def _check_scalar(op: str, value: object) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{op} needs a finite number, not {value!r}")
    if isinstance(value, str) and len(value) > MAX_STRING_LENGTH:
        raise ValueError(f"{op} takes strings of at most {MAX_STRING_LENGTH} characters")
    if not isinstance(value, str | int | float):  # bool is an int
        raise ValueError(f"{op} needs a string, a number or true/false, not {value!r}")


def _check_limits(data: object) -> None:
    """Refuse deep or large conditions before anything recurses into them.

    An explicit stack instead of recursion, and an early stop: the cost is bounded by the
    limits, not by the size of what was sent.
    """
    stack: list[tuple[object, str, int]] = [(data, "", 1)]
    nodes = leaves = 0
    while stack:
        node, path, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            _limit(path, f"nested deeper than {MAX_DEPTH} levels")
        if nodes > MAX_NODES:
            _limit(path, f"more than {MAX_NODES} parts")
        kind = _kind(node) if isinstance(node, Mapping) else None
        if kind == "leaf":
            leaves += 1
            if leaves > MAX_LEAVES:
                _limit(path, f"more than {MAX_LEAVES} tests (field, op, value)")
        elif isinstance(node, Mapping) and kind is not None:
            child = node[kind]
            prefix = f"{path}.{kind}" if path else kind
            if kind == "not":
                stack.append((child, prefix, depth + 1))
            elif isinstance(child, list):
                # reversed, so that the first offending part is the one reported
                stack.extend(
                    (item, f"{prefix}.{index}", depth + 1)
                    for index, item in reversed(list(enumerate(child[: MAX_NODES + 1])))
                )


def _limit(path: str, message: str) -> None:
    raise PydanticCustomError(
        "condition_limit", "{path}: {message}", {"path": path, "message": message}
    )


# ------------------------------------------------------------------------ evaluation


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
    number = _as_number(value)
    if number is not None:
        return lambda found: (n := _as_number(found)) is not None and compare(n, number)
    temporal = _as_temporal(value)
    assert temporal is not None
    pivot = temporal

    def ordered(found: object) -> bool:
        other = _as_temporal(found)
        if other is None:
            return False
        left, right = _comparable(other, pivot)
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


def _as_number(value: object) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _as_temporal(value: object) -> date | None:
    """A date or an aware UTC date-time from an ISO string (or a date object), else None.

    Only the extended form (``2026-01-31``) counts, so that ``"20260131"`` or a plain
    number in a string is never taken for a date. A date-time without an offset is read
    as UTC, the zone the project stores times in.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) > 64 or not _ISO_DATE_PREFIX.match(value):
        return None
    try:
        return (
            date.fromisoformat(value)
            if len(value) == 10
            else _as_temporal(datetime.fromisoformat(value))
        )
    except ValueError:
        return None


def _comparable(left: date, right: date) -> tuple[date, date]:
    """Both as date-times, or both as dates when either side is only a date."""
    if isinstance(left, datetime) and isinstance(right, datetime):
        return left, right
    return _day(left), _day(right)


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value
