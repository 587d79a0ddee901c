"""Read-only queries behind the dashboard pages. Services never commit; these never write.

The NPS figures come from ``responses.service``, the one place that counts them, so the
overview agrees with every report and API answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closeloop.analytics.nps import Category, NpsSummary, categorise
from closeloop.auth.models import User
from closeloop.channels.models import OutboxMessage
from closeloop.contacts.models import Account, Contact
from closeloop.errors import NotFound
from closeloop.responses import service as responses
from closeloop.responses.models import Response
from closeloop.surveys.models import Survey, SurveyKind

OVERVIEW_DAYS = 90
RECENT_ANSWERS = 20


@dataclass(frozen=True)
class RecentAnswer:
    response_id: int
    score: int
    category: Category
    name: str | None
    email: str | None
    company: str | None
    comment: str | None
    responded_at: datetime


@dataclass(frozen=True)
class Overview:
    since: datetime
    until: datetime
    summary: NpsSummary
    recent: list[RecentAnswer]
    outbox_count: int


@dataclass(frozen=True)
class OutboxEntry:
    """A line of the outbox list: everything but the bodies."""

    id: int
    channel: str
    recipient: str
    subject: str
    created_at: datetime


def recent_answers(*, session: Session, limit: int = RECENT_ANSWERS) -> list[RecentAnswer]:
    """The newest NPS answers with who gave them, newest first."""
    rows = session.execute(
        select(
            Response.id,
            Response.score,
            Response.comment,
            Response.responded_at,
            Contact.name,
            Contact.email,
            Account.name,
        )
        .join(Survey, Survey.id == Response.survey_id)
        .outerjoin(Contact, Contact.id == Response.contact_id)
        .outerjoin(Account, Account.id == Contact.account_id)
        .where(Survey.kind == SurveyKind.NPS.value)
        .order_by(Response.responded_at.desc(), Response.id.desc())
        .limit(limit)
    ).all()
    return [
        RecentAnswer(
            response_id=response_id,
            score=score,
            category=categorise(score),
            name=name,
            email=contact_email,
            company=company,
            comment=comment,
            responded_at=responded_at,
        )
        for response_id, score, comment, responded_at, name, contact_email, company in rows
    ]


def outbox_count(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def overview(*, session: Session, now: datetime, days: int = OVERVIEW_DAYS) -> Overview:
    """The figures of the overview page: the last ``days`` days, ``now`` included."""
    since = now - timedelta(days=days)
    # the counting window is half-open; an answer given at this very instant counts
    until = now + timedelta(microseconds=1)
    return Overview(
        since=since,
        until=now,
        summary=responses.nps_summary(session=session, since=since, until=until),
        recent=recent_answers(session=session),
        outbox_count=outbox_count(session=session),
    )


def list_outbox(*, session: Session, offset: int, limit: int) -> list[OutboxEntry]:
    """Outbox messages, newest first (the id breaks ties between equal timestamps)."""
    rows = session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.channel,
            OutboxMessage.recipient,
            OutboxMessage.subject,
            OutboxMessage.created_at,
        )
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        OutboxEntry(
            id=message_id,
            channel=channel,
            recipient=recipient,
            subject=subject,
            created_at=created_at,
        )
        for message_id, channel, recipient, subject, created_at in rows
    ]


def get_outbox_message(*, session: Session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"no outbox message with id {message_id}")
    return message


def get_user(*, session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def user_exists(*, session: Session, email: str) -> bool:
    return session.scalar(select(User.id).where(User.email == email.strip().lower())) is not None
