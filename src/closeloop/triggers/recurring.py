"""Recurring relationship surveys: plan each contact's slot in a period, then turn the
slots that fall due into invitations through the policy.

Planning writes one :class:`RecurringSlot` per audience member and period, at the
member's stable slot (:mod:`closeloop.triggers.periods`), ahead of time: the current
period, and the next one from a week before it starts. Rows are inserted in bulk and
ignored when they exist, so planning twice, or on two machines at once, plans once.

A period is planned in passes over the audience, in contact id order, a batch per
transaction; the pass in hand is kept in the rule's :class:`PlannerMark`, so a restart
resumes it. Once the first pass is done, later passes read only the people changed since
the previous pass began (a newcomer, or someone whose traits brought them into the
audience), a few minutes early for the transactions that were still in flight then.
Nobody is planned at a slot that has already passed: a rule created mid-quarter does not
ask everybody whose slot is behind it at once, and a newcomer waits for its next slot.
A new version of the rule (a changed audience) starts a full pass again.

Materialising claims due slots (``SKIP LOCKED`` on PostgreSQL, so planners on several
machines share them) and hands them to :func:`closeloop.triggers.enrolment.enrol`:
fatigue, pending invitations, sampling, suppression and the send window all apply, and
every outcome is a recorded decision. Someone who has left the audience since planning
is skipped with that reason.

Done slots are pruned once their period ended more than a full period ago: a quarterly
rule over a million people would otherwise add four million rows a year that nothing
reads (what happened is in ``decisions``). Planning never needs them: it only inserts
slots still ahead, in the current and next periods. The period just over is kept, to see
how it went.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import CursorResult, and_, delete, or_, select, update
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.contacts.bulk import insert_ignoring_duplicates
from closeloop.contacts.models import Account, Contact
from closeloop.triggers import audience, enrolment, scheduling
from closeloop.triggers.deciding import Firing
from closeloop.triggers.definitions import RecurringRule, period_months
from closeloop.triggers.engine import CompiledRule, RuleSet
from closeloop.triggers.facts import person_facts
from closeloop.triggers.models import (
    Decision,
    Outcome,
    PlannerMark,
    Reason,
    RecurringSlot,
    RuleKind,
)
from closeloop.triggers.periods import Period, period_containing, periods_to_plan

_JOB: Final = "recurring"
PLANNED: Final = "planned"
DONE: Final = "done"
# the next period is planned this long before it starts
PLANNING_LEAD: Final = timedelta(days=7)
# how often a planned period is looked at again for newcomers
NEWCOMER_INTERVAL: Final = timedelta(minutes=5)
# how far before a pass began the next one looks: longer than any transaction runs
CHANGE_OVERLAP: Final = timedelta(minutes=5)


@dataclass(frozen=True)
class PlanStep:
    """One batch of planning: rows inserted, and whether the period is up to date."""

    planned: int
    up_to_date: bool


@dataclass(frozen=True)
class Materialised:
    """One batch of due slots: how many were claimed, and the decisions they led to."""

    claimed: int
    decisions: list[Decision]


@dataclass(frozen=True)
class _Pass:
    """A walk through the audience in contact id order (kept in the period's mark, with
    ``after_id`` null once the walk is complete)."""

    # only people changed after this instant (None: everybody)
    since: datetime | None
    after_id: int


def periods_due(rule: CompiledRule, now: datetime) -> list[Period]:
    """The periods of ``rule`` whose slots should exist now."""
    assert isinstance(rule.definition, RecurringRule)
    return periods_to_plan(now, period_months(rule.definition.every), lead=PLANNING_LEAD)


def plan_step(
    *,
    session: Session,
    rule: CompiledRule,
    period: Period,
    now: datetime,
    batch_size: int,
) -> PlanStep:
    """Plan the next batch of ``period`` for ``rule``, in the caller's transaction."""
    assert isinstance(rule.definition, RecurringRule)
    mark = scheduling.lock_mark(session=session, rule_id=rule.id, job=_job(period), now=now)
    detail = scheduling.read_detail(mark)
    if detail.get("version") != rule.version:
        # a new period, or a new version of the rule: everybody, from the start
        mark.reached, current = now, _Pass(since=None, after_id=0)
    elif detail["after_id"] is not None:
        since = detail["since"]
        current = _Pass(datetime.fromisoformat(since) if since else None, detail["after_id"])
    elif now - mark.reached < NEWCOMER_INTERVAL:
        return PlanStep(planned=0, up_to_date=True)
    else:
        # `reached` is when the previous pass began: whoever changed since may be new
        current = _Pass(since=mark.reached - CHANGE_OVERLAP, after_id=0)
        mark.reached = now
    members = _member_ids(
        session,
        _changed_since(audience.compile_audience(rule.definition.audience), current.since),
        after_id=current.after_id,
        limit=batch_size,
    )
    planned = _insert_slots(session=session, rule=rule, period=period, contact_ids=members, now=now)
    finished = len(members) < batch_size
    after_id = None if finished else members[-1]
    scheduling.write_detail(
        mark,
        {
            "version": rule.version,
            "since": current.since.isoformat() if current.since else None,
            "after_id": after_id,
        },
    )
    return PlanStep(planned=planned, up_to_date=finished)


def forget_past_periods(*, session: Session, rule: CompiledRule, now: datetime) -> None:
    """Drop the marks of the rule's periods that are over (their slots are all planned)."""
    current = [_job(period) for period in periods_due(rule, now)]
    session.execute(
        delete(PlannerMark).where(
            PlannerMark.rule_id == rule.id,
            PlannerMark.job.like(f"{_JOB} %"),
            PlannerMark.job.not_in(current),
        )
    )


