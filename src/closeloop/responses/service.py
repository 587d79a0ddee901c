"""Answers: recording scores and comments, listing them, and NPS figures from the database.

An answer locks its invitation row first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite
writers are serialised by ``BEGIN IMMEDIATE``), so two clicks arriving together make one
response, not a duplicate-key error. Reports count categories in SQL with one GROUP BY:
a report over a million answers moves three numbers per group, not a million rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session, joinedload, selectinload

from closeloop.analytics.breakdown import Dimension, GroupCounts, NpsGroup, NpsReport, arrange
from closeloop.analytics.nps import PASSIVE_MIN, PROMOTER_MIN, Category, NpsSummary
from closeloop.analytics.periods import bounds
from closeloop.contacts import service as contacts
from closeloop.contacts.models import Account, Contact
from closeloop.errors import Gone, InvalidInput, NotFound
from closeloop.i18n.catalogs import FALLBACK_LANGUAGE
from closeloop.i18n.locales import Locale, negotiate
from closeloop.i18n.texts import Texts
from closeloop.invitations import service as invitations
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.invitations.states import can_be_answered
from closeloop.journeys.models import Stage
from closeloop.responses import answering, cursors
from closeloop.responses.buckets import month_start, week_start
from closeloop.responses.models import Response
from closeloop.responses.schemas import ResponseFilters
from closeloop.surveys import service as surveys
from closeloop.surveys import wording
from closeloop.surveys.models import Survey, SurveyKind

DEFAULT_ANSWER_WINDOW = timedelta(days=7)
MAX_PAGE_SIZE = 200


# answering


def get(*, session: Session, response_id: int) -> Response | None:
    return session.scalar(
        select(Response).where(Response.id == response_id).options(selectinload(Response.survey))
    )


def get_or_404(*, session: Session, response_id: int) -> Response:
    response = get(session=session, response_id=response_id)
    if response is None:
        raise NotFound(f"no response with id {response_id}")
    return response


def get_by_invitation(*, session: Session, invitation_id: int) -> Response | None:
    return session.scalar(select(Response).where(Response.invitation_id == invitation_id))


def record_score(
    *,
    session: Session,
    invitation_id: int,
    score: int,
    now: datetime,
    channel: str = "email",
    answer_window: timedelta = DEFAULT_ANSWER_WINDOW,
) -> Response:
    """The first answer creates the response; a later one within the window changes it."""
    invitation = _lock_answerable(session=session, invitation_id=invitation_id)
    answering.check_score(score, invitation.survey.survey_kind.scale)
    response = get_by_invitation(session=session, invitation_id=invitation.id)
    if response is None:
        response = Response(
            invitation_id=invitation.id,
            survey_id=invitation.survey_id,
            contact_id=invitation.contact_id,
            score=score,
            answers={},
            channel=channel,
            touchpoint=invitation.touchpoint,
            stage=invitation.stage,
            responded_at=now,
            updated_at=now,
        )
        session.add(response)
        invitations.mark_answered(session=session, invitation_id=invitation.id, now=now)
        # another invitation to the same survey, still waiting, would ask what was answered
        invitations.cancel_pending(
            session=session,
            contact_id=invitation.contact_id,
            reason=f"answered this survey meanwhile (invitation #{invitation.id})",
            now=now,
            survey_id=invitation.survey_id,
        )
        session.flush()
        return response
    answering.check_can_change(
        first_answered_at=response.responded_at, now=now, window=answer_window
    )
    if response.score != score:
        response.score = score
        response.updated_at = now
    return response


def add_comment(
    *,
    session: Session,
    invitation_id: int,
    comment: str | None,
    score: int | None = None,
    now: datetime,
    answer_window: timedelta = DEFAULT_ANSWER_WINDOW,
) -> Response:
    """Save the reason for the score (and a changed score).

    An empty comment clears it; ``None`` (a request without the field: not our form)
    keeps it, so a stray POST can never erase what the person wrote.
    """
    # before any write: bad input changes nothing
    cleaned = answering.clean_comment(comment) if comment is not None else None
    if score is not None:
        response = record_score(
            session=session,
            invitation_id=invitation_id,
            score=score,
            now=now,
            answer_window=answer_window,
        )
    else:
        _lock_answerable(session=session, invitation_id=invitation_id)
        existing = get_by_invitation(session=session, invitation_id=invitation_id)
        if existing is None:
            raise InvalidInput("choose a score before sending a comment", field="score")
        answering.check_can_change(
            first_answered_at=existing.responded_at, now=now, window=answer_window
        )
        response = existing
    if comment is not None and response.comment != cleaned:
        response.comment = cleaned
        response.updated_at = now
    return response


def _lock_answerable(*, session: Session, invitation_id: int) -> Invitation:
    """The invitation, locked, with its survey (whose scale checks the score) in the same
    statement: a click is one round of queries fewer. Only the invitation's row is locked
    (``FOR UPDATE OF``), so answers to one survey never wait for each other on PostgreSQL.
    """
    invitation = session.get(
        Invitation,
        invitation_id,
        options=[joinedload(Invitation.survey, innerjoin=True)],
        with_for_update={"of": Invitation},
    )
    if invitation is None:
        raise NotFound("this survey invitation no longer exists")
    return _check_open(invitation)


def _check_open(invitation: Invitation) -> Invitation:
    if not can_be_answered(InvitationState(invitation.state)):
        raise Gone(
            f"this survey is closed (the invitation was {invitation.state})", field="invitation"
        )
    return invitation


# the respondent's page


@dataclass(frozen=True)
class FollowUp:
    """Everything the follow-up page shows, whether or not the person has answered yet."""

    first_name: str | None
    # the language the page speaks: the email's, so the person reads one language
    locale: Locale
    question: str
    follow_up_question: str
    kind: str
    scale: range
    score: int | None
    comment: str | None
    answered_at: datetime | None
    # until when the answer can still be changed; None before the first answer
    changeable_until: datetime | None
    can_change: bool


def follow_up(
    *,
    session: Session,
    invitation_id: int,
    now: datetime,
    product_name: str,
    answer_window: timedelta = DEFAULT_ANSWER_WINDOW,
    default_locale: str = FALLBACK_LANGUAGE,
) -> FollowUp:
    invitation, response = _invitation_and_response(session=session, invitation_id=invitation_id)
    _check_open(invitation)
    survey = invitation.survey
    deadline = answering.change_deadline(response.responded_at, answer_window) if response else None
    # the product the email named (a request may name its own), so the page asks the same
    product = (
        invitations.context_text(invitation.context, "product_name")
        or survey.product_name
        or product_name
    )
    first_name = invitation.contact.first_name
    texts = Texts(negotiate(invitations.preferred_locales(invitation), default=default_locale))
    return FollowUp(
        first_name=first_name,
        locale=texts.locale,
        question=wording.fill(
            survey.question or texts.question(survey.kind), name=first_name, product=product
        ),
        follow_up_question=wording.fill(
            survey.follow_up_question or texts.template("follow_up.question"),
            name=first_name,
            product=product,
        ),
        kind=survey.kind,
        scale=survey.survey_kind.scale,
        score=response.score if response else None,
        comment=response.comment if response else None,
        answered_at=response.responded_at if response else None,
        changeable_until=deadline,
        can_change=deadline is None or now < deadline,
    )


def _invitation_and_response(
    *, session: Session, invitation_id: int
) -> tuple[Invitation, Response | None]:
    """The invitation with its survey and person, and its response, in one statement.

    Every click and every page view builds the page from these; read one lazy load at a
    time they were four queries (bench/respond.py, docs/performance.md).
    """
    row = session.execute(
        select(Invitation, Response)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .options(
            joinedload(Invitation.survey, innerjoin=True),
            joinedload(Invitation.contact, innerjoin=True),
        )
        .where(Invitation.id == invitation_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no invitation with id {invitation_id}")
    return row[0], row[1]


def unsubscribe_target(*, session: Session, invitation_id: int) -> Contact:
    """The person an unsubscribe link speaks for."""
    return invitations.get_or_404(session=session, invitation_id=invitation_id).contact


def unsubscribe(*, session: Session, invitation_id: int, now: datetime) -> Contact:
    """Unsubscribe the person, and cancel every survey still waiting to go to them."""
    invitation = invitations.get_or_404(session=session, invitation_id=invitation_id)
    contact = contacts.unsubscribe(session=session, contact_id=invitation.contact_id, now=now)
    invitations.cancel_pending(
        session=session, contact_id=contact.id, reason="the person unsubscribed", now=now
    )
    return contact


# listing


@dataclass(frozen=True)
class ResponsePage:
    items: list[Response]
    next_cursor: str | None


def list_(
    *, session: Session, filters: ResponseFilters, cursor: str | None, limit: int
) -> ResponsePage:
    """Responses newest first, ``limit`` at a time, resuming after ``cursor``."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"limit is 1 to {MAX_PAGE_SIZE}, not {limit}", field="limit")
    query = _filtered(session=session, filters=filters)
    if cursor is not None:
        after = cursors.decode(cursor)
        query = query.where(
            or_(
                Response.responded_at < after.responded_at,
                and_(Response.responded_at == after.responded_at, Response.id < after.id),
            )
        )
    query = (
        query.order_by(Response.responded_at.desc(), Response.id.desc())
        .limit(limit + 1)
        .options(selectinload(Response.survey))
    )
    rows = list(session.scalars(query))
    if len(rows) <= limit:
        return ResponsePage(items=rows, next_cursor=None)
    last = rows[limit - 1]
    position = cursors.Position(responded_at=last.responded_at, id=last.id)
    return ResponsePage(items=rows[:limit], next_cursor=cursors.encode(position))


