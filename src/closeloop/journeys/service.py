"""The journey map as a CX lead edits it: ordered stages, touchpoints and their events.

Two rules keep the map readable by the trigger engine and by reports: an event name
marks at most one touchpoint (else "which touchpoint was this survey?" has two answers),
and a stage goes only once it has no touchpoints left (they would lose their stage).
Invitations and responses copy the keys when they are made, so editing the map never
rewrites what was already reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from closeloop.errors import Conflict, InvalidInput, NotFound
from closeloop.journeys.models import Stage, Touchpoint
from closeloop.journeys.schemas import StageIn, TouchpointCreate, TouchpointUpdate
from closeloop.triggers import rules


def list_stages(*, session: Session) -> list[Stage]:
    """The stages in journey order, their touchpoints loaded."""
    query = (
        select(Stage).options(selectinload(Stage.touchpoints)).order_by(Stage.position, Stage.id)
    )
    return list(session.scalars(query))


def get_touchpoint(*, session: Session, key: str) -> Touchpoint | None:
    return session.scalar(
        select(Touchpoint).options(selectinload(Touchpoint.stage)).where(Touchpoint.key == key)
    )


def get_touchpoint_or_404(*, session: Session, key: str) -> Touchpoint:
    touchpoint = get_touchpoint(session=session, key=key)
    if touchpoint is None:
        raise NotFound(f"no touchpoint with key {key!r}", field="key")
    return touchpoint


def replace_stages(*, session: Session, stages: Sequence[StageIn], now: datetime) -> list[Stage]:
    """Make the journey exactly these stages, in this order.

    Stages left out are deleted, unless touchpoints still belong to them (409): moving
    or deleting those touchpoints is a decision the caller makes, not a side effect.
    """
    wanted = {stage.key for stage in stages}
    existing = list_stages(session=session)
    for stage in existing:
        if stage.key not in wanted and stage.touchpoints:
            keys = ", ".join(sorted(touchpoint.key for touchpoint in stage.touchpoints))
            raise Conflict(
                f"stage {stage.key!r} still has touchpoints ({keys}): move or delete them first",
                field="stages",
            )
    for stage in existing:
        if stage.key not in wanted:
            session.delete(stage)
    session.flush()
    _place(session, stages, others=[], now=now)
    return list_stages(session=session)


def merge_stages(*, session: Session, stages: Sequence[StageIn], now: datetime) -> list[Stage]:
    """Create or rename these stages and put them first, in this order.

    Stages not listed keep their touchpoints and follow in their current order: a
    playbook brings its journey without deleting what the user added.
    """
    wanted = {stage.key for stage in stages}
    others = [stage for stage in list_stages(session=session) if stage.key not in wanted]
    _place(session, stages, others=others, now=now)
    return list_stages(session=session)


def _place(
    session: Session, stages: Sequence[StageIn], *, others: Sequence[Stage], now: datetime
) -> None:
    found = {stage.key: stage for stage in session.scalars(select(Stage))}
    for position, stage_in in enumerate(stages):
        stage = found.get(stage_in.key)
        if stage is None:
            session.add(
                Stage(key=stage_in.key, name=stage_in.name, position=position, created_at=now)
            )
            continue
        if stage.name != stage_in.name:
            stage.name = stage_in.name
        if stage.position != position:
            stage.position = position
    for position, stage in enumerate(others, start=len(stages)):
        if stage.position != position:
            stage.position = position
    session.flush()


def create_touchpoint(
    *, session: Session, touchpoint_in: TouchpointCreate, now: datetime
) -> Touchpoint:
    """A new touchpoint; its key must be free (409 naming ``key`` otherwise)."""
    taken = Conflict(f"a touchpoint with key {touchpoint_in.key!r} already exists", field="key")
    if get_touchpoint(session=session, key=touchpoint_in.key) is not None:
        raise taken
    stage = _stage_of(session, touchpoint_in)
    _check_events_free(session, touchpoint_in.events, key=touchpoint_in.key)
    touchpoint = Touchpoint(
        key=touchpoint_in.key,
        name=touchpoint_in.name,
        description=touchpoint_in.description,
        stage_id=stage.id,
        events=list(touchpoint_in.events),
        created_at=now,
    )
    # a savepoint, so losing a race for the key leaves the caller's transaction usable
    try:
        with session.begin_nested():
            session.add(touchpoint)
    except IntegrityError:
        raise taken from None
    session.refresh(touchpoint, ["stage"])
    return touchpoint


def update_touchpoint(*, session: Session, key: str, touchpoint_in: TouchpointUpdate) -> Touchpoint:
    """Replace a touchpoint's name, stage, description and events."""
    touchpoint = get_touchpoint_or_404(session=session, key=key)
    stage = _stage_of(session, touchpoint_in)
    _check_events_free(session, touchpoint_in.events, key=key)
    touchpoint.name = touchpoint_in.name
    touchpoint.description = touchpoint_in.description
    touchpoint.stage_id = stage.id
    touchpoint.events = list(touchpoint_in.events)
    session.flush()
    session.refresh(touchpoint, ["stage"])
    return touchpoint


def delete_touchpoint(*, session: Session, key: str) -> None:
    """Delete a touchpoint no rule names (a rule's surveys would lose their place)."""
    touchpoint = get_touchpoint_or_404(session=session, key=key)
    users = [
        rule.key
        for rule in rules.list_(session=session)
        if rule.definition.get("touchpoint") == key
    ]
    if users:
        raise Conflict(
            f"touchpoint {key!r} is named by rules {', '.join(users)}: change them first",
            field="key",
        )
    session.delete(touchpoint)
    session.flush()


def _stage_of(session: Session, touchpoint_in: TouchpointUpdate) -> Stage:
    stage = session.scalar(select(Stage).where(Stage.key == touchpoint_in.stage))
    if stage is None:
        raise InvalidInput(f"no stage with key {touchpoint_in.stage!r}", field="stage")
    return stage


def _check_events_free(session: Session, events: Sequence[str], *, key: str) -> None:
    """Each event marks one touchpoint: refuse an event another touchpoint has."""
    if not events:
        return
    claimed = {
        name: other
        for other, names in session.execute(
            select(Touchpoint.key, Touchpoint.events).where(Touchpoint.key != key)
        )
        for name in names or ()
    }
    for index, name in enumerate(events):
        if name in claimed:
            raise Conflict(
                f"event {name!r} already marks touchpoint {claimed[name]!r}",
                field=f"events.{index}",
            )