def prune_done_slots(*, session: Session, rule: CompiledRule, now: datetime, limit: int) -> int:
    """Delete up to ``limit`` done slots of the rule's periods that ended more than a
    period before ``now``; returns how many went (fewer than ``limit``: none are left).

    A bounded batch keeps the transaction short (SQLite has one writer); the subquery
    skips rows another planner holds, which it is deleting already.
    """
    assert isinstance(rule.definition, RecurringRule)
    months = period_months(rule.definition.every)
    current = period_containing(now, months)
    previous = period_containing(current.start - timedelta(days=1), months)
    batch = (
        select(RecurringSlot.id)
        .where(
            RecurringSlot.rule_id == rule.id,
            RecurringSlot.period_start < previous.start,
            RecurringSlot.state == DONE,
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = session.execute(
        delete(RecurringSlot)
        .where(RecurringSlot.id.in_(batch.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount)


def _job(period: Period) -> str:
    return f"{_JOB} {period.start:%Y-%m}"


def _insert_slots(
    *,
    session: Session,
    rule: CompiledRule,
    period: Period,
    contact_ids: Iterable[int],
    now: datetime,
) -> int:
    """Insert the slots of these contacts in ``period`` that are still ahead of ``now``;
    those already planned are left as they are. Returns how many rows were new."""
    rows = []
    for contact_id in contact_ids:
        due_at = period.slot(contact_key=str(contact_id), rule_key=rule.key)
        if due_at > now:
            rows.append({"contact_id": contact_id, "due_at": due_at})
    if not rows:
        return 0
    # the columns every row shares are bound once for the batch, not once per row
    statement = insert_ignoring_duplicates(
        session, RecurringSlot, on=("rule_id", "period_start", "contact_id")
    ).values(rule_id=rule.id, period_start=period.start, state=PLANNED)
    # SQLite counts an executemany's new rows, and runs it without building multi-row
    # VALUES (a fifth less CPU per row); psycopg's executemany does not count reliably,
    # so PostgreSQL counts the rows RETURNING gives back
    if session.get_bind().dialect.name == "sqlite":
        result = session.execute(statement, rows)
        return int(cast(CursorResult[Any], result).rowcount)
    return len(session.execute(statement.returning(RecurringSlot.id), rows).all())


def _member_ids(
    session: Session, found: audience.AudienceFilter, *, after_id: int, limit: int
) -> list[int]:
    """The next ``limit`` members' ids, in id order (fewer: there are no more).

    Planning needs nothing but the ids; when the SQL alone decides, reading only them
    saves building a million members with their traits (bench/recurring.py).
    """
    if not found.exact:
        page = audience.select_audience(session, found, after_id=after_id, limit=limit)
        return [member.contact_id for member in page]
    query = (
        select(Contact.id)
        .select_from(Contact)
        .outerjoin(Account, Contact.account_id == Account.id)
        .where(Contact.id > after_id, found.where)
        .order_by(Contact.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def _changed_since(
    found: audience.AudienceFilter, since: datetime | None
) -> audience.AudienceFilter:
    """Narrow an audience to the people whose contact or account changed after ``since``."""
    if since is None:
        return found
    changed = or_(Contact.updated_at > since, Account.updated_at > since)
    return audience.AudienceFilter(
        where=and_(found.where, changed), exact=found.exact, recheck=found.recheck
    )


def materialise(
    *,
    session: Session,
    ruleset: RuleSet,
    settings: Settings,
    now: datetime,
    limit: int,
) -> Materialised:
    """Claim up to ``limit`` due slots of enabled rules and decide them; slots end done."""
    rule_ids = [rule.id for rule in ruleset.of_kind(RuleKind.RECURRING)]
    if not rule_ids:
        return Materialised(0, [])
    slots = session.scalars(
        select(RecurringSlot)
        .where(
            RecurringSlot.state == PLANNED,
            RecurringSlot.due_at <= now,
            RecurringSlot.rule_id.in_(rule_ids),
        )
        .order_by(RecurringSlot.due_at, RecurringSlot.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not slots:
        return Materialised(0, [])
    people = enrolment.lock_people(session=session, contact_ids=(s.contact_id for s in slots))
    firings, decisions = _firings(slots, ruleset, people, now)
    session.execute(
        update(RecurringSlot)
        .where(RecurringSlot.id.in_([slot.id for slot in slots]))
        .values(state=DONE)
        .execution_options(synchronize_session=False)
    )
    session.add_all(decisions)
    decisions.extend(
        enrolment.enrol(
            session=session,
            firings=firings,
            ruleset=ruleset,
            settings=settings,
            now=now,
            people=people,
        )
    )
    return Materialised(len(slots), decisions)


def _firings(
    slots: Sequence[RecurringSlot], ruleset: RuleSet, people: enrolment.People, now: datetime
) -> tuple[dict[int, list[Firing]], list[Decision]]:
    """A firing per slot whose person is still in the audience; a decision for the others."""
    firings: dict[int, list[Firing]] = {}
    decisions: list[Decision] = []
    for slot in slots:
        contact = people.contacts.get(slot.contact_id)
        if contact is None:  # erased meanwhile
            continue
        rule = ruleset.by_id[slot.rule_id]
        firing = Firing(
            rule=rule,
            earliest=slot.due_at,
            context={
                "period_start": slot.period_start.isoformat(),
                "slot": slot.due_at.isoformat(),
            },
        )
        if rule.matches(person_facts(contact, people.account_of(contact))):
            firings.setdefault(contact.id, []).append(firing)
        else:
            decisions.append(
                enrolment.record(
                    firing=firing,
                    contact_id=contact.id,
                    outcome=Outcome.SKIPPED,
                    reason=Reason.OUTSIDE_AUDIENCE,
                    detail="no longer in the rule's audience",
                    now=now,
                )
            )
    return firings, decisions
