"""Delighted's cursor pages: page_info and the Link header."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from closeloop.compat.delighted.paging import decode, encode, next_link
from closeloop.errors import InvalidInput


@pytest.mark.parametrize("last_id", [1, 42, 2**63 - 1])
def test_a_cursor_round_trips(last_id: int) -> None:
    assert decode(encode(last_id)) == last_id


@pytest.mark.parametrize(
    "cursor", ["", "bm9wZQ", "ZDE6", "ZDE6LTE", "ZDE6OTk5OTk5OTk5OTk5OTk5OTk5OTk", "%%"]
)
def test_a_cursor_that_is_not_ours_names_page_info(cursor: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        decode(cursor)
    assert refused.value.field == "page_info"


def test_the_link_repeats_the_filters_and_replaces_the_cursor() -> None:
    link = next_link(
        url="https://feedback.acme.test/compat/delighted/v1/people.json",
        params={"per_page": 3, "email": None, "page_info": "old", "expand": ["person"]},
        last_id=7,
    )
    assert link.startswith("<https://feedback.acme.test/compat/delighted/v1/people.json?")
    assert link.endswith('>; rel="next"')
    query = parse_qsl(urlsplit(link[1 : link.index(">")]).query)
    assert query == [("per_page", "3"), ("expand[]", "person"), ("page_info", encode(7))]
