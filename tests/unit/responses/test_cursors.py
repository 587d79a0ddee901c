"""Keyset cursors survive a round trip; anything else is a clear error about `cursor`."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.errors import InvalidInput
from closeloop.responses.cursors import MAX_ID, Position, decode, encode

positions = st.builds(
    Position,
    responded_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    id=st.integers(min_value=0, max_value=MAX_ID),
)


@given(positions)
def test_a_cursor_decodes_to_its_position(position: Position) -> None:
    cursor = encode(position)
    assert cursor.isascii() and "=" not in cursor
    assert decode(cursor) == position


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not-a-cursor",
        "!!!!",
        "é",
        _b64("{}"),
        _b64("[1, 2]"),
        _b64('["2026-03-03T10:00:00+00:00"]'),
        _b64('["2026-03-03T10:00:00+00:00", "7"]'),
        _b64('["2026-03-03T10:00:00+00:00", true]'),
        _b64('["2026-03-03T10:00:00+00:00", -1]'),
        _b64(f'["2026-03-03T10:00:00+00:00", {MAX_ID + 1}]'),
        _b64('["2026-03-03T10:00:00", 7]'),
        _b64('["yesterday", 7]'),
        _b64('["2026-03-03T10:00:00+00:00", 7, 8]'),
    ],
)
def test_a_bad_cursor_is_an_error_naming_the_cursor(cursor: str) -> None:
    with pytest.raises(InvalidInput) as error:
        decode(cursor)
    assert error.value.field == "cursor"


@given(st.text(max_size=80))
def test_no_input_breaks_the_decoder(cursor: str) -> None:
    try:
        decode(cursor)
    except InvalidInput as error:
        assert error.field == "cursor"
