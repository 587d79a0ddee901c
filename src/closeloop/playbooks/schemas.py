"""The shape of a playbook file: the journey, the surveys and the rules of one industry.

Each part has the shape its API takes, so what a CX lead learns in one place holds in
the other: stages and touchpoints as ``/api/v1/journey`` takes them, surveys as
``POST /api/v1/surveys``, rules as ``POST /api/v1/rules``. Rules stay raw here and go
through :func:`closeloop.triggers.definitions.parse_rule` one by one, the door the API
uses, so a rule's problem reads the same whichever way it came in.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from closeloop.journeys.schemas import MAX_STAGES, StageIn, TouchpointCreate
from closeloop.surveys.schemas import SurveyCreate
from closeloop.triggers.definitions import Key

MAX_TOUCHPOINTS = 200
MAX_SURVEYS = 200
MAX_RULES = 500


class PlaybookDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Key
    description: str = Field(min_length=1, max_length=2_000)
    # in journey order
    stages: list[StageIn] = Field(min_length=1, max_length=MAX_STAGES)
    touchpoints: list[TouchpointCreate] = Field(default_factory=list, max_length=MAX_TOUCHPOINTS)
    surveys: list[SurveyCreate] = Field(default_factory=list, max_length=MAX_SURVEYS)
    rules: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_RULES)
