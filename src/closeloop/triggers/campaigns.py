"""Campaigns: a one-off survey to an audience, throttled, between two dates, pausable.

Each planner tick refills the campaign's budget (:mod:`closeloop.triggers.pacing`) and
takes at most that many people from the audience, in contact id order after the last one
taken, through the policy like every other trigger (earliest: now). The progress row is
locked for the tick, so two planners never take the same people; the cursor and the
budget move in the same transaction as the invitations they paid for.

A paused campaign earns nothing: its ``budget_at`` moves on without a refill, so resuming
carries on from the cursor at the normal pace instead of catching up in a burst.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.contacts.bulk import insert_ignoring_duplicates
from closeloop.errors import Conflict, NotFound
from closeloop.triggers import audience, enrolment, pacing, rules
from closeloop.triggers.deciding import Firing
from closeloop.triggers.definitions import CampaignRule, parse_rule
from closeloop.triggers.engine import CompiledRule, RuleSet
from closeloop.triggers.models import CampaignProgress, Decision, Outcome, Rule, RuleKind

RUNNING: Final = "running"
PAUSED: Final = "paused"
FINISHED: Final = "finished"
# shown before the first tick has made a progress row
SCHEDULED: Final = "scheduled"


@dataclass(frozen=True)
class CampaignStatus:
    key: str
    status: str
    enabled: bool
    rate_per_hour: int
    starts_at: datetime
    ends_at: datetime | None
    enrolled: int
    skipped: int
    # people the campaign may take right now (fractions build up to the next one)
    budget: float
    last_run: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class Tick:
    decisions: list[Decision]
    taken: int


def tick(
    *,
    session: Session,
    rule: CompiledRule,
    ruleset: RuleSet,
    settings: Settings,
    now: datetime,
) -> Tick:
    """Take the people the budget allows now, in the caller's transaction."""
    definition = rule.definition
    assert isinstance(definition, CampaignRule)
    if now < definition.starts_at:
        return Tick([], 0)
    progress = _lock(session, rule.id, now)
    if progress.status == FINISHED:
        return Tick([], 0)
    progress.updated_at = now
    ended = definition.ends_at is not None and now >= definition.ends_at
    if progress.status == PAUSED:
        progress.budget_at = now  # a paused campaign earns nothing
        if ended:
            _finish(progress, now)
        return Tick([], 0)
    # the last tick after the end still takes what was earned until the end
    budget = _budget(progress, definition, min(now, definition.ends_at or now))
    progress.budget, progress.budget_at = budget, now
    wanted = pacing.takeable(budget)
    if wanted == 0:
        if ended:
            _finish(progress, now)
        return Tick([], 0)
    members = audience.select_audience(
        session,
        audience.compile_audience(definition.audience),
        after_id=progress.last_contact_id,
        limit=wanted,
    )
    firings = {
        member.contact_id: [Firing(rule=rule, earliest=now, context={"campaign": rule.key})]
        for member in members
    }
    decisions = enrolment.enrol(
        session=session, firings=firings, ruleset=ruleset, settings=settings, now=now
    )
    enrolled = sum(
        1 for d in decisions if d.rule_id == rule.id and d.outcome == Outcome.SCHEDULED.value
    )
    progress.enrolled += enrolled
    progress.skipped += len(members) - enrolled
    progress.budget = budget - len(members)
    if members:
        progress.last_contact_id = members[-1].contact_id
    if ended or len(members) < wanted:
        _finish(progress, now)
    return Tick(decisions, len(members))


def pause(*, session: Session, key: str, now: datetime) -> CampaignStatus:
    """Stop taking people; what was earned until now is kept, nothing more accrues."""
    rule, definition = _campaign(session, key)
    progress = _lock(session, rule.id, now)
    _refuse_if_finished(progress, key)
    if progress.status == RUNNING:
        if now >= definition.starts_at:
            progress.budget = _budget(progress, definition, now)
        progress.status, progress.budget_at, progress.updated_at = PAUSED, now, now
    return _status(rule.key, rule.enabled, definition, progress)


def resume(*, session: Session, key: str, now: datetime) -> CampaignStatus:
    """Carry on from where the campaign stopped, at its normal pace (no catching up)."""
    rule, definition = _campaign(session, key)
    progress = _lock(session, rule.id, now)
    _refuse_if_finished(progress, key)
    if progress.status == PAUSED:
        progress.status, progress.budget_at, progress.updated_at = RUNNING, now, now
    return _status(rule.key, rule.enabled, definition, progress)


def status(*, session: Session, key: str) -> CampaignStatus:
    rule, definition = _campaign(session, key)
    return _status(rule.key, rule.enabled, definition, session.get(CampaignProgress, rule.id))


def _campaign(session: Session, key: str) -> tuple[Rule, CampaignRule]:
    rule = rules.get_or_404(session=session, key=key)
    if rule.kind != RuleKind.CAMPAIGN:
        raise NotFound(f"rule {key!r} is a {rule.kind} rule, not a campaign", field="key")
    definition = parse_rule(rule.definition)
    assert isinstance(definition, CampaignRule)
    return rule, definition


def _lock(session: Session, rule_id: int, now: datetime) -> CampaignProgress:
    """The campaign's progress row, made if new and locked for this transaction."""
    session.execute(
        insert_ignoring_duplicates(session, CampaignProgress),
        [
            {
                "rule_id": rule_id,
                "status": RUNNING,
                "last_contact_id": 0,
                "enrolled": 0,
                "skipped": 0,
                "budget": 0.0,
                "budget_at": None,
                "finished_at": None,
                "updated_at": now,
            }
        ],
    )
    query = (
        select(CampaignProgress)
        .where(CampaignProgress.rule_id == rule_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).one()


def _budget(progress: CampaignProgress, definition: CampaignRule, now: datetime) -> float:
    """The budget refilled up to ``now``; nothing is earned before the start."""
    since = definition.starts_at
    if progress.budget_at is not None:
        since = max(since, progress.budget_at)
    return pacing.refilled(
        budget=progress.budget, since=since, now=now, rate_per_hour=definition.rate_per_hour
    )


def _finish(progress: CampaignProgress, now: datetime) -> None:
    progress.status, progress.finished_at, progress.updated_at = FINISHED, now, now


def _refuse_if_finished(progress: CampaignProgress, key: str) -> None:
    if progress.status == FINISHED:
        raise Conflict(f"campaign {key!r} has finished", field="key")


def _status(
    key: str, enabled: bool, definition: CampaignRule, progress: CampaignProgress | None
) -> CampaignStatus:
    return CampaignStatus(
        key=key,
        status=progress.status if progress is not None else SCHEDULED,
        enabled=enabled,
        rate_per_hour=definition.rate_per_hour,
        starts_at=definition.starts_at,
        ends_at=definition.ends_at,
        enrolled=progress.enrolled if progress is not None else 0,
        skipped=progress.skipped if progress is not None else 0,
        budget=progress.budget if progress is not None else 0.0,
        last_run=progress.updated_at if progress is not None else None,
        finished_at=progress.finished_at if progress is not None else None,
    )