def _filtered(*, session: Session, filters: ResponseFilters) -> Select[Response]:
    since, until = bounds(since=filters.since, until=filters.until)
    if (
        filters.min_score is not None
        and filters.max_score is not None
        and filters.min_score > filters.max_score
    ):
        raise InvalidInput("min_score is greater than max_score", field="min_score")
    query = select(Response)
    if filters.survey is not None:
        query = query.where(Response.survey_id == _survey_id(session=session, key=filters.survey))
    if since is not None:
        query = query.where(Response.responded_at >= since)
    if until is not None:
        query = query.where(Response.responded_at < until)
    if filters.min_score is not None:
        query = query.where(Response.score >= filters.min_score)
    if filters.max_score is not None:
        query = query.where(Response.score <= filters.max_score)
    if filters.category is not None:
        nps_surveys = select(Survey.id).where(Survey.kind == SurveyKind.NPS.value)
        query = query.where(Response.survey_id.in_(nps_surveys), _in_category(filters.category))
    if filters.contact_id is not None:
        query = query.where(Response.contact_id == filters.contact_id)
    if filters.has_comment is True:
        query = query.where(Response.comment.is_not(None))
    elif filters.has_comment is False:
        query = query.where(Response.comment.is_(None))
    return query


def _in_category(category: Category) -> ColumnElement[bool]:
    if category is Category.PROMOTER:
        return Response.score >= PROMOTER_MIN
    if category is Category.PASSIVE:
        return and_(Response.score >= PASSIVE_MIN, Response.score < PROMOTER_MIN)
    return Response.score < PASSIVE_MIN


