"""Rails-style parameter names and bodies, as Delighted's back end read them."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.compat.delighted.params import from_body, nest
from closeloop.errors import InvalidInput


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("email", "a@b.test")], {"email": "a@b.test"}),
        ([("properties[plan]", "pro")], {"properties": {"plan": "pro"}}),
        (
            [("properties[Purchase Experience]", "App"), ("properties[plan]", "pro")],
            {"properties": {"Purchase Experience": "App", "plan": "pro"}},
        ),
        ([("expand[]", "person"), ("expand[]", "notes")], {"expand": ["person", "notes"]}),
        ([("a[b][c]", "1")], {"a": {"b": {"c": "1"}}}),
        ([("a[b][]", "1"), ("a[b][]", "2")], {"a": {"b": ["1", "2"]}}),
        ([("per_page", "5"), ("per_page", "7")], {"per_page": "7"}),
        ([("name", "")], {"name": ""}),
    ],
)
def test_names_nest_as_in_rails(pairs: list[tuple[str, str]], expected: dict[str, Any]) -> None:
    assert nest(pairs) == expected


@pytest.mark.parametrize(
    "pairs",
    [
        [("properties", "x"), ("properties[plan]", "pro")],
        [("properties[plan]", "pro"), ("properties", "x")],
        [("expand[]", "person"), ("expand", "x")],
        [("items[][name]", "x")],
        [("[plan]", "x")],
        [("a]b", "x")],
        [("a[b][c][d][e][f]", "x")],
    ],
)
def test_ambiguous_or_unsupported_names_are_refused(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidInput):
        nest(pairs)


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'{"email": "a@b.test"}', "application/json", {"email": "a@b.test"}),
        (b'{"email": "a@b.test"}', "application/json; charset=utf-8", {"email": "a@b.test"}),
        (b'{"email": "a@b.test"}', "", {"email": "a@b.test"}),
        (b"email=a%40b.test&properties[plan]=pro", "application/x-www-form-urlencoded",
         {"email": "a@b.test", "properties": {"plan": "pro"}}),
        (b"send=false", "", {"send": "false"}),
        (b"", "application/json", {}),
        (b"  ", "", {}),
    ],
)  # fmt: skip
def test_bodies(body: bytes, content_type: str, expected: dict[str, Any]) -> None:
    assert from_body(body, content_type) == expected


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{oops", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"--boundary", "multipart/form-data; boundary=boundary"),
    ],
)
def test_unreadable_bodies_are_refused(body: bytes, content_type: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        from_body(body, content_type)
    assert refused.value.field == "base"
