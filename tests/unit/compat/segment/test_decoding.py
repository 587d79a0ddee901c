"""Reading Segment requests: bounded gzip, JSON, the size limits, one verdict per message."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.compat.segment import decoding
from closeloop.compat.segment.decoding import Envelope, Malformed
from closeloop.compat.segment.schemas import Identify, Track


def test_identity_and_gzip_bodies_read_the_same() -> None:
    body = b'{"batch": []}'
    assert decoding.decompress(body, None, limit=100) == body
    assert decoding.decompress(gzip.compress(body), "gzip", limit=100) == body
    assert decoding.decompress(gzip.compress(body), " GZIP ", limit=100) == body


def test_concatenated_gzip_members_are_one_body() -> None:
    body = gzip.compress(b'{"batch": ') + gzip.compress(b"[]}")
    assert decoding.decompress(body, "gzip", limit=100) == b'{"batch": []}'


@given(st.binary(max_size=2000), st.integers(min_value=0, max_value=2000))
def test_inflating_never_returns_more_than_the_limit(data: bytes, limit: int) -> None:
    try:
        body = decoding.decompress(gzip.compress(data), "gzip", limit=limit)
    except Malformed as error:
        assert error.code == "too_large"
        assert len(data) > limit
    else:
        assert body == data


@pytest.mark.parametrize(
    ("raw", "encoding", "code"),
    [
        (b"x" * 101, None, "too_large"),
        (gzip.compress(b"x" * 101, mtime=0), "gzip", "too_large"),
        (gzip.compress(b"x" * 50, mtime=0)[:-10], "gzip", "invalid_gzip"),
        (gzip.compress(b"{}", mtime=0) + b"trailing", "gzip", "invalid_gzip"),
        (b"{}", "deflate", "unsupported_encoding"),
    ],
)
def test_bodies_that_cannot_be_read(raw: bytes, encoding: str | None, code: str) -> None:
    with pytest.raises(Malformed) as refused:
        decoding.decompress(raw, encoding, limit=100)
    assert refused.value.code == code


def test_a_batch_envelope_carries_its_sent_at_and_write_key() -> None:
    body = b'{"batch": [{"type": "track"}], "sentAt": "2026-03-01T10:00:00Z", "writeKey": "k"}'
    envelope = decoding.read_batch(body)
    assert envelope == Envelope(
        items=[{"type": "track"}], sent_at=datetime(2026, 3, 1, 10, tzinfo=UTC), write_key="k"
    )


def test_a_single_call_takes_its_type_from_the_path() -> None:
    envelope = decoding.read_single(b'{"type": "alias", "userId": "u", "writeKey": "k"}', "track")
    assert envelope.items == [{"type": "track", "userId": "u", "writeKey": "k"}]
    assert envelope.write_key == "k"


def test_each_message_is_judged_alone() -> None:
    sent_at = datetime(2026, 3, 1, 10, tzinfo=UTC)
    items = [
        {"type": "track", "userId": "u", "event": "A", "messageId": "m-1"},
        {"type": "track", "userId": "u", "messageId": "m-2"},
        {"type": "identify", "anonymousId": "a", "sentAt": "2026-03-01T11:00:00", "messageId": 7},
        ["not", "an", "object"],
    ]
    checked = decoding.check(Envelope(items=items, sent_at=sent_at, write_key=None))
    assert [index for index, _ in checked.messages] == [0, 2]
    (_, first), (_, second) = checked.messages
    assert isinstance(first, Track)
    assert isinstance(second, Identify)
    assert second.sent_at == datetime(2026, 3, 1, 11, tzinfo=UTC)
    assert checked.sent_at == sent_at
    assert [(r.index, r.message_id, r.reason) for r in checked.rejections] == [
        (1, "m-2", "event: Field required"),
        (3, None, "a message must be a JSON object"),
    ]


def test_a_message_is_measured_as_compact_json() -> None:
    fits = {"type": "track", "userId": "u", "event": "A", "properties": {"p": ""}}
    room = decoding.MAX_MESSAGE_BYTES - len(json.dumps(fits, separators=(",", ":")))
    fits["properties"] = {"p": "x" * room}
    too_big = {**fits, "properties": {"p": "x" * (room + 1)}}
    checked = decoding.check(Envelope(items=[fits, too_big], sent_at=None, write_key=None))
    assert [index for index, _ in checked.messages] == [0]
    [rejection] = checked.rejections
    assert rejection.index == 1
    assert rejection.reason.endswith("the limit is 32 KB")


def test_a_message_is_measured_in_utf8_bytes() -> None:
    fits = {"type": "track", "userId": "u", "event": "A", "properties": {"p": ""}}
    room = decoding.MAX_MESSAGE_BYTES - len(json.dumps(fits, separators=(",", ":")))
    fits["properties"] = {"p": "é" * (room // 2)}  # two bytes each
    too_big = {**fits, "properties": {"p": "é" * (room // 2 + 1)}}
    checked = decoding.check(Envelope(items=[fits, too_big], sent_at=None, write_key=None))
    assert [index for index, _ in checked.messages] == [0]
    assert [rejection.index for rejection in checked.rejections] == [1]


def test_a_message_holding_a_lone_surrogate_is_rejected_alone() -> None:
    body = (
        b'{"batch": ['
        b'{"type": "track", "userId": "u", "event": "A", "properties": {"p": "\\ud800"}},'
        b' {"type": "track", "userId": "u", "event": "\\ud83d\\ude00"}]}'
    )
    checked = decoding.check(decoding.read_batch(body))
    [(index, paired)] = checked.messages
    assert (index, paired.event) == (1, "\U0001f600")
    [rejection] = checked.rejections
    assert rejection.index == 0
    assert rejection.reason.startswith("a message must be valid Unicode text")


def test_a_message_nested_deeper_than_pydantic_core_serialises_is_still_measured() -> None:
    deep: list[object] = []
    for _ in range(300):
        deep = [deep]
    fits = {"type": "track", "userId": "u", "event": "A", "context": {"deep": deep}}
    too_big = {**fits, "properties": {"p": "x" * decoding.MAX_MESSAGE_BYTES}}
    checked = decoding.check(Envelope(items=[fits, too_big], sent_at=None, write_key=None))
    assert [index for index, _ in checked.messages] == [0]
    [rejection] = checked.rejections
    assert rejection.reason.endswith("the limit is 32 KB")


def test_a_body_nested_too_deeply_to_parse_is_malformed() -> None:
    body = b'{"batch": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(Malformed) as refused:
        decoding.read_batch(body)
    assert refused.value.code == "invalid_json"


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"messageId": "m-1"}, "m-1"),
        ({"messageId": 42}, "42"),
        ({"messageId": True}, None),
        ({"messageId": ["m"]}, None),
        ({}, None),
        ("m-1", None),
    ],
)
def test_the_message_id_of_anything(item: object, expected: str | None) -> None:
    assert decoding.message_id_of(item) == expected
