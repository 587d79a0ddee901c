"""Request parameters as Delighted's Rails back end read them. Pure: bytes and pairs in, a
dict out.

Delighted's clients send JSON, but its documentation, curl examples and many integrations
send form bodies and query strings with Rails-style nested names: ``properties[plan]=pro``
is ``{"properties": {"plan": "pro"}}`` and ``expand[]=person&expand[]=notes`` is a list.
Every spelling leaves here as the same nested dict, so the endpoints validate one shape
whatever the client sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import parse_qsl

from closeloop.errors import InvalidInput

MAX_NESTING: Final = 4
_NAME: Final = re.compile(r"(?P<root>[^\[\]]+)(?P<rest>(?:\[[^\[\]]*\])*)")
_SEGMENT: Final = re.compile(r"\[([^\[\]]*)\]")
_FORM: Final = "application/x-www-form-urlencoded"


def nest(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Rails-style names to nested values.

    ``a[b][c]=1`` nests objects, ``a[]=1&a[]=2`` collects a list, and a plain name given
    twice keeps its last value, as Rails does. A name that makes one parameter both a
    value and an object is refused rather than resolved by order.
    """
    nested: dict[str, Any] = {}
    for name, value in pairs:
        path, is_list = _path(name)
        target = nested
        for segment in path[:-1]:
            child = target.setdefault(segment, {})
            if not isinstance(child, dict):
                raise InvalidInput(
                    f"{name!r} uses {segment!r} as a value and an object", field=name
                )
            target = child
        last = path[-1]
        current = target.get(last)
        if is_list:
            if current is None:
                current = target[last] = []
            if not isinstance(current, list):
                raise InvalidInput(f"{name!r} uses {last!r} as a list and a value", field=name)
            current.append(value)
        elif isinstance(current, dict | list):
            raise InvalidInput(f"{name!r} uses {last!r} as a value and a collection", field=name)
        else:
            target[last] = value
    return nested


def _path(name: str) -> tuple[list[str], bool]:
    """The segments of a name, and whether it ends in ``[]`` (a list)."""
    match = _NAME.fullmatch(name)
    if match is None:
        raise InvalidInput(f"{name!r} is not a parameter name", field=name or "base")
    segments = [match["root"], *_SEGMENT.findall(match["rest"])]
    is_list = len(segments) > 1 and segments[-1] == ""
    if is_list:
        segments.pop()
    if "" in segments:
        raise InvalidInput(f"{name!r}: lists of objects are not supported", field=name)
    if len(segments) > MAX_NESTING + 1:
        raise InvalidInput(f"{name!r} nests deeper than {MAX_NESTING} levels", field=name)
    return segments, is_list


def from_body(body: bytes, content_type: str) -> dict[str, Any]:
    """A request body's parameters: a JSON object or a form; an empty body has none.

    A body without a form content type whose text starts with ``{`` is read as JSON, as
    curl ``-d '{…}'`` without a header is common in hand-written scripts.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the body is not UTF-8 text", field="base") from None
    if not text.strip():
        return {}
    kind = content_type.split(";", maxsplit=1)[0].strip().lower()
    if kind.endswith("json") or (kind != _FORM and text.lstrip().startswith("{")):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise InvalidInput("the body is not valid JSON", field="base") from None
        if not isinstance(parsed, dict):
            raise InvalidInput("the body must be a JSON object", field="base")
        return parsed
    if kind not in ("", _FORM):
        raise InvalidInput(f"send JSON or a URL-encoded form, not {kind}", field="base")
    return nest(parse_qsl(text, keep_blank_values=True))
