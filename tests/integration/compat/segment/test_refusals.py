"""What is refused, and how: a bad request whole (400/401), a bad message alone (200)."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from closeloop.auth import service as auth
from closeloop.runtime import Runtime
from tests.integration.compat.segment.wire import (
    BATCH,
    basic,
    contacts,
    events,
    message,
    post,
    send,
)


def refused(response: httpx.Response, status: int, code: str) -> str:
    """The refusal's message, after checking it has the shape Segment's libraries read."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert (body["success"], body["code"]) == (False, code)
    message_text: str = body["message"]
    return message_text


@pytest.mark.parametrize(
    "headers",
    [
        basic("cl_not-a-key"),
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Digest abc"},
        {},
    ],
)
def test_a_request_without_a_valid_key_is_a_401_and_stores_nothing(
    client: TestClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    response = client.post(BATCH, json={"batch": [message("track", event="A")]}, headers=headers)
    refused(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert events(runtime) == []


def test_a_revoked_key_is_refused(client: TestClient, write_key: str, runtime: Runtime) -> None:
    with runtime.transaction() as session:
        key = auth.authenticate_key(session=session, key=write_key)
        auth.revoke_api_key(session=session, key_id=key.id, now=runtime.clock.now())
    response = post(client, write_key, {"batch": [message("track", event="A")]})
    assert "not valid" in refused(response, 401, "unauthorized")


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        (b'{"batch": [', "invalid_json", "not valid JSON"),
        (b"\xff\xfe", "invalid_json", "not valid JSON"),
        (b"[]", "invalid_request", "JSON object"),
        (b'{"batch": {"type": "track"}}', "invalid_request", "'batch' must be a list"),
        (b'{"messages": []}', "invalid_request", "'batch' must be a list"),
        (b'{"batch": [], "sentAt": "yesterday"}', "invalid_request", "sentAt"),
        (b'{"batch": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "invalid_json", "nested"),
    ],
)
def test_an_unreadable_batch_is_a_400(
    client: TestClient, write_key: str, body: bytes, code: str, says: str
) -> None:
    response = client.post(BATCH, content=body, headers=basic(write_key))
    assert says in refused(response, 400, code)


@pytest.mark.parametrize(
    ("body", "encoding", "code"),
    [
        (b"not gzip at all", "gzip", "invalid_gzip"),
        (gzip.compress(b'{"batch": []}', mtime=0)[:-12], "gzip", "invalid_gzip"),
        (b'{"batch": []}', "br", "unsupported_encoding"),
    ],
)
def test_a_body_that_cannot_be_decoded_is_a_400(
    client: TestClient, write_key: str, body: bytes, encoding: str, code: str
) -> None:
    headers = {**basic(write_key), "Content-Encoding": encoding}
    refused(client.post(BATCH, content=body, headers=headers), 400, code)


def test_a_batch_over_500_kb_is_refused_whole(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    padding = "x" * (20 * 1024)
    batch = [message("track", event="A", properties={"padding": padding}) for _ in range(30)]
    for compress in (False, True):
        response = post(client, write_key, {"batch": batch}, compress=compress)
        assert "500 KB" in refused(response, 400, "too_large")
    assert events(runtime) == []


def test_a_gzip_bomb_is_refused_without_inflating_it(client: TestClient, write_key: str) -> None:
    # 64 MB of one repeated byte compresses to about 64 KB
    bomb = gzip.compress(b'{"batch": [' + b" " * (64 * 1024 * 1024) + b"]}", compresslevel=9)
    assert len(bomb) < 100 * 1024
    headers = {**basic(write_key), "Content-Encoding": "gzip"}
    refused(client.post(BATCH, content=bomb, headers=headers), 400, "too_large")


def test_a_single_call_over_32_kb_is_refused(client: TestClient, write_key: str) -> None:
    big = message("track", event="A", properties={"padding": "x" * (33 * 1024)})
    response = post(client, write_key, big, path="/compat/segment/v1/track")
    assert "32 KB" in refused(response, 400, "too_large")


def test_a_batch_with_bad_messages_stores_the_good_ones_and_names_the_bad(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    oversize = message("track", event="Big", properties={"padding": "x" * (33 * 1024)})
    batch = [
        message("track", messageId="ok-1", event="Signed Up"),
        message("track", messageId="no-event"),
        oversize,
        message("track", messageId="nobody", userId=None, event="Orphan"),
        message("identify", messageId="bad-email", traits={"email": "not-an-address"}),
        message("login", messageId="unknown-type"),
        "not an object",
        message("track", messageId="future", event="Later", timestamp="2026-03-09T10:00:00Z"),
        message("track", messageId="ok-2", event="Activated"),
    ]
    receipt = send(client, write_key, *batch)
    assert receipt["accepted"] == 2
    rejected = {(r["index"], r["messageId"]): r["reason"] for r in receipt["rejected"]}
    assert list(rejected) == [
        (1, "no-event"),
        (2, oversize["messageId"]),
        (3, "nobody"),
        (4, "bad-email"),
        (5, "unknown-type"),
        (6, None),
        (7, "future"),
    ]
    assert rejected[(1, "no-event")] == "event: Field required"
    assert "the limit is 32 KB" in rejected[(2, oversize["messageId"])]
    assert rejected[(3, "nobody")] == "give a userId or an anonymousId"
    assert rejected[(4, "bad-email")].startswith("traits.email: not a valid email address")
    assert "'login'" in rejected[(5, "unknown-type")]
    assert rejected[(6, None)] == "a message must be a JSON object"
    assert rejected[(7, "future")] == "timestamp: is more than 1 day in the future"
    assert [(e.message_id, e.name) for e in events(runtime)] == [
        ("ok-1", "Signed Up"),
        ("ok-2", "Activated"),
    ]


def test_a_message_that_is_not_unicode_text_does_not_poison_its_batch(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    body = (
        b'{"batch": [{"type": "track", "userId": "u", "event": "A", "messageId": "lone",'
        b' "properties": {"p": "\\udc00"}},'
        b' {"type": "track", "userId": "u", "event": "B", "messageId": "fine"}]}'
    )
    response = client.post(BATCH, content=body, headers=basic(write_key))
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert receipt["accepted"] == 1
    assert [(r["index"], r["messageId"]) for r in receipt["rejected"]] == [(0, "lone")]
    assert [e.message_id for e in events(runtime)] == ["fine"]


def test_an_identify_that_contradicts_another_person_is_rejected_alone(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    receipt = send(
        client,
        write_key,
        message("identify", userId="user-1", traits={"email": "ana@acme.example", "plan": "pro"}),
        message("identify", userId="user-2", traits={"email": "ana@acme.example", "plan": "x"}),
        message("identify", userId="user-2", traits={"plan": "basic"}),
    )
    [rejection] = receipt["rejected"]
    assert rejection["index"] == 1
    assert "already has external_id 'user-1', not 'user-2'" in rejection["reason"]
    assert [(c.external_id, c.email, c.traits) for c in contacts(runtime)] == [
        ("user-1", "ana@acme.example", {"plan": "pro"}),
        ("user-2", None, {"plan": "basic"}),
    ]


def test_a_rejected_single_call_is_a_400_naming_the_reason(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    response = post(client, write_key, {"userId": "user-1"}, path="/compat/segment/v1/track")
    assert refused(response, 400, "invalid_message") == "event: Field required"
    [rejection] = response.json()["rejected"]
    assert rejection == {"index": 0, "messageId": None, "reason": "event: Field required"}
    assert events(runtime) == []


def test_messages_past_segments_count_limit_are_rejected(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    batch = [{"type": "track", "userId": "u", "event": "E"} for _ in range(2501)]
    body = json.dumps({"batch": batch}).encode()
    response = client.post(BATCH, content=body, headers=basic(write_key))
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert receipt["accepted"] == 2500
    assert [(r["index"], r["reason"]) for r in receipt["rejected"]] == [
        (2500, "a batch holds at most 2500 messages")
    ]


def test_the_key_goes_in_the_basic_user_with_or_without_a_password(
    client: TestClient, write_key: str
) -> None:
    for credentials in (f"{write_key}:", f"{write_key}:ignored", write_key):
        header = {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}
        response = client.post(
            "/compat/segment/v1/track", json=message("track", event="A"), headers=header
        )
        assert response.status_code == 200, (credentials, response.text)
