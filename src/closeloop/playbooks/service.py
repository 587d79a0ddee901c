"""Applying a playbook: its stages, touchpoints, surveys and rules, all or nothing.

Applying is idempotent: what already matches is left alone (a rule keeps its version), so
a playbook can be applied again after an upgrade to pick up what changed. What a playbook
writes, it owns, with two exceptions that belong to the user:

- a rule's on/off switch: a rule the user switched off stays off when the playbook is
  applied again (and one switched on stays on);
- a survey's fields the playbook leaves out (its product name, whether it is active).

A survey the playbook names is brought to the playbook's wording; to keep wording of your
own, give your survey another key or apply your own copy of the playbook file. A survey
never changes its kind (its answers would be read on another scale), so that is refused.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from closeloop.errors import ClosedLoopError, Conflict
from closeloop.journeys import service as journeys
from closeloop.journeys.schemas import TouchpointCreate, TouchpointUpdate
from closeloop.playbooks.parsing import InvalidPlaybook, Playbook, PlaybookProblem
from closeloop.surveys import service as surveys
from closeloop.surveys.schemas import SurveyCreate
from closeloop.triggers import rules
from closeloop.triggers.definitions import AnyRule

# the survey fields a playbook may write; what it leaves out stays as the user set it
SURVEY_FIELDS = (
    "name",
    "product_name",
    "question",
    "follow_up_question",
    "email_subject",
    "active",
)


class Change(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Changes:
    """The keys of one part of the playbook, by what applying did to them."""

    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApplySummary:
    playbook: str
    stages: Changes
    touchpoints: Changes
    surveys: Changes
    rules: Changes

    def parts(self) -> dict[str, Changes]:
        return {
            "stages": self.stages,
            "touchpoints": self.touchpoints,
            "surveys": self.surveys,
            "rules": self.rules,
        }


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


_Item = TypeVar("_Item", bound=_Keyed)


def apply(*, session: Session, playbook: Playbook, now: datetime) -> ApplySummary:
    """Bring the database to the playbook; what changed, part by part.

    Runs in a savepoint of the caller's transaction. Every item is tried, so the error
    lists every conflict with the database (a survey of another kind, an event another
    touchpoint has, a rule of another kind), each at its line; then the savepoint is
    rolled back and :class:`InvalidPlaybook` raised: nothing of the playbook stays.
    """
    problems: list[PlaybookProblem] = []
    origin = f"playbook:{playbook.name}"
    with session.begin_nested():
        stage_changes = _apply_stages(session, playbook, now)
        before = _free_moved_events(session, playbook.touchpoints)
        summary = ApplySummary(
            playbook=playbook.name,
            stages=stage_changes,
            touchpoints=_each(
                playbook,
                "touchpoints",
                playbook.touchpoints,
                lambda spec: _apply_touchpoint(session, spec, before.get(spec.key), now),
                problems,
            ),
            surveys=_each(
                playbook,
                "surveys",
                playbook.surveys,
                lambda spec: _apply_survey(session, spec, now),
                problems,
            ),
            rules=_each(
                playbook,
                "rules",
                playbook.rules,
                lambda rule: _apply_rule(session, rule, origin, now),
                problems,
            ),
        )
        if problems:
            raise InvalidPlaybook(problems)
    return summary


def _each(
    playbook: Playbook,
    part: str,
    items: Sequence[_Item],
    apply_one: Callable[[_Item], Change],
    problems: list[PlaybookProblem],
) -> Changes:
    """Apply every item of a part; a refusal becomes a problem at the item's line."""
    done: defaultdict[Change, list[str]] = defaultdict(list)
    for index, item in enumerate(items):
        try:
            done[apply_one(item)].append(item.key)
        except ClosedLoopError as error:
            path = f"{part}.{index}.{error.field}" if error.field else f"{part}.{index}"
            problems.append(playbook.where.problem(path, error.detail))
    return _changes(done)


def _changes(done: dict[Change, list[str]]) -> Changes:
    return Changes(
        created=tuple(done.get(Change.CREATED, ())),
        updated=tuple(done.get(Change.UPDATED, ())),
        unchanged=tuple(done.get(Change.UNCHANGED, ())),
    )


def _apply_stages(session: Session, playbook: Playbook, now: datetime) -> Changes:
    before = {
        stage.key: (stage.name, stage.position) for stage in journeys.list_stages(session=session)
    }
    after = journeys.merge_stages(session=session, stages=playbook.stages, now=now)
    done: defaultdict[Change, list[str]] = defaultdict(list)
    for stage in after[: len(playbook.stages)]:
        was = before.get(stage.key)
        if was is None:
            done[Change.CREATED].append(stage.key)
        else:
            moved = was != (stage.name, stage.position)
            done[Change.UPDATED if moved else Change.UNCHANGED].append(stage.key)
    return _changes(done)


def _free_moved_events(
    session: Session, specs: Sequence[TouchpointCreate]
) -> dict[str, TouchpointUpdate]:
    """The playbook's touchpoints as they were; meanwhile, the events they are to lose are
    taken from them first, so an event moving between two of them is not refused as taken."""
    before: dict[str, TouchpointUpdate] = {}
    for spec in specs:
        touchpoint = journeys.get_touchpoint(session=session, key=spec.key)
        if touchpoint is None:
            continue
        current = TouchpointUpdate(
            name=touchpoint.name,
            stage=touchpoint.stage.key,
            description=touchpoint.description,
            events=list(touchpoint.events or ()),
        )
        before[spec.key] = current
        kept = [name for name in current.events if name in spec.events]
        if kept != current.events:
            narrowed = current.model_copy(update={"events": kept})
            journeys.update_touchpoint(session=session, key=spec.key, touchpoint_in=narrowed)
    return before


def _apply_touchpoint(
    session: Session, spec: TouchpointCreate, before: TouchpointUpdate | None, now: datetime
) -> Change:
    if before is None:
        journeys.create_touchpoint(session=session, touchpoint_in=spec, now=now)
        return Change.CREATED
    wanted = spec.without_key()
    if before == wanted:  # then no event was taken from it either
        return Change.UNCHANGED
    journeys.update_touchpoint(session=session, key=spec.key, touchpoint_in=wanted)
    return Change.UPDATED


def _apply_survey(session: Session, spec: SurveyCreate, now: datetime) -> Change:
    survey = surveys.get_by_key(session=session, key=spec.key)
    if survey is None:
        surveys.create(session=session, survey_in=spec, now=now)
        return Change.CREATED
    if survey.kind != spec.kind.value:
        raise Conflict(
            f"survey {spec.key!r} exists as a {survey.kind} survey and keeps its kind "
            "(its answers are on that scale); give this survey another key",
            field="kind",
        )
    written = [
        name
        for name in SURVEY_FIELDS
        if name in spec.model_fields_set and getattr(survey, name) != getattr(spec, name)
    ]
    for name in written:
        setattr(survey, name, getattr(spec, name))
    return Change.UPDATED if written else Change.UNCHANGED


def _apply_rule(session: Session, rule: AnyRule, origin: str, now: datetime) -> Change:
    existing = rules.get(session=session, key=rule.key)
    if existing is not None:
        rule = rule.model_copy(update={"enabled": existing.enabled})
    _, changed = rules.save(session=session, data=rule, now=now, origin=origin)
    if existing is None:
        return Change.CREATED
    return Change.UPDATED if changed else Change.UNCHANGED
