"""Segment's message shapes, as its libraries send them, and what the intake answers.

Messages keep Segment's camelCase names and ignore fields closeloop has no use for
(``integrations``, most of ``context``): a library adds new ones over time, and an
intake that refused them would drop a customer's data on their next upgrade.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError

from closeloop.contacts.schemas import Text

ANONYMOUS_PREFIX = "anonymous:"
# an anonymous id is stored as an external id behind the prefix, in 255 characters
MAX_ANONYMOUS_ID = 255 - len(ANONYMOUS_PREFIX)


def _segment_id(value: object) -> object:
    """Libraries send ids as strings, some as numbers; an empty id is no id."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _empty_if_null(value: object) -> object:
    return {} if value is None else value


def _utc(value: datetime) -> datetime:
    """A time without an offset is UTC, as Segment reads it; one with no UTC spelling is refused."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("datetime_range", "is outside the years 1–9999 in UTC") from None


def _fits_behind_prefix(value: str) -> str:
    if len(value) > MAX_ANONYMOUS_ID:
        raise PydanticCustomError(
            "anonymous_id_length",
            f"has at most {MAX_ANONYMOUS_ID} characters (it is kept as '{ANONYMOUS_PREFIX}<id>')",
        )
    return value


SegmentId = Annotated[Text | None, BeforeValidator(_segment_id)]
AnonymousId = Annotated[
    Annotated[Text, AfterValidator(_fits_behind_prefix)] | None, BeforeValidator(_segment_id)
]
Moment = Annotated[datetime, AfterValidator(_utc)]
# checked once, when mapped onto closeloop's own shapes (whose JsonObject refuses what
# a database cannot store alike), not a second time here
Properties = Annotated[dict[str, Any], BeforeValidator(_empty_if_null)]


class _Message(BaseModel):
    """What every call carries: an id for retries, and its clocks."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    message_id: SegmentId = Field(default=None, alias="messageId")
    timestamp: Moment | None = None
    original_timestamp: Moment | None = Field(default=None, alias="originalTimestamp")
    sent_at: Moment | None = Field(default=None, alias="sentAt")


class _AboutSomeone(_Message):
    """A call about one person: known (``userId``) or not yet (``anonymousId``)."""

    user_id: SegmentId = Field(default=None, alias="userId")
    anonymous_id: AnonymousId = Field(default=None, alias="anonymousId")

    @model_validator(mode="after")
    def _identified(self) -> _AboutSomeone:
        if self.user_id is None and self.anonymous_id is None:
            raise PydanticCustomError("identity", "give a userId or an anonymousId")
        return self

    @property
    def external_id(self) -> str:
        """The contact's external id: the user id, else the prefixed anonymous id."""
        if self.user_id is not None:
            return self.user_id
        return f"{ANONYMOUS_PREFIX}{self.anonymous_id}"


class Identify(_AboutSomeone):
    type: Literal["identify"]
    traits: Properties = Field(default_factory=dict)
    context: Annotated[dict[str, Any], BeforeValidator(_empty_if_null)] = Field(
        default_factory=dict
    )


class Track(_AboutSomeone):
    type: Literal["track"]
    event: Text
    properties: Properties = Field(default_factory=dict)


class Page(_AboutSomeone):
    type: Literal["page"]
    name: Text | None = None
    category: Text | None = None
    properties: Properties = Field(default_factory=dict)


class Screen(_AboutSomeone):
    type: Literal["screen"]
    name: Text | None = None
    category: Text | None = None
    properties: Properties = Field(default_factory=dict)


class Group(_AboutSomeone):
    type: Literal["group"]
    group_id: Annotated[Text, BeforeValidator(_segment_id)] = Field(alias="groupId")
    traits: Properties = Field(default_factory=dict)


class Alias(_Message):
    type: Literal["alias"]
    previous_id: Annotated[Text, BeforeValidator(_segment_id)] = Field(alias="previousId")
    user_id: Annotated[Text, BeforeValidator(_segment_id)] = Field(alias="userId")


Message = Annotated[Identify | Track | Page | Screen | Group | Alias, Field(discriminator="type")]
EventMessage = Track | Page | Screen
KINDS = ("identify", "track", "page", "screen", "group", "alias")


class Rejection(BaseModel):
    """One message not stored, and why; the rest of its batch was."""

    index: int = Field(description="Its position in the batch (0 for a single call).")
    message_id: str | None = Field(serialization_alias="messageId")
    reason: str


class Receipt(BaseModel):
    """The answer to an accepted request; ``rejected`` lists the messages not stored."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "success": True,
                    "accepted": 2,
                    "rejected": [
                        {"index": 2, "messageId": "m-3", "reason": "event: Field required"}
                    ],
                }
            ]
        }
    )

    success: bool = True
    accepted: int = Field(description="Messages stored, or already stored by a retry.")
    rejected: list[Rejection]


class Refusal(BaseModel):
    """A request refused whole; ``code`` and ``message`` are what Segment's libraries log."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "success": False,
                    "code": "too_large",
                    "message": "the batch is 612 KB; the limit is 500 KB",
                }
            ]
        }
    )

    success: bool = False
    code: str
    message: str
    rejected: list[Rejection] = Field(default_factory=list)