def _survey_id(*, session: Session, key: str) -> int:
    survey = surveys.get_by_key(session=session, key=key)
    if survey is None:
        raise InvalidInput(f"no survey with key {key!r}", field="survey")
    return survey.id


# NPS figures


def nps_summary(
    *, session: Session, since: datetime, until: datetime, survey_id: int | None = None
) -> NpsSummary:
    """Promoters, passives and detractors of NPS answers first given in [since, until)."""
    row = session.execute(_counts(since=since, until=until, survey_id=survey_id)).one()
    return NpsSummary(promoters=row.promoters, passives=row.passives, detractors=row.detractors)


def nps_breakdown(
    *,
    session: Session,
    by: Dimension,
    since: datetime,
    until: datetime,
    survey_id: int | None = None,
) -> tuple[NpsGroup, ...]:
    """The NPS of each group in [since, until); groups without answers are absent."""
    key, name = _group_columns(by)
    columns = [key.label("key")] if name is None else [key.label("key"), name.label("name")]
    query = _counts(since=since, until=until, survey_id=survey_id).add_columns(*columns)
    if by in {Dimension.ROLE, Dimension.ACCOUNT}:
        query = query.outerjoin(Contact, Contact.id == Response.contact_id)
    if by is Dimension.ACCOUNT:
        query = query.outerjoin(Account, Account.id == Contact.account_id)
    if by is Dimension.STAGE:
        query = query.outerjoin(Stage, Stage.key == Response.stage)
    grouping = [key] if name is None else [key, name]
    rows = session.execute(query.group_by(*grouping)).mappings().all()
    return arrange(
        by,
        (
            GroupCounts(
                key=None if row["key"] is None else str(row["key"]),
                name=row.get("name"),
                summary=NpsSummary(
                    promoters=row["promoters"],
                    passives=row["passives"],
                    detractors=row["detractors"],
                ),
            )
            for row in rows
        ),
    )


