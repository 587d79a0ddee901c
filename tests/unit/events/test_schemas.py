"""The event shapes: what a valid event and a valid batch look like."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from closeloop.events.schemas import MAX_BATCH, EventBatchIn, EventIn

VALID: dict[str, Any] = {"name": "Ticket Solved", "contact": {"email": "ana@acme.example"}}


def error_fields(error: ValidationError) -> list[str]:
    return [".".join(str(part) for part in item["loc"]) for item in error.errors()]


def test_a_minimal_event() -> None:
    event = EventIn.model_validate(VALID)
    assert event.message_id is None
    assert event.timestamp is None
    assert event.properties == {}
    assert event.contact.email == "ana@acme.example"


def test_timestamps_keep_their_instant() -> None:
    event = EventIn.model_validate({**VALID, "timestamp": "2026-03-02T16:45:00+01:00"})
    assert event.timestamp == datetime(2026, 3, 2, 15, 45, tzinfo=UTC)
    assert event.timestamp is not None
    assert event.timestamp.utcoffset() == timezone(timedelta(hours=1)).utcoffset(None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"name": 42}, "name"),
        ({"message_id": ""}, "message_id"),
        ({"contact": {}}, "contact.id"),
        ({"contact": {"email": "nope"}}, "contact.email"),
        ({"contact": {"email": "ana@acme.example", "plan": "pro"}}, "contact.plan"),
        ({"account": {}}, "account.external_id"),
        ({"properties": ["not", "an", "object"]}, "properties"),
        ({"properties": {"n": float("inf")}}, "properties"),
        ({"timestamp": "2026-03-02T16:45:00"}, "timestamp"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"timestamp": "0001-01-01T00:00:00+01:00"}, "timestamp"),
        ({"contact": {"id": 2**63}}, "contact.id"),
        ({"userId": "u-1"}, "userId"),
    ],
)
def test_bad_events_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        EventIn.model_validate({**VALID, **change})
    assert field in error_fields(raised.value)


@pytest.mark.parametrize(
    ("size", "ok"), [(0, False), (1, True), (MAX_BATCH, True), (MAX_BATCH + 1, False)]
)
def test_a_batch_holds_1_to_1000_events(size: int, ok: bool) -> None:
    payload = {"events": [VALID] * size}
    if ok:
        assert len(EventBatchIn.model_validate(payload).events) == size
    else:
        with pytest.raises(ValidationError) as raised:
            EventBatchIn.model_validate(payload)
        assert error_fields(raised.value) == ["events"]


def test_a_bad_item_is_named_by_its_position() -> None:
    events = [VALID] * 3 + [{**VALID, "name": ""}]
    with pytest.raises(ValidationError) as raised:
        EventBatchIn.model_validate({"events": events})
    assert error_fields(raised.value) == ["events.3.name"]
