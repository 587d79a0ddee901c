"""``/api/v1/surveys``: list, read and create surveys (admin keys only)."""

from __future__ import annotations

from fastapi import APIRouter

from closeloop.api.deps import AdminKey, ReadSessionDep, RuntimeDep, SessionDep
from closeloop.surveys import service
from closeloop.surveys.schemas import SurveyCreate, SurveyRead

router = APIRouter(prefix="/api/v1/surveys", tags=["surveys"])


@router.get("", summary="List surveys")
def list_surveys(session: ReadSessionDep, _key: AdminKey) -> list[SurveyRead]:
    return [SurveyRead.model_validate(survey) for survey in service.list_(session=session)]


@router.post("", status_code=201, summary="Create a survey")
def create_survey(
    survey_in: SurveyCreate, session: SessionDep, runtime: RuntimeDep, _key: AdminKey
) -> SurveyRead:
    survey = service.create(session=session, survey_in=survey_in, now=runtime.clock.now())
    return SurveyRead.model_validate(survey)


@router.get("/{key}", summary="Read a survey")
def read_survey(key: str, session: ReadSessionDep, _key: AdminKey) -> SurveyRead:
    return SurveyRead.model_validate(service.get_by_key_or_404(session=session, key=key))
