"""The invitation API's shapes: what a caller sends and what it gets back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, model_validator

from closeloop.contacts.schemas import Email
from closeloop.db.base import MAX_ID
from closeloop.invitations.models import Invitation

READ_EXAMPLE: dict[str, JsonValue] = {
    "id": 1017,
    "state": "scheduled",
    "channel": "email",
    "survey": "nps",
    "contact_id": 42,
    "due_at": "2026-03-10T08:30:00Z",
    "reason": None,
    "attempts": 0,
    "touchpoint": "onboarding",
    "stage": "purchase",
    "rule": "onboarding-nps",
    "rule_version": 2,
    "source": "rule:event",
    "message_id": None,
    "created_at": "2026-03-03T10:00:00Z",
    "sent_at": None,
    "answered_at": None,
    "ended_at": None,
}


class InvitationContact(BaseModel):
    """Exactly one way to find the person: our id, their email or your external id."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": "ana@example.com"}, {"external_id": "crm-0042"}, {"id": 42}]
        },
    )

    id: int | None = Field(default=None, ge=1, le=MAX_ID, strict=True)
    email: Email | None = None
    external_id: str | None = Field(default=None, min_length=1, max_length=255)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [name for name in ("id", "email", "external_id") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of id, email or external_id")
        return self


class InvitationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "contact": {"email": "ana@example.com"},
                    "survey": "nps",
                    "send_at": "2026-03-10T09:30:00+01:00",
                    "channel": "email",
                    "touchpoint": "onboarding-30d",
                }
            ]
        },
    )

    contact: InvitationContact
    survey: str = Field(
        default="nps",
        min_length=1,
        max_length=64,
        description="The survey's key; `nps` is created on first use.",
    )
    send_at: AwareDatetime | None = Field(
        default=None,
        description="When to send, ISO 8601 with an offset; now when absent. "
        "At most a minute in the past and a year ahead.",
    )
    channel: Literal["email"] = "email"
    touchpoint: str | None = Field(
        default=None, min_length=1, max_length=64, description="The journey moment it belongs to."
    )


class InvitationCancel(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "the customer asked us not to survey them"}]},
    )

    reason: str = Field(default="cancelled through the API", min_length=1, max_length=500)


class InvitationRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [READ_EXAMPLE]})

    id: int
    state: str = Field(
        description="scheduled, sending, sent, answered, cancelled, suppressed or failed"
    )
    channel: str
    survey: str = Field(description="The survey's key.")
    contact_id: int
    due_at: datetime
    reason: str | None = Field(
        description="Why it was cancelled, suppressed or failed, or why the last attempt failed."
    )
    attempts: int
    touchpoint: str | None
    stage: str | None = Field(description="The journey stage of its touchpoint when it was made.")
    rule: str | None = Field(description="The key of the rule that made it; null when asked for.")
    rule_version: int | None = Field(description="The version of that rule.")
    source: str
    message_id: str | None
    created_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None

    @classmethod
    def of(cls, invitation: Invitation) -> InvitationRead:
        return cls(
            id=invitation.id,
            state=invitation.state,
            channel=invitation.channel,
            survey=invitation.survey.key,
            contact_id=invitation.contact_id,
            due_at=invitation.due_at,
            reason=invitation.reason,
            attempts=invitation.attempts,
            touchpoint=invitation.touchpoint,
            stage=invitation.stage,
            rule=invitation.rule.key if invitation.rule is not None else None,
            rule_version=invitation.rule_version,
            source=invitation.source,
            message_id=invitation.message_id,
            created_at=invitation.created_at,
            sent_at=invitation.sent_at,
            answered_at=invitation.answered_at,
            ended_at=invitation.ended_at,
        )


class InvitationList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"invitations": [READ_EXAMPLE]}]})

    invitations: list[InvitationRead]
