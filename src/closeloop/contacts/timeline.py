"""A person's timeline: their events, the rules' decisions, invitations and responses,
newest first.

It reads the tables of four other features, read-only, and asks each for at most
``limit + 1`` rows through the per-contact indexes, so a person with a long history
costs four short index scans, never a scan of their whole past.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.contacts.schemas import (
    DecisionEntry,
    EventEntry,
    InvitationEntry,
    ResponseEntry,
    Timeline,
    TimelineEntry,
)
from closeloop.events import service as events
from closeloop.invitations.models import Invitation
from closeloop.responses.models import Response
from closeloop.surveys.models import Survey
from closeloop.triggers import decisions

TIMELINE_LIMIT = 200
# at the same instant the story runs event → decision → invitation → response, so
# newest first puts the response on top
_KIND_ORDER = {"event": 0, "decision": 1, "invitation": 2, "response": 3}


def build(*, session: Session, contact_id: int, limit: int = TIMELINE_LIMIT) -> Timeline:
    entries: list[TimelineEntry] = [
        *_events(session, contact_id, limit + 1),
        *_decisions(session, contact_id, limit + 1),
        *_invitations(session, contact_id, limit + 1),
        *_responses(session, contact_id, limit + 1),
    ]
    entries.sort(key=_newest_first, reverse=True)
    return Timeline(entries=entries[:limit], truncated=len(entries) > limit)


def _newest_first(entry: TimelineEntry) -> tuple[object, ...]:
    if isinstance(entry, EventEntry):
        row_id = entry.event_id
    elif isinstance(entry, DecisionEntry):
        row_id = entry.decision_id
    elif isinstance(entry, InvitationEntry):
        row_id = entry.invitation_id
    else:
        row_id = entry.response_id
    return (entry.at, _KIND_ORDER[entry.kind], row_id)


def _events(session: Session, contact_id: int, limit: int) -> list[EventEntry]:
    return [
        EventEntry(
            at=event.occurred_at,
            event_id=event.id,
            name=event.name,
            properties=event.properties,
            source=event.source,
        )
        for event in events.list_for_contact(session=session, contact_id=contact_id, limit=limit)
    ]


def _decisions(session: Session, contact_id: int, limit: int) -> list[DecisionEntry]:
    return [
        DecisionEntry(
            at=record.decided_at,
            decision_id=record.id,
            rule=record.rule_key,
            rule_version=record.rule_version,
            event_name=record.event_name,
            outcome=record.outcome,
            reason=record.reason,
            summary=record.summary,
            invitation_id=record.invitation.id if record.invitation is not None else None,
            due_at=record.due_at,
            until=record.until,
        )
        for record in decisions.list_for_contact(
            session=session, contact_id=contact_id, limit=limit
        )
    ]


def _invitations(session: Session, contact_id: int, limit: int) -> list[InvitationEntry]:
    rows = session.execute(
        select(Invitation, Survey.key)
        .join(Survey, Survey.id == Invitation.survey_id)
        .where(Invitation.contact_id == contact_id)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(limit)
    )
    return [
        InvitationEntry(
            at=invitation.created_at,
            invitation_id=invitation.id,
            survey=survey_key,
            state=invitation.state,
            channel=invitation.channel,
            touchpoint=invitation.touchpoint,
            due_at=invitation.due_at,
            sent_at=invitation.sent_at,
            answered_at=invitation.answered_at,
            reason=invitation.reason,
        )
        for invitation, survey_key in rows
    ]


def _responses(session: Session, contact_id: int, limit: int) -> list[ResponseEntry]:
    rows = session.execute(
        select(Response, Survey.key)
        .join(Survey, Survey.id == Response.survey_id)
        .where(Response.contact_id == contact_id)
        .order_by(Response.responded_at.desc(), Response.id.desc())
        .limit(limit)
    )
    return [
        ResponseEntry(
            at=response.responded_at,
            response_id=response.id,
            survey=survey_key,
            score=response.score,
            comment=response.comment,
            channel=response.channel,
        )
        for response, survey_key in rows
    ]
