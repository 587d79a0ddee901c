"""The API shapes of journey events: one event, a batch, and what became of each."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from closeloop.contacts.schemas import ContactRef, JsonObject, Text

MAX_BATCH = 1000


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
    timestamp: AwareDatetime | None = Field(
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
    status: Literal["created", "duplicate"]
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