def nps_report(
    *,
    session: Session,
    since: datetime,
    until: datetime,
    survey: str | None = None,
    by: Dimension | None = None,
) -> NpsReport:
    """The figures of the period (of one survey, given its key), broken down ``by``."""
    survey_id = _survey_id(session=session, key=survey) if survey is not None else None
    summary = nps_summary(session=session, since=since, until=until, survey_id=survey_id)
    groups: tuple[NpsGroup, ...] = ()
    if by is not None:
        groups = nps_breakdown(
            session=session, by=by, since=since, until=until, survey_id=survey_id
        )
    return NpsReport(since=since, until=until, summary=summary, survey=survey, by=by, groups=groups)


def _counts(*, since: datetime, until: datetime, survey_id: int | None) -> Select[int, int, int]:
    def counted(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.count(case((condition, 1)))

    query = (
        select(
            counted(Response.score >= PROMOTER_MIN).label("promoters"),
            counted(and_(Response.score >= PASSIVE_MIN, Response.score < PROMOTER_MIN)).label(
                "passives"
            ),
            counted(Response.score < PASSIVE_MIN).label("detractors"),
        )
        .select_from(Response)
        .join(Survey, Survey.id == Response.survey_id)
        .where(
            Survey.kind == SurveyKind.NPS.value,
            Response.responded_at >= since,
            Response.responded_at < until,
        )
    )
    if survey_id is not None:
        query = query.where(Response.survey_id == survey_id)
    return query


def _group_columns(
    by: Dimension,
) -> tuple[QueryableAttribute[Any] | ColumnElement[Any], QueryableAttribute[str] | None]:
    """The key of each group and, where it has one, its display name."""
    if by is Dimension.SURVEY:
        return Survey.key, Survey.name
    if by is Dimension.TOUCHPOINT:
        return Response.touchpoint, None
    if by is Dimension.STAGE:
        # the name as the journey has it now; a stage deleted since shows by its key
        return Response.stage, Stage.name
    if by is Dimension.ROLE:
        return Contact.role, None
    if by is Dimension.ACCOUNT:
        return Account.id, Account.name
    if by is Dimension.WEEK:
        return week_start(Response.responded_at), None
    return month_start(Response.responded_at), None
