"""What a Segment message means in closeloop: contacts, accounts, events and their times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

from closeloop.compat.segment import mapping
from closeloop.compat.segment.mapping import Unmappable
from closeloop.compat.segment.schemas import Group, Identify, Message, Page, Screen, Track

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
_messages: TypeAdapter[Message] = TypeAdapter(Message)


def _message(**fields: Any) -> Any:
    return _messages.validate_python(fields)


@pytest.mark.parametrize(
    ("timestamp", "original", "sent_at", "expected"),
    [
        # no time given: now
        (None, None, None, NOW),
        # a time without sentAt is trusted (an import of the past)
        (NOW - timedelta(days=400), None, None, NOW - timedelta(days=400)),
        # the sender's clock is two days slow: its error is taken out
        (NOW - timedelta(days=2, hours=1), None, NOW - timedelta(days=2), NOW - timedelta(hours=1)),
        # a client library's originalTimestamp is corrected the same way
        (None, NOW + timedelta(minutes=50), NOW + timedelta(hours=1), NOW - timedelta(minutes=10)),
        # an explicit timestamp is preferred to originalTimestamp
        (NOW - timedelta(hours=3), NOW - timedelta(hours=9), NOW, NOW - timedelta(hours=3)),
    ],
)
def test_times_are_corrected_by_sent_at(
    timestamp: datetime | None,
    original: datetime | None,
    sent_at: datetime | None,
    expected: datetime,
) -> None:
    corrected = mapping.occurred_at(
        timestamp=timestamp, original_timestamp=original, sent_at=sent_at, received_at=NOW
    )
    assert corrected == expected


def test_a_correction_past_the_calendar_is_unmappable() -> None:
    with pytest.raises(Unmappable, match="outside the years"):
        mapping.occurred_at(
            timestamp=datetime(1, 1, 2, tzinfo=UTC),
            original_timestamp=None,
            sent_at=datetime(9999, 1, 1, tzinfo=UTC),
            received_at=NOW,
        )


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"type": "track", "event": "Order Delivered"}, "Order Delivered"),
        ({"type": "page", "name": "Pricing"}, "Viewed Pricing Page"),
        ({"type": "page", "category": "Docs", "name": "API"}, "Viewed Docs API Page"),
        ({"type": "page", "category": "Docs"}, "Viewed Docs Page"),
        ({"type": "page"}, "Loaded a Page"),
        ({"type": "screen", "name": "Checkout"}, "Viewed Checkout Screen"),
        ({"type": "screen"}, "Loaded a Screen"),
    ],
)
def test_event_names(fields: dict[str, Any], name: str) -> None:
    message = _message(userId="u", **fields)
    assert isinstance(message, Track | Page | Screen)
    assert mapping.event_name(message) == name


def test_an_event_belongs_to_the_user_else_to_the_anonymous_visitor() -> None:
    known = _message(type="track", userId="u-1", anonymousId="a-1", event="E")
    visitor = _message(type="track", anonymousId="a-1", event="E")
    assert mapping.event_of(known, batch_sent_at=None, received_at=NOW).contact.external_id == "u-1"
    assert (
        mapping.event_of(visitor, batch_sent_at=None, received_at=NOW).contact.external_id
        == "anonymous:a-1"
    )


def test_a_page_name_too_long_for_an_event_is_unmappable() -> None:
    page = _message(type="page", userId="u", category="c" * 200, name="n" * 100)
    with pytest.raises(Unmappable, match="over 255 characters"):
        mapping.event_of(page, batch_sent_at=None, received_at=NOW)


def test_an_event_more_than_a_day_ahead_is_unmappable() -> None:
    later = _message(type="track", userId="u", event="E", timestamp=NOW + timedelta(days=2))
    with pytest.raises(Unmappable, match="1 day in the future"):
        mapping.event_of(later, batch_sent_at=None, received_at=NOW)


def test_identify_traits_fill_columns_and_the_rest_stay_traits() -> None:
    identify = _message(
        type="identify",
        userId="u-1",
        traits={
            "email": " Ana@Acme.example ",
            "phone": 34600123456,
            "time_zone": "europe/madrid",
            "timezone": "America/New_York",
            "role": "primary-contact",
            "company": {"name": "Acme"},
        },
    )
    assert isinstance(identify, Identify)
    contact = mapping.contact_of_identify(identify)
    assert contact.model_dump(exclude_unset=True) == {
        "external_id": "u-1",
        "email": "ana@acme.example",
        "phone": "34600123456",
        "time_zone": "Europe/Madrid",
        "role": "primary_contact",
        "traits": {"company": {"name": "Acme"}},
    }


@pytest.mark.parametrize(
    ("traits", "reason"),
    [
        ({"email": "nope"}, "traits.email: not a valid email address"),
        ({"timezone": "GMT+2"}, "traits.timezone: not an IANA time zone"),
        ({"locale": "English"}, "traits.locale: not a BCP 47 language tag"),
        ({"name": "x" * 300}, "traits.name: String should have at most 255 characters"),
    ],
)
def test_a_bad_column_trait_is_unmappable_and_named_as_sent(
    traits: dict[str, Any], reason: str
) -> None:
    identify = _message(type="identify", userId="u-1", traits=traits)
    assert isinstance(identify, Identify)
    with pytest.raises(Unmappable) as refused:
        mapping.contact_of_identify(identify)
    assert refused.value.reason.startswith(reason)


def test_empty_column_traits_are_not_sent_so_nothing_is_cleared() -> None:
    identify = _message(type="identify", anonymousId="a-1", traits={"email": "", "name": None})
    assert isinstance(identify, Identify)
    contact = mapping.contact_of_identify(identify)
    assert contact.model_dump(exclude_unset=True) == {
        "external_id": "anonymous:a-1",
        "traits": {},
    }


def test_group_names_the_account_and_keeps_the_rest_as_its_traits() -> None:
    group = _message(
        type="group", userId="u-1", groupId="acct-42", traits={"name": "Acme", "plan": "pro"}
    )
    assert isinstance(group, Group)
    contact = mapping.contact_of_group(group)
    assert contact.account is not None
    assert contact.account.model_dump(exclude_unset=True) == {
        "external_id": "acct-42",
        "name": "Acme",
        "traits": {"plan": "pro"},
    }


def test_a_bad_account_name_is_named_as_sent() -> None:
    group = _message(type="group", userId="u-1", groupId="g", traits={"name": "x" * 300})
    assert isinstance(group, Group)
    with pytest.raises(Unmappable, match=r"^traits\.name: "):
        mapping.contact_of_group(group)


def test_a_message_without_sent_at_is_corrected_by_the_batchs() -> None:
    track = _message(type="track", userId="u", event="E", timestamp=NOW - timedelta(days=3))
    event = mapping.event_of(track, batch_sent_at=NOW - timedelta(days=2), received_at=NOW)
    assert event.timestamp == NOW - timedelta(days=1)


def test_properties_a_database_cannot_store_are_unmappable() -> None:
    track = _message(type="track", userId="u", event="E", properties={"ratio": float("nan")})
    with pytest.raises(Unmappable, match=r"^properties: numbers must be finite"):
        mapping.event_of(track, batch_sent_at=None, received_at=NOW)
