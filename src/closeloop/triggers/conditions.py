"""The condition language: rules a CX lead writes as data, checked once, evaluated often.

Pure: JSON/YAML-shaped data in, a validated :class:`Condition` out. Conditions are
never code, so nothing is ever ``eval``-ed: :mod:`closeloop.triggers.evaluation` turns a
condition into a predicate over plain facts once per rule version, and the engine calls
it for every event.

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
from dataclasses import dataclass
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
from closeloop.triggers.values import as_number, as_temporal

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

Scalar = str | int | float | bool
Value = Scalar | list[Scalar]


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
        number = as_number(value)
        if (number is None or not math.isfinite(number)) and as_temporal(value) is None:
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
