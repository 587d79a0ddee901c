"""Surveys: lookup and the default NPS survey every workspace starts with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.errors import NotFound
from closeloop.surveys.models import Survey, SurveyKind

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
    if survey is None:
        survey = Survey(
            key=DEFAULT_SURVEY_KEY,
            name="Relationship NPS",
            kind=SurveyKind.NPS.value,
            product_name=product_name,
            created_at=now,
        )
        session.add(survey)
        session.flush()
    return survey
