"""Survey responses and metrics on the Delighted-compatible API.

A Delighted "survey response" is a closeloop response (same id). Answers posted here
were given outside closeloop's own emails (the integration surveyed the person itself,
or brings older answers), so they have no invitation. Metrics come from
``responses.service.nps_summary``, the query behind the native NPS report, so both
report the same numbers for the same period.

Delighted's "trends" (saved segments) do not exist in closeloop; ``trend`` names a
closeloop survey by its key instead, which is what a workspace with several surveys
needs to tell their figures apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from closeloop.analytics.nps import NpsSummary
from closeloop.compat.delighted import people
from closeloop.compat.delighted.schemas import (
    MetricsQuery,
    SurveyResponseChange,
    SurveyResponseIn,
    SurveyResponsesQuery,
    instant,
)
from closeloop.config import Settings
from closeloop.contacts import service as contacts
from closeloop.contacts.fields import normalise_email
from closeloop.errors import InvalidInput, NotFound
from closeloop.responses import answering
from closeloop.responses import service as responses
from closeloop.responses.models import Response
from closeloop.surveys import service as surveys

DEFAULT_METRICS_DAYS: Final = 30
# an answer "given" later than this is a clock or a unit mistake (milliseconds for seconds)
FUTURE_TOLERANCE: Final = timedelta(minutes=5)
CHANNEL: Final = "api"
_ORDERS: Final = {
    "asc": (Response.responded_at.asc(), Response.id.asc()),
    "desc": (Response.responded_at.desc(), Response.id.desc()),
    "asc:updated_at": (Response.updated_at.asc(), Response.id.asc()),
    "desc:updated_at": (Response.updated_at.desc(), Response.id.desc()),
}


@dataclass(frozen=True)
class Metrics:
    since: datetime
    until: datetime  # exclusive
    summary: NpsSummary


def create(
    *, session: Session, data: SurveyResponseIn, settings: Settings, now: datetime
) -> Response:
    """Record an answer to the default survey for an existing person."""
    contact = contacts.get(session=session, contact_id=data.person)
    if contact is None:
        raise InvalidInput(f"no person with id {data.person}", field="person")
    survey = surveys.get_or_create_default(
        session=session, product_name=settings.product_name, now=now
    )
    answering.check_score(data.score, survey.survey_kind.scale)
    comment = answering.clean_comment(data.comment) if data.comment is not None else None
    responded_at = instant(data.created_at) if data.created_at is not None else now
    if responded_at > now + FUTURE_TOLERANCE:
        raise InvalidInput("is in the future (Unix seconds expected)", field="created_at")
    people.merge_properties(
        session=session, contact=contact, properties=data.person_properties or {}, now=now
    )
    response = Response(
        invitation_id=None,
        survey_id=survey.id,
        contact_id=contact.id,
        score=data.score,
        comment=comment,
        answers={},
        channel=CHANNEL,
        responded_at=responded_at,
        updated_at=responded_at,
    )
    session.add(response)
    session.flush()
    return get(session=session, response_id=response.id)


def get(*, session: Session, response_id: int) -> Response:
    found = session.scalar(_with_relations(select(Response).where(Response.id == response_id)))
    if found is None:
        raise NotFound(f"no survey response with id {response_id}")
    return found


def update(
    *, session: Session, response_id: int, change: SurveyResponseChange, now: datetime
) -> Response:
    """Change the score, the comment or the person's properties; the rest is read-only."""
    if change.tags:
        raise InvalidInput("are not supported: closeloop has no response tags", field="tags")
    response = get(session=session, response_id=response_id)
    changed = False
    if change.score is not None and change.score != response.score:
        answering.check_score(change.score, response.survey.survey_kind.scale)
        response.score, changed = change.score, True
    if change.comment is not None:
        comment = answering.clean_comment(change.comment)
        if comment != response.comment:
            response.comment, changed = comment, True
    if changed:
        response.updated_at = now
    if response.contact is not None:
        people.merge_properties(
            session=session,
            contact=response.contact,
            properties=change.person_properties or {},
            now=now,
        )
    session.flush()
    return response


def list_(*, session: Session, query: SurveyResponsesQuery) -> list[Response]:
    """One numbered page of answers, filtered and ordered as asked."""
    statement = select(Response)
    for column, since, until in (
        (Response.responded_at, query.since, query.until),
        (Response.updated_at, query.updated_since, query.updated_until),
    ):
        if since is not None:
            statement = statement.where(column >= instant(since))
        if until is not None:
            statement = statement.where(column < instant(until) + people.ONE_SECOND)
    if query.trend is not None:
        statement = statement.where(Response.survey_id == _survey_id(session, query.trend))
    if query.person_id is not None:
        statement = statement.where(Response.contact_id == query.person_id)
    if query.person_email is not None:
        try:
            email = normalise_email(query.person_email)
        except ValueError:
            return []
        contact = contacts.get_by_email(session=session, email=email)
        if contact is None:
            return []
        statement = statement.where(Response.contact_id == contact.id)
    statement = (
        statement.order_by(*_ORDERS[query.order])
        .offset((query.page - 1) * query.per_page)
        .limit(query.per_page)
    )
    return list(session.scalars(_with_relations(statement)))


def metrics(*, session: Session, query: MetricsQuery, now: datetime) -> Metrics:
    """NPS figures of answers first given in the period (default: the last 30 days)."""
    # both bounds are whole seconds, and "until" includes its second (now's, by default)
    end = instant(query.until) if query.until is not None else now.replace(microsecond=0)
    until = end + people.ONE_SECOND
    since = (
        instant(query.since)
        if query.since is not None
        else until - timedelta(days=DEFAULT_METRICS_DAYS)
    )
    if since >= until:
        raise InvalidInput("must be before until", field="since")
    survey_id = _survey_id(session, query.trend) if query.trend is not None else None
    summary = responses.nps_summary(session=session, since=since, until=until, survey_id=survey_id)
    return Metrics(since=since, until=until, summary=summary)


def _survey_id(session: Session, key: str) -> int:
    survey = surveys.get_by_key(session=session, key=key)
    if survey is None:
        raise InvalidInput(
            f"no survey with key {key!r}: trend names a closeloop survey", field="trend"
        )
    return survey.id


def _with_relations(statement: Select[Response]) -> Select[Response]:
    return statement.options(selectinload(Response.survey), selectinload(Response.contact))
