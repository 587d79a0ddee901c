"""Reading the journey map where invitations are made: touchpoint → stage, event → touchpoint."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.journeys.models import Stage, Touchpoint


@dataclass(frozen=True)
class JourneyMap:
    stage_of_touchpoint: dict[str, str]
    touchpoint_of_event: dict[str, str]

    def place(
        self, touchpoint: str | None, event_name: str | None
    ) -> tuple[str | None, str | None]:
        """(touchpoint, stage) of an invitation: the rule's touchpoint, else the one its
        event marks; the stage follows from the touchpoint."""
        if touchpoint is None and event_name is not None:
            touchpoint = self.touchpoint_of_event.get(event_name)
        stage = self.stage_of_touchpoint.get(touchpoint) if touchpoint is not None else None
        return touchpoint, stage


def load(*, session: Session) -> JourneyMap:
    rows = session.execute(
        select(Touchpoint.key, Touchpoint.events, Stage.key).join(
            Stage, Touchpoint.stage_id == Stage.id
        )
    ).all()
    stage_of_touchpoint: dict[str, str] = {}
    touchpoint_of_event: dict[str, str] = {}
    for touchpoint, events, stage in rows:
        stage_of_touchpoint[touchpoint] = stage
        for name in events or ():
            touchpoint_of_event.setdefault(name, touchpoint)
    return JourneyMap(stage_of_touchpoint, touchpoint_of_event)
