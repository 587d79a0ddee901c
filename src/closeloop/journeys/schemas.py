"""The journey map's API shapes, also the shapes a playbook's stages and touchpoints take.

Keys are what rules, invitations and responses refer to, so they follow the rule key
spelling (lower-case letters, digits, ``-`` and ``_``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from closeloop.journeys.models import Stage, Touchpoint
from closeloop.triggers.definitions import Key

MAX_STAGES = 50
MAX_EVENTS_PER_TOUCHPOINT = 50

# an event name as the intake stores it; one line, so a typo'd newline is an error here
EventName = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]+$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class StageIn(BaseModel):
    """One stage of the journey; the list they come in gives their order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Key
    name: Name


class StagesIn(BaseModel):
    """The whole ordered list of stages (``PUT /api/v1/journey/stages``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "stages": [
                        {"key": "awareness", "name": "Awareness"},
                        {"key": "consideration", "name": "Consideration"},
                        {"key": "purchase", "name": "Purchase"},
                        {"key": "retention", "name": "Retention"},
                        {"key": "advocacy", "name": "Advocacy"},
                    ]
                }
            ]
        },
    )

    stages: list[StageIn] = Field(min_length=1, max_length=MAX_STAGES)

    @field_validator("stages")
    @classmethod
    def _keys_once(cls, stages: list[StageIn]) -> list[StageIn]:
        seen: set[str] = set()
        for stage in stages:
            if stage.key in seen:
                raise ValueError(f"stage {stage.key!r} is listed twice")
            seen.add(stage.key)
        return stages


class TouchpointUpdate(BaseModel):
    """Everything about a touchpoint but its key (``PUT`` replaces all of it)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "Customer support",
                    "stage": "retention",
                    "description": "A support ticket was solved.",
                    "events": ["Ticket Solved", "Ticket Reopened"],
                }
            ]
        },
    )

    name: Name
    stage: Key = Field(description="The key of the stage it belongs to.")
    description: str | None = Field(default=None, max_length=2_000)
    events: list[EventName] = Field(
        default_factory=list,
        max_length=MAX_EVENTS_PER_TOUCHPOINT,
        description="The event names that mark this touchpoint; each marks one touchpoint.",
    )

    @field_validator("events")
    @classmethod
    def _events_once(cls, events: list[str]) -> list[str]:
        if len(set(events)) != len(events):
            duplicate = next(name for name in events if events.count(name) > 1)
            raise ValueError(f"event {duplicate!r} is listed twice")
        return events


class TouchpointCreate(TouchpointUpdate):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key": "support",
                    "name": "Customer support",
                    "stage": "retention",
                    "description": "A support ticket was solved.",
                    "events": ["Ticket Solved", "Ticket Reopened"],
                }
            ]
        },
    )

    key: Key

    def without_key(self) -> TouchpointUpdate:
        return TouchpointUpdate.model_validate(self.model_dump(exclude={"key"}))


class TouchpointRead(BaseModel):
    key: str
    name: str
    stage: str
    description: str | None
    events: list[str]

    @classmethod
    def of(cls, touchpoint: Touchpoint) -> TouchpointRead:
        return cls(
            key=touchpoint.key,
            name=touchpoint.name,
            stage=touchpoint.stage.key,
            description=touchpoint.description,
            events=list(touchpoint.events or ()),
        )


class StageRead(BaseModel):
    key: str
    name: str
    position: int
    touchpoints: list[TouchpointRead]

    @classmethod
    def of(cls, stage: Stage) -> StageRead:
        """The stage with its touchpoints in the order they were added."""
        touchpoints = sorted(stage.touchpoints, key=lambda touchpoint: touchpoint.id)
        return cls(
            key=stage.key,
            name=stage.name,
            position=stage.position,
            touchpoints=[TouchpointRead.of(touchpoint) for touchpoint in touchpoints],
        )


class JourneyRead(BaseModel):
    """The journey map: stages in order, each with its touchpoints."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "stages": [
                        {
                            "key": "purchase",
                            "name": "Purchase",
                            "position": 2,
                            "touchpoints": [
                                {
                                    "key": "onboarding",
                                    "name": "Onboarding",
                                    "stage": "purchase",
                                    "description": "The first weeks after signing up.",
                                    "events": ["Signed Up"],
                                }
                            ],
                        }
                    ]
                }
            ]
        }
    )

    stages: list[StageRead]

    @classmethod
    def of(cls, stages: list[Stage]) -> JourneyRead:
        return cls(stages=[StageRead.of(stage) for stage in stages])
