"""``GET /api/v1/contacts/{id}/decisions``: why a person got a survey, or did not."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from closeloop.api.deps import AdminKey, ReadSessionDep
from closeloop.db.base import MAX_ID
from closeloop.triggers import decisions
from closeloop.triggers.decisions import DecisionRecord

router = APIRouter(prefix="/api/v1", tags=["decisions"])

_INVITATION_EXAMPLE: JsonDict = {
    "id": 88,
    "survey": "onboarding",
    "state": "cancelled",
    "reason": "the person unsubscribed",
    "due_at": "2026-03-17T14:00:00Z",
    "sent_at": None,
    "answered_at": None,
    "ended_at": "2026-03-10T08:12:00Z",
}
_DECISION_EXAMPLE: JsonDict = {
    "id": 412,
    "decided_at": "2026-03-03T10:00:00Z",
    "rule": {"key": "onboarding", "version": 2},
    "event": {"id": 501, "name": "Signed Up"},
    "outcome": "scheduled",
    "reason": None,
    "detail": "invitation #88 scheduled for 2026-03-17T14:00:00+00:00",
    "summary": "Scheduled by rule 'onboarding' v2 after 'Signed Up' for 2026-03-17 14:00 UTC; "
    "then cancelled on 2026-03-10 08:12 UTC: the person unsubscribed.",
    "due_at": "2026-03-17T14:00:00Z",
    "until": None,
    "invitation": _INVITATION_EXAMPLE,
}


class RuleRef(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"key": "onboarding", "version": 2}]})

    key: str | None = Field(description="Kept after the rule is deleted.")
    version: int | None


class EventRef(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": 501, "name": "Signed Up"}]})

    id: int | None = Field(description="The event may have been pruned from the log since.")
    name: str


class InvitationNowOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_INVITATION_EXAMPLE]}
    )

    id: int
    survey: str
    state: str = Field(description="The invitation's state now, not when it was decided.")
    reason: str | None = Field(description="Why it was cancelled, suppressed or failed.")
    due_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None


class DecisionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_DECISION_EXAMPLE]})

    id: int
    decided_at: datetime
    rule: RuleRef | None
    event: EventRef | None = Field(description="The event that fired the rule or cancelled it.")
    outcome: str = Field(description="`scheduled`, `skipped` or `cancelled`.")
    reason: str | None = Field(
        description="Why nothing was sent: `fatigue`, `recontact`, `pending`, `superseded`, "
        "`sampled_out`, `outside_audience`, `unsubscribed`, `bounced`, `no_address`, "
        "`survey_inactive`, `too_late`, `cancelled_by_event`…"
    )
    detail: str | None = Field(description="The reason as it was written when decided.")
    summary: str = Field(description="One sentence: the decision and what became of it since.")
    due_at: datetime | None = Field(description="When the survey was (or would have been) due.")
    until: datetime | None = Field(description="For fatigue and recontact: when asking is allowed.")
    invitation: InvitationNowOut | None

    @classmethod
    def from_record(cls, record: DecisionRecord) -> DecisionOut:
        invitation = record.invitation
        return cls(
            id=record.id,
            decided_at=record.decided_at,
            rule=RuleRef(key=record.rule_key, version=record.rule_version)
            if record.rule_key is not None or record.rule_version is not None
            else None,
            event=EventRef(id=record.event_id, name=record.event_name)
            if record.event_name is not None
            else None,
            outcome=record.outcome,
            reason=record.reason,
            detail=record.detail,
            summary=record.summary,
            due_at=record.due_at,
            until=record.until,
            invitation=InvitationNowOut.model_validate(invitation)
            if invitation is not None
            else None,
        )


class DecisionPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_DECISION_EXAMPLE], "next_cursor": None}]}
    )

    items: list[DecisionOut] = Field(description="Newest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or not a valid one"},
    403: {"description": "The key's scope does not allow this"},
    404: {"description": "No such contact"},
    422: {"description": "Invalid input; `errors` names each field and the reason"},
}


@router.get("/contacts/{contact_id}/decisions", responses=_ERRORS)
def list_decisions(
    contact_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The contact's id")],
    session: ReadSessionDep,
    _key: AdminKey,
    limit: Annotated[int, Query(ge=1, le=decisions.MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> DecisionPage:
    """Every decision the rules made about this person, newest first: scheduled for when,
    or not sent and why, each with its invitation's current state."""
    page = decisions.page_for_contact(
        session=session, contact_id=contact_id, limit=limit, cursor=cursor
    )
    return DecisionPage(
        items=[DecisionOut.from_record(record) for record in page.items],
        next_cursor=page.next_cursor,
    )
