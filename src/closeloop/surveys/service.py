"""Surveys: lookup, creation and the default NPS survey every workspace starts with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closeloop.errors import Conflict, NotFound
from closeloop.surveys.models import Survey, SurveyKind
from closeloop.surveys.schemas import SurveyCreate

DEFAULT_SURVEY_KEY = "nps"


def get_by_key(*, session: Session, key: str) -> Survey | None:
    return session.scalar(select(Survey).where(Survey.key == key))


def get_by_key_or_404(*, session: Session, key: str) -> Survey:
    survey = get_by_key(session=session, key=key)
    if survey is None:
        raise NotFound(f"no survey with key {key!r}", field="survey")
    return survey


def get_or_create_default(*, session: Session, product_name: str, now: datetime) -> Survey:
    """The relationship NPS survey, created on first use so a fresh install can send."""
    survey = get_by_key(session=session, key=DEFAULT_SURVEY_KEY)
    if survey is not None:
        return survey
    survey = Survey(
        key=DEFAULT_SURVEY_KEY,
        name="Relationship NPS",
        kind=SurveyKind.NPS.value,
        product_name=product_name,
        created_at=now,
    )
    # two first requests at once: the one that loses the race uses the winner's survey
    try:
        with session.begin_nested():
            session.add(survey)
    except IntegrityError:
        return get_by_key_or_404(session=session, key=DEFAULT_SURVEY_KEY)
    return survey


def list_(*, session: Session) -> list[Survey]:
    return list(session.scalars(select(Survey).order_by(Survey.key)))


def create(*, session: Session, survey_in: SurveyCreate, now: datetime) -> Survey:
    """A new survey; its key must be free (409 naming ``key`` otherwise)."""
    taken = Conflict(f"a survey with key {survey_in.key!r} already exists", field="key")
    if get_by_key(session=session, key=survey_in.key) is not None:
        raise taken
    survey = Survey(**survey_in.model_dump(mode="json"), created_at=now)
    # a savepoint, so losing a race for the key leaves the caller's transaction usable
    try:
        with session.begin_nested():
            session.add(survey)
    except IntegrityError:
        raise taken from None
    return survey
