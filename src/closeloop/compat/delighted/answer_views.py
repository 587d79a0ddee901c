"""``/survey_responses`` and ``/metrics`` of the Delighted-compatible API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from closeloop.api.deps import ReadSessionDep, RuntimeDep, SessionDep
from closeloop.compat.delighted import answers
from closeloop.compat.delighted.auth import AdminKey
from closeloop.compat.delighted.deps import Params
from closeloop.compat.delighted.schemas import (
    ExpandQuery,
    MetricsQuery,
    SurveyResponseChange,
    SurveyResponseIn,
    SurveyResponsesQuery,
    parse,
)
from closeloop.compat.delighted.shapes import MetricsOut, SurveyResponseOut
from closeloop.db.base import MAX_ID

ResponseId = Annotated[int, Path(ge=1, le=MAX_ID)]
router = APIRouter()


@router.post("/survey_responses", status_code=201)
def add_survey_response(
    _key: AdminKey, params: Params, session: SessionDep, runtime: RuntimeDep
) -> SurveyResponseOut:
    """Record an answer given outside closeloop's surveys, for an existing person."""
    data = parse(SurveyResponseIn, params)
    response = answers.create(
        session=session, data=data, settings=runtime.settings, now=runtime.clock.now()
    )
    return SurveyResponseOut.of(response, base_url=runtime.settings.base_url, expand_person=False)


@router.get("/survey_responses")
def list_survey_responses(
    _key: AdminKey, params: Params, session: ReadSessionDep, runtime: RuntimeDep
) -> list[SurveyResponseOut]:
    """One numbered page (``page``, ``per_page``), oldest first unless ``order`` says."""
    query = parse(SurveyResponsesQuery, params)
    expand = "person" in query.expand
    return [
        SurveyResponseOut.of(found, base_url=runtime.settings.base_url, expand_person=expand)
        for found in answers.list_(session=session, query=query)
    ]


@router.get("/survey_responses/{response_id}")
def get_survey_response(
    _key: AdminKey,
    response_id: ResponseId,
    params: Params,
    session: ReadSessionDep,
    runtime: RuntimeDep,
) -> SurveyResponseOut:
    expand = "person" in parse(ExpandQuery, params).expand
    found = answers.get(session=session, response_id=response_id)
    return SurveyResponseOut.of(found, base_url=runtime.settings.base_url, expand_person=expand)


@router.put("/survey_responses/{response_id}")
def update_survey_response(
    _key: AdminKey,
    response_id: ResponseId,
    params: Params,
    session: SessionDep,
    runtime: RuntimeDep,
) -> SurveyResponseOut:
    """Change the score, comment or person properties; whole resources are accepted, as
    the clients' ``save()`` sends them, and read-only fields are ignored."""
    change = parse(SurveyResponseChange, params)
    updated = answers.update(
        session=session, response_id=response_id, change=change, now=runtime.clock.now()
    )
    expand = "person" in parse(ExpandQuery, params).expand
    return SurveyResponseOut.of(updated, base_url=runtime.settings.base_url, expand_person=expand)


@router.get("/metrics")
def get_metrics(
    _key: AdminKey, params: Params, session: ReadSessionDep, runtime: RuntimeDep
) -> MetricsOut:
    """NPS of answers first given in the period (default: the last 30 days)."""
    query = parse(MetricsQuery, params)
    found = answers.metrics(session=session, query=query, now=runtime.clock.now())
    return MetricsOut.of(found.summary)
