"""``/api/v1/campaigns/{key}``: how far a campaign has got; pause and resume it.

A campaign is created, changed and switched off like any rule (``/api/v1/rules``); these
routes handle what only a campaign has, its progress through the audience.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from closeloop.api.deps import AdminKey, ReadSessionDep, RuntimeDep, SessionDep
from closeloop.triggers import campaigns

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or not a valid one"},
    403: {"description": "The key's scope does not allow this"},
    404: {"description": "No campaign with this key"},
}
_FINISHED: dict[int | str, dict[str, Any]] = {409: {"description": "The campaign has finished"}}


class CampaignStatusOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key": "spring-check-in",
                    "status": "running",
                    "enabled": True,
                    "rate_per_hour": 500,
                    "starts_at": "2026-03-10T08:00:00Z",
                    "ends_at": "2026-03-31T00:00:00Z",
                    "enrolled": 1480,
                    "skipped": 37,
                    "budget": 0.42,
                    "last_run": "2026-03-10T11:02:30Z",
                    "finished_at": None,
                }
            ]
        }
    )

    key: str
    status: str = Field(
        description="`scheduled` (not started yet), `running`, `paused` or `finished`."
    )
    enabled: bool = Field(description="A switched-off campaign takes nobody, paused or not.")
    rate_per_hour: int
    starts_at: datetime
    ends_at: datetime | None
    enrolled: int = Field(description="People an invitation was made for.")
    skipped: int = Field(description="People the policy turned away (see their decisions).")
    budget: float = Field(description="People it may take at the next round; fractions add up.")
    last_run: datetime | None = Field(description="The last planning round, pause or resume.")
    finished_at: datetime | None

    @classmethod
    def of(cls, status: campaigns.CampaignStatus) -> CampaignStatusOut:
        return cls(
            key=status.key,
            status=status.status,
            enabled=status.enabled,
            rate_per_hour=status.rate_per_hour,
            starts_at=status.starts_at,
            ends_at=status.ends_at,
            enrolled=status.enrolled,
            skipped=status.skipped,
            budget=round(status.budget, 3),
            last_run=status.last_run,
            finished_at=status.finished_at,
        )


@router.get("/{key}", summary="A campaign's progress", responses=_RESPONSES)
def read_campaign(key: str, session: ReadSessionDep, _key: AdminKey) -> CampaignStatusOut:
    return CampaignStatusOut.of(campaigns.status(session=session, key=key))


@router.post("/{key}/pause", summary="Pause a campaign", responses={**_RESPONSES, **_FINISHED})
def pause_campaign(
    key: str, session: SessionDep, runtime: RuntimeDep, _key: AdminKey
) -> CampaignStatusOut:
    """Take nobody more until resumed; a paused campaign earns no budget meanwhile."""
    status = campaigns.pause(session=session, key=key, now=runtime.clock.now())
    return CampaignStatusOut.of(status)


@router.post(
    "/{key}/resume", summary="Resume a paused campaign", responses={**_RESPONSES, **_FINISHED}
)
def resume_campaign(
    key: str, session: SessionDep, runtime: RuntimeDep, _key: AdminKey
) -> CampaignStatusOut:
    """Carry on from the next person in the audience, at the campaign's rate (no burst)."""
    status = campaigns.resume(session=session, key=key, now=runtime.clock.now())
    return CampaignStatusOut.of(status)
