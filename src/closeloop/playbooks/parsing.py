"""Reading a playbook: YAML text in, a checked :class:`Playbook` out, or every problem found,
each with its line. Pure: no files, no database.

A playbook is edited by hand, and "rules.3.conditions.all.0.op: unknown operator" helps
only with the line to go to. So the text is composed once into PyYAML's node tree, which
keeps each node's position: the tree gives a line for every dotted path, and the same
tree is constructed into the data Pydantic validates. Problems from Pydantic, from
:func:`~closeloop.triggers.definitions.parse_rule` and from the cross-checks (a rule's
survey or touchpoint, a touchpoint's stage, keys written twice) are all dotted paths, so
they all find their line the same way; the playbook is refused whole if there is any.

Scalars are read as YAML 1.2 reads them, not as PyYAML's YAML 1.1 default: ``10:00``
stays the text of a time (YAML 1.1 makes it the sexagesimal number 600, which would put a
send window at ten past midnight), ``on``/``no`` stay words and dates stay text that
Pydantic parses. Only the safe constructors exist: a tag like ``!!python/object`` is an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from closeloop.errors import InvalidInput
from closeloop.journeys.schemas import StageIn, TouchpointCreate
from closeloop.playbooks.schemas import PlaybookDocument
from closeloop.surveys.schemas import SurveyCreate
from closeloop.triggers.definitions import AnyRule, RuleProblem, parse_rule

# YAML 1.2 core-schema scalars: (tag, pattern, the first characters it can start with)
_YAML12_SCALARS = (
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("bool", r"true|True|TRUE|false|False|FALSE", list("tTfF")),
    ("int", r"[-+]?(?:0|[1-9][0-9]*)", list("-+0123456789")),
    (
        "float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
        r"|\.(?:nan|NaN|NAN)",
        list("-+.0123456789"),
    ),
)


def _yaml12_resolvers() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """PyYAML's resolver table (first character → [(tag, pattern)]) for those scalars."""
    table: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for tag, pattern, first in _YAML12_SCALARS:
        for character in first:
            table.setdefault(character, []).append(
                (f"tag:yaml.org,2002:{tag}", re.compile(f"^(?:{pattern})$"))
            )
    return table


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 scalars (see the module docstring)."""

    yaml_implicit_resolvers = _yaml12_resolvers()


@dataclass(frozen=True)
class PlaybookProblem:
    source: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.path or '(playbook)'}: {self.message}"


class InvalidPlaybook(InvalidInput):
    """The playbook is not valid; nothing of it was applied."""

    def __init__(self, problems: list[PlaybookProblem]) -> None:
        self.problems = sorted(problems, key=lambda problem: (problem.line, problem.path))
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class Locator:
    """Where each dotted path of a playbook was written."""

    source: str
    lines: Mapping[str, int] = field(default_factory=dict)

    def line_of(self, path: str) -> int:
        """The line of ``path``, else of its nearest written parent (a missing field's)."""
        parts = path.split(".") if path else []
        while parts:
            line = self.lines.get(".".join(parts))
            if line is not None:
                return line
            parts.pop()
        return self.lines.get("", 1)

    def problem(self, path: str, message: str) -> PlaybookProblem:
        return PlaybookProblem(self.source, self.line_of(path), path, message)


@dataclass(frozen=True)
class Playbook:
    name: str
    description: str
    stages: tuple[StageIn, ...]
    touchpoints: tuple[TouchpointCreate, ...]
    surveys: tuple[SurveyCreate, ...]
    rules: tuple[AnyRule, ...]
    where: Locator = field(repr=False, compare=False)


def parse(text: str, *, source: str) -> Playbook:
    """The playbook in ``text`` (``source`` names it in messages), or :class:`InvalidPlaybook`."""
    try:
        root, data = _compose(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = error.problem or error.context or "not valid YAML"
        raise InvalidPlaybook([PlaybookProblem(source, line, "(yaml)", reason)]) from None
    except yaml.YAMLError as error:
        raise InvalidPlaybook([PlaybookProblem(source, 1, "(yaml)", str(error))]) from None
    lines, problems = _lines(root, source)
    where = Locator(source, lines)
    if not isinstance(data, dict):
        message = "expected a mapping with name, description, stages, touchpoints, surveys, rules"
        raise InvalidPlaybook([*problems, where.problem("", message)])
    document: PlaybookDocument | None = None
    try:
        document = PlaybookDocument.model_validate(data)
    except ValidationError as error:
        problems += [
            where.problem(
                ".".join(str(part) for part in detail["loc"]),
                detail["msg"].removeprefix("Value error, "),
            )
            for detail in error.errors()
        ]
    raw_rules = document.rules if document is not None else data.get("rules")
    rules: list[tuple[int, AnyRule]] = []
    for index, raw in enumerate(raw_rules if isinstance(raw_rules, list) else []):
        if not isinstance(raw, dict):
            continue  # the document's validation has said so
        try:
            rules.append((index, parse_rule(raw)))
        except RuleProblem as error:
            problems += [
                where.problem(f"rules.{index}.{path}" if path else f"rules.{index}", message)
                for path, message in error.problems
            ]
    problems += _cross_check(data, where)
    if document is None or problems:
        raise InvalidPlaybook(problems)
    return Playbook(
        name=document.name,
        description=document.description,
        stages=tuple(document.stages),
        touchpoints=tuple(document.touchpoints),
        surveys=tuple(document.surveys),
        rules=tuple(rule for _, rule in rules),
        where=where,
    )


def _compose(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree and the data built from it (what ``yaml.safe_load`` does, keeping the tree)."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        return root, loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()


def _lines(root: yaml.Node | None, source: str) -> tuple[dict[str, int], list[PlaybookProblem]]:
    """The line of every path, and the keys written twice in one mapping.

    A node reached twice through YAML aliases is walked once, so a recursive alias or a
    "billion laughs" document costs no more than its text.
    """
    if root is None:
        return {}, []
    lines = {"": root.start_mark.line + 1}
    duplicates: list[PlaybookProblem] = []
    walked: set[int] = set()
    stack: list[tuple[str, yaml.Node]] = [("", root)]
    while stack:
        path, node = stack.pop()
        if id(node) in walked:
            continue
        walked.add(id(node))
        children: list[tuple[str, yaml.Node, yaml.Node]] = []
        if isinstance(node, yaml.MappingNode):
            children = [(str(key.value), key, value) for key, value in node.value]
        elif isinstance(node, yaml.SequenceNode):
            children = [(str(index), item, item) for index, item in enumerate(node.value)]
        first_seen: dict[str, int] = {}
        for name, marker, child in children:
            child_path = f"{path}.{name}" if path else name
            line = marker.start_mark.line + 1
            if name in first_seen and isinstance(node, yaml.MappingNode):
                message = f"the key {name!r} is written twice (first on line {first_seen[name]})"
                duplicates.append(PlaybookProblem(source, line, child_path, message))
                continue
            first_seen[name] = line
            lines[child_path] = line
            stack.append((child_path, child))
    return lines, duplicates


def _cross_check(data: Mapping[str, Any], where: Locator) -> list[PlaybookProblem]:
    """What Pydantic cannot see alone: keys unique per part, and every reference resolving
    inside the playbook (a playbook brings everything its rules need).

    It reads the raw data, so it runs even when some parts failed validation and the
    author sees every problem at once; values of the wrong type are skipped here (their
    validation has reported them).
    """
    parts = {part: _items(data, part) for part in ("stages", "touchpoints", "surveys", "rules")}
    problems: list[PlaybookProblem] = []
    for part, items in parts.items():
        first: dict[str, int] = {}
        for index, item in items:
            key = _text(item, "key")
            if key is None:
                continue
            if key in first:
                line = where.line_of(f"{part}.{first[key]}.key")
                message = f"{key!r} is used twice (first on line {line})"
                problems.append(where.problem(f"{part}.{index}.key", message))
            first.setdefault(key, index)
    known = {part: {_text(item, "key") for _, item in items} for part, items in parts.items()}
    marked_by: dict[str, str | None] = {}
    for index, touchpoint in parts["touchpoints"]:
        problems += _reference(where, f"touchpoints.{index}", touchpoint, "stage", known["stages"])
        events = touchpoint.get("events")
        for position, event in enumerate(events if isinstance(events, list) else []):
            if not isinstance(event, str):
                continue
            other = marked_by.setdefault(event, _text(touchpoint, "key"))
            if other != _text(touchpoint, "key"):
                message = f"event {event!r} already marks touchpoint {other!r}"
                problems.append(where.problem(f"touchpoints.{index}.events.{position}", message))
    for index, rule in parts["rules"]:
        problems += _reference(where, f"rules.{index}", rule, "survey", known["surveys"])
        problems += _reference(where, f"rules.{index}", rule, "touchpoint", known["touchpoints"])
    return problems


def _items(data: Mapping[str, Any], part: str) -> list[tuple[int, Mapping[str, Any]]]:
    items = data.get(part)
    if not isinstance(items, list):
        return []
    return [(index, item) for index, item in enumerate(items) if isinstance(item, dict)]


def _text(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    return value if isinstance(value, str) else None


def _reference(
    where: Locator, path: str, item: Mapping[str, Any], name: str, known: set[str | None]
) -> list[PlaybookProblem]:
    """A problem if ``item[name]`` names a stage, survey or touchpoint the playbook lacks."""
    key = _text(item, name)
    if key is None or key in known:
        return []
    listed = ", ".join(sorted(k for k in known if k is not None)) or "none"
    message = f"no {name} {key!r} in this playbook ({name}s: {listed})"
    return [where.problem(f"{path}.{name}", message)]
