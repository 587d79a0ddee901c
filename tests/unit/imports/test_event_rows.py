"""Event rows: flat CSV rows and the API's JSON shape, and the ids of rows without one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from closeloop.imports.cells import RowRejected
from closeloop.imports.event_rows import canonical_event_column, derived_message_id, parse_event

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("column", "field"),
    [
        ("Event", "name"),
        ("Occurred at", "timestamp"),
        ("Message ID", "message_id"),
        ("Order", "Order"),
    ],
)
def test_event_columns(column: str, field: str) -> None:
    assert canonical_event_column(column) == field


def test_a_flat_row_becomes_the_apis_event() -> None:
    event = parse_event(
        {
            "name": "Order Delivered",
            "email": "Ana@Acme.Example",
            "account": "acme",
            "timestamp": "2026-03-01T09:00:00+01:00",
            "order_id": "A-1",
            "carrier": "",
            "message_id": "order-A-1",
        },
        now=NOW,
    )
    assert event.message_id == "order-A-1"
    assert event.contact.email == "ana@acme.example"
    assert event.account is not None and event.account.external_id == "acme"
    assert event.properties == {"order_id": "A-1"}
    assert event.timestamp == datetime(2026, 3, 1, 8, tzinfo=UTC)


def test_the_apis_own_shape_is_taken_as_it_is() -> None:
    event = parse_event(
        {"name": "Signed Up", "contact": {"external_id": "u-1"}, "properties": {"plan": "pro"}},
        now=NOW,
    )
    assert (event.contact.external_id, event.properties) == ("u-1", {"plan": "pro"})


def test_a_row_without_message_id_gets_one_from_what_it_says() -> None:
    fields = {"name": "Ticket Solved", "email": "a@x.test", "ticket": "12"}
    first, again = parse_event(fields, now=NOW), parse_event(dict(fields), now=NOW)
    assert first.message_id is not None
    assert first.message_id.startswith("import:")
    assert first.message_id == again.message_id
    other = parse_event({**fields, "ticket": "13"}, now=NOW)
    assert other.message_id != first.message_id


def test_the_same_instant_in_two_offsets_is_the_same_event() -> None:
    fields: dict[str, Any] = {"name": "Ticket Solved", "email": "a@x.test"}
    utc = parse_event({**fields, "timestamp": "2026-03-01T08:00:00Z"}, now=NOW)
    madrid = parse_event({**fields, "timestamp": "2026-03-01T09:00:00+01:00"}, now=NOW)
    assert derived_message_id(utc) == derived_message_id(madrid)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"name": "Signed Up", "Plan": "pro"}, "needs an email, an external_id or a contact_id"),
        ({"email": "a@x.test"}, "name: Field required"),
        ({"name": "X", "email": "nope"}, "contact.email: not a valid email address"),
        ({"name": "X", "email": "a@x.test", "timestamp": "2026-03-01 09:00"}, "timestamp: .*zone"),
        (
            {"name": "X", "email": "a@x.test", "timestamp": "2026-03-09T00:00Z"},
            "1 day in the future",
        ),
        ({"name": "X", "contact": {"email": "a@x.test"}, "extra": 1}, "extra: Extra inputs"),
    ],
)
def test_bad_event_rows_say_why(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(RowRejected, match=reason):
        parse_event(fields, now=NOW)
