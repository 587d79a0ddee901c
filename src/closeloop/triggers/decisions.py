"""Reading decisions back: "why did this person get a survey, or not?", newest first.

A decision is written once, when its rule fired, and never changes. What became of the
invitation it made (sent, answered, cancelled because the person unsubscribed) lives on
the invitation, so each decision is read together with its invitation *as it is now*:
"scheduled for the 17th, then cancelled: the person unsubscribed" reads in one place.

Pages are keyset pages on ``(decided_at, id)``, walked down the per-contact index, so a
person with a long history costs one short index scan per page.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from closeloop.contacts.models import Contact
from closeloop.db.base import MAX_ID
from closeloop.errors import InvalidInput, NotFound
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.surveys.models import Survey
from closeloop.triggers.models import Decision, Outcome

MAX_PAGE_SIZE = 200
_BAD_CURSOR = "the cursor is not valid: pass next_cursor from the previous page unchanged"


@dataclass(frozen=True)
class InvitationNow:
    """The invitation a decision made or stopped, in its current state."""

    id: int
    survey: str
    state: str
    # why it was cancelled, suppressed or failed
    reason: str | None
    due_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True)
class DecisionRecord:
    id: int
    decided_at: datetime
    rule_key: str | None
    rule_version: int | None
    event_id: int | None
    event_name: str | None
    outcome: str
    reason: str | None
    detail: str | None
    due_at: datetime | None
    until: datetime | None
    invitation: InvitationNow | None

    @property
    def summary(self) -> str:
        return explain(self)


@dataclass(frozen=True)
class DecisionPage:
    items: list[DecisionRecord]
    next_cursor: str | None


def list_for_contact(
    *, session: Session, contact_id: int, limit: int = 100
) -> list[DecisionRecord]:
    """A person's newest decisions (for the timeline, which has found the person already)."""
    rows = session.execute(_query(contact_id).limit(limit))
    return [_record(decision, invitation, key) for decision, invitation, key in rows]


def page_for_contact(
    *, session: Session, contact_id: int, limit: int = 50, cursor: str | None = None
) -> DecisionPage:
    """A person's decisions newest first, ``limit`` at a time, resuming after ``cursor``."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"limit is 1 to {MAX_PAGE_SIZE}, not {limit}", field="limit")
    if session.get(Contact, contact_id) is None:
        raise NotFound(f"no contact with id {contact_id}")
    query = _query(contact_id)
    if cursor is not None:
        decided_at, decision_id = _decode_cursor(cursor)
        query = query.where(
            or_(
                Decision.decided_at < decided_at,
                and_(Decision.decided_at == decided_at, Decision.id < decision_id),
            )
        )
    rows = session.execute(query.limit(limit + 1))
    records = [_record(decision, invitation, key) for decision, invitation, key in rows]
    if len(records) <= limit:
        return DecisionPage(items=records, next_cursor=None)
    last = records[limit - 1]
    return DecisionPage(items=records[:limit], next_cursor=_encode_cursor(last.decided_at, last.id))


def _query(contact_id: int) -> Select[Decision, Invitation, str]:
    """Each decision with its invitation and survey key (outer joins: both may be None)."""
    return (
        select(Decision, Invitation, Survey.key)
        .outerjoin(Invitation, Invitation.id == Decision.invitation_id)
        .outerjoin(Survey, Survey.id == Invitation.survey_id)
        .where(Decision.contact_id == contact_id)
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
    )


def _record(
    decision: Decision, invitation: Invitation | None, survey_key: str | None
) -> DecisionRecord:
    return DecisionRecord(
        id=decision.id,
        decided_at=decision.decided_at,
        rule_key=decision.rule_key,
        rule_version=decision.rule_version,
        event_id=decision.event_id,
        event_name=decision.event_name,
        outcome=decision.outcome,
        reason=decision.reason,
        detail=decision.detail,
        due_at=decision.due_at,
        until=decision.until,
        invitation=InvitationNow(
            id=invitation.id,
            survey=survey_key or "",  # an invitation always has its survey (foreign key)
            state=invitation.state,
            reason=invitation.reason,
            due_at=invitation.due_at,
            sent_at=invitation.sent_at,
            answered_at=invitation.answered_at,
            ended_at=invitation.ended_at,
        )
        if invitation is not None
        else None,
    )


# the wording: pure


def explain(record: DecisionRecord) -> str:
    """One sentence for people: what the rule decided, and what became of it since."""
    if record.rule_key:
        rule = f"rule {record.rule_key!r}"
    else:
        # no rule and no rule version: asked for explicitly (the Delighted-compatible API)
        rule = "an explicit request" if record.rule_version is None else "a deleted rule"
    if record.rule_version is not None:
        rule += f" v{record.rule_version}"
    after = f" after {record.event_name!r}" if record.event_name else ""
    if record.outcome == Outcome.SCHEDULED:
        when = f" for {_instant(record.due_at)}" if record.due_at is not None else ""
        sentence = f"Scheduled by {rule}{after}{when}"
        if record.invitation is not None:
            sentence += _since(record.invitation)
        return sentence + "."
    what = "Not sent" if record.outcome == Outcome.SKIPPED else "Cancelled"
    because = f" ({record.reason})" if record.reason else ""
    detail = f": {record.detail}" if record.detail else ""
    return f"{what}{because} by {rule}{after}{detail}."


def _since(invitation: InvitationNow) -> str:
    state = invitation.state
    if state == InvitationState.SCHEDULED:
        return "; still scheduled"
    if state == InvitationState.SENDING:
        return "; being sent"
    if state == InvitationState.SENT and invitation.sent_at is not None:
        return f"; sent on {_instant(invitation.sent_at)}"
    if state == InvitationState.ANSWERED and invitation.answered_at is not None:
        return f"; answered on {_instant(invitation.answered_at)}"
    ended = f" on {_instant(invitation.ended_at)}" if invitation.ended_at is not None else ""
    because = f": {invitation.reason}" if invitation.reason else ""
    return f"; then {state}{ended}{because}"


def _instant(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


# cursors: the last row of a page, opaque to clients


def _encode_cursor(decided_at: datetime, decision_id: int) -> str:
    payload = json.dumps([decided_at.isoformat(), decision_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decided_at, decision_id = json.loads(raw)
        instant = datetime.fromisoformat(decided_at)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise InvalidInput(_BAD_CURSOR, field="cursor") from None
    if (
        instant.tzinfo is None
        or not isinstance(decision_id, int)
        or isinstance(decision_id, bool)
        or not 0 <= decision_id <= MAX_ID
    ):
        raise InvalidInput(_BAD_CURSOR, field="cursor")
    return instant, decision_id
