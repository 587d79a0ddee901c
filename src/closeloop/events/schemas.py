"""The API shapes of journey events: one event, a batch, and what became of each."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from closeloop.contacts.schemas import ContactRef, JsonObject, Text
from closeloop.events.records import Status

MAX_BATCH = 1000


def _storable(value: datetime) -> datetime:
    """Refuse an instant that has no UTC spelling (``0001-01-01T00:00+01:00``).

    Timestamps are stored in UTC; converting one that falls outside the years 1–9999
    would otherwise fail in the database layer, as a 500 instead of a field error.
    """
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("datetime_range", "is outside the years 1–9999 in UTC") from None
    return value


Timestamp = Annotated[AwareDatetime, AfterValidator(_storable)]


class AccountRef(BaseModel):
    """The company the event happened in; created (named by its key) if unknown."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"external_id": "acct_42"}]}
    )

    external_id: Text


class EventIn(BaseModel):
    """Something that happened to a person, such as a solved ticket or a delivered order."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "message_id": "zd-ticket-8812-solved",
                    "name": "Ticket Solved",
                    "contact": {"email": "ana@acme.example", "traits": {"plan": "pro"}},
                    "account": {"external_id": "acct_42"},
                    "properties": {"ticket_id": 8812, "channel": "chat"},
                    "timestamp": "2026-03-02T16:45:00+01:00",
                }
            ]
        },
    )

    message_id: Text | None = Field(
        default=None,
        description=(
            "Your unique id for this event: a retry with the same id is stored once. "
            "Without it a random id is generated, and a retried request is stored twice."
        ),
    )
    name: Text = Field(examples=["Ticket Solved", "Order Delivered", "Signed Up"])
    contact: ContactRef
    account: AccountRef | None = None
    properties: JsonObject = Field(default_factory=dict)
    timestamp: Timestamp | None = Field(
        default=None,
        description="When it happened (ISO 8601 with an offset); default now, at most 1 day ahead.",
    )


class EventBatchIn(BaseModel):
    """Up to 1,000 events, stored all or nothing."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "events": [
                        {
                            "message_id": "order-A-1-delivered",
                            "name": "Order Delivered",
                            "contact": {"external_id": "user_1001"},
                            "properties": {"order_id": "A-1"},
                        },
                        {
                            "message_id": "user_1002-signed-up",
                            "name": "Signed Up",
                            "contact": {"email": "bo@acme.example", "role": "end_user"},
                            "account": {"external_id": "acct_42"},
                        },
                    ]
                }
            ]
        },
    )

    events: list[EventIn] = Field(min_length=1, max_length=MAX_BATCH)


class EventResult(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {"message_id": "zd-ticket-8812-solved", "status": "created", "event_id": 501}
            ]
        },
    )

    message_id: str
    status: Status
    event_id: int


class BatchResult(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "results": [
                        {"message_id": "m-1", "status": "created", "event_id": 501},
                        {"message_id": "m-2", "status": "duplicate", "event_id": 87},
                    ],
                    "created": 1,
                    "duplicates": 1,
                }
            ]
        }
    )

    results: list[EventResult]
    created: int
    duplicates: int
