"""Rules relative to a date trait: "60 days before the account's renewal_date".

Invitations are made just in time, never months ahead: a pending invitation blocks every
other survey for that person, so a renewal survey planned in January would silence the
onboarding and support surveys until March. Each sweep enrols the people whose target
(:mod:`closeloop.triggers.targets`) lies in ``[now - GRACE, now + LOOKAHEAD]``; the send
window then moves it to an allowed hour, and a target that passed longer ago is not sent.

The rule's :class:`PlannerMark` holds the horizon swept so far (``reached``: every target
up to it has been handled) and the instant up to which changed people were looked at. A
sweep reads, by a text comparison of the trait's day, the targets newly inside the
lookahead plus the people changed since (whose target may have moved anywhere in the
window), rechecks each exactly, and enrols those not decided yet for that same target.

Every decision of a date rule carries its target in its context (the firing's, or the
cancelled invitation's), which is how a later sweep knows the person was decided for that
target. When a trait changes so that the target moves, the rule's pending invitation for
the old target is cancelled (reason ``rescheduled``) and the new target is enrolled once
it comes into the lookahead; moving back to a target whose invitation was so cancelled
enrols it again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.contacts.models import Account, Contact
from closeloop.invitations import service as invitations
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.policy.windows import resolve_zone
from closeloop.triggers import enrolment, scheduling
from closeloop.triggers.deciding import Firing
from closeloop.triggers.definitions import DateRule
from closeloop.triggers.engine import CompiledRule, RuleSet
from closeloop.triggers.facts import person_facts
from closeloop.triggers.models import Decision, Outcome, Reason
from closeloop.triggers.targets import target_of, trait_day_bounds

JOB: Final = "date sweep"
# how far ahead invitations are made (the window may then move them a little later)
LOOKAHEAD: Final = timedelta(days=1)
# a target this recent is still sent (the planner may have been down); older is not
GRACE: Final = timedelta(days=1)
# how far before a sweep began the next one looks for changes: longer than a transaction
CHANGE_OVERLAP: Final = timedelta(minutes=5)


@dataclass(frozen=True)
class SweepStep:
    decisions: list[Decision]
    finished: bool


@dataclass(frozen=True)
class _Sweep:
    """One sweep's bounds, kept in the mark until its last batch is done."""

    # targets after `fresh_after` are new; the ones before only matter for changed people
    fresh_after: datetime
    until: datetime
    # people changed after this instant (None: every target in the window is new)
    since: datetime | None
    started: datetime
    after_id: int

    def to_json(self) -> dict[str, Any]:
        return {
            "fresh_after": self.fresh_after.isoformat(),
            "until": self.until.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "started": self.started.isoformat(),
            "after_id": self.after_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _Sweep:
        since = data["since"]
        return cls(
            fresh_after=datetime.fromisoformat(data["fresh_after"]),
            until=datetime.fromisoformat(data["until"]),
            since=datetime.fromisoformat(since) if since else None,
            started=datetime.fromisoformat(data["started"]),
            after_id=data["after_id"],
        )


@dataclass(frozen=True)
class _Candidate:
    contact_id: int
    target: datetime
    value: str


@dataclass(frozen=True)
class _Batch:
    candidates: list[_Candidate]
    # the last contact read when there may be more, else None
    last_id: int | None


def sweep_step(
    *,
    session: Session,
    rule: CompiledRule,
    ruleset: RuleSet,
    settings: Settings,
    now: datetime,
    batch_size: int,
) -> SweepStep:
    """One batch of the rule's sweep, in the caller's transaction (the mark is locked)."""
    assert isinstance(rule.definition, DateRule)
    mark = scheduling.lock_mark(session=session, rule_id=rule.id, job=JOB, now=now)
    detail = scheduling.read_detail(mark)
    fresh = detail.get("version") != rule.version
    decisions: list[Decision] = []
    if not fresh and detail.get("sweep"):
        sweep = _Sweep.from_json(detail["sweep"])
    else:
        # a new rule or version: every target in the window is new, and pending
        # invitations are checked against the rule's (maybe new) offset
        since = None if fresh else datetime.fromisoformat(detail["changes"]) - CHANGE_OVERLAP
        sweep = _Sweep(
            fresh_after=now - GRACE if fresh else max(mark.reached, now - GRACE),
            until=now + LOOKAHEAD,
            since=since,
            started=now,
            after_id=0,
        )
        decisions.extend(
            _reschedule(session=session, rule=rule, since=since, settings=settings, now=now)
        )
    batch = _candidates(
        session, rule=rule, sweep=sweep, settings=settings, now=now, limit=batch_size
    )
    decisions.extend(
        _enrol(
            session=session,
            rule=rule,
            ruleset=ruleset,
            settings=settings,
            now=now,
            candidates=_undecided(session, rule, batch.candidates),
        )
    )
    if batch.last_id is None:
        mark.reached = sweep.until
        scheduling.write_detail(
            mark, {"version": rule.version, "changes": sweep.started.isoformat(), "sweep": None}
        )
    else:
        ongoing = _Sweep(
            sweep.fresh_after, sweep.until, sweep.since, sweep.started, after_id=batch.last_id
        )
        scheduling.write_detail(
            mark,
            {
                "version": rule.version,
                "changes": detail.get("changes", sweep.started.isoformat()),
                "sweep": ongoing.to_json(),
            },
        )
    return SweepStep(decisions=decisions, finished=batch.last_id is None)


# --------------------------------------------------------------------------- finding


def _trait(rule: DateRule) -> tuple[str, tuple[str, ...]]:
    """(``contact`` or ``account``, the keys inside its traits)."""
    root, _traits, *keys = rule.trait.split(".")
    return root, tuple(keys)


def _trait_text(rule: DateRule) -> ColumnElement[Any]:
    root, keys = _trait(rule)
    column = Contact.traits if root == "contact" else Account.traits
    text: ColumnElement[Any] = column[keys[0] if len(keys) == 1 else keys].as_string()
    return text


def _trait_value(rule: DateRule, contact: Contact, account: Account | None) -> object:
    root, keys = _trait(rule)
    found: object = contact.traits if root == "contact" else (account.traits if account else {})
    for key in keys:
        found = found.get(key) if isinstance(found, Mapping) else None
    return found


def _candidates(
    session: Session,
    *,
    rule: CompiledRule,
    sweep: _Sweep,
    settings: Settings,
    now: datetime,
    limit: int,
) -> _Batch:
    """The next batch of people whose exact target is new in this sweep's window."""
    definition = rule.definition
    assert isinstance(definition, DateRule)
    earliest = now - GRACE
    text = _trait_text(definition)
    day = func.substr(text, 1, 10)
    low, high = trait_day_bounds(earliest=earliest, latest=sweep.until, offset=definition.offset)
    fresh_low, _ = trait_day_bounds(
        earliest=sweep.fresh_after, latest=sweep.until, offset=definition.offset
    )
    changed: ColumnElement[bool] = (
        func.coalesce(
            or_(Contact.updated_at > sweep.since, Account.updated_at > sweep.since), false()
        )
        if sweep.since is not None
        else false()
    )
    query = (
        select(Contact.id, text, Contact.time_zone, Account.time_zone, changed)
        .select_from(Contact)
        .outerjoin(Account, Contact.account_id == Account.id)
        .where(Contact.id > sweep.after_id, day.between(low, high), or_(day >= fresh_low, changed))
        .order_by(Contact.id)
        .limit(limit)
    )
    rows = session.execute(query).all()
    found = []
    for contact_id, value, contact_zone, account_zone, was_changed in rows:
        zone = resolve_zone(contact_zone, account_zone, settings.workspace_time_zone)
        target = target_of(value, offset=definition.offset, zone=zone)
        if target is None or not earliest <= target <= sweep.until:
            continue
        if target > sweep.fresh_after or was_changed:
            found.append(_Candidate(contact_id, target, value))
    return _Batch(found, last_id=rows[-1][0] if len(rows) == limit else None)


def _undecided(
    session: Session, rule: CompiledRule, candidates: Sequence[_Candidate]
) -> list[_Candidate]:
    """The candidates with no standing decision of this rule for their target."""
    if not candidates:
        return []
    # a decision for a target is made once it is within the lookahead, never before
    earliest = min(c.target for c in candidates) - LOOKAHEAD - timedelta(days=1)
    rows = session.execute(
        select(Decision.contact_id, Decision.outcome, Decision.reason, Decision.context)
        .where(
            Decision.rule_id == rule.id,
            Decision.contact_id.in_({c.contact_id for c in candidates}),
            Decision.decided_at >= earliest,
        )
        .order_by(Decision.id)
    ).all()
    latest: dict[tuple[int, str], tuple[str, str | None]] = {}
    for contact_id, outcome, reason, context in rows:
        # a superseded invitation's decision names no target; the one that made it does
        target = context.get("target")
        if isinstance(target, str):
            latest[contact_id, target] = (outcome, reason)
    reopened = (Outcome.CANCELLED.value, Reason.RESCHEDULED.value)
    return [
        candidate
        for candidate in candidates
        if latest.get((candidate.contact_id, candidate.target.isoformat()), reopened) == reopened
    ]


# ------------------------------------------------------------------------- deciding


def _enrol(
    *,
    session: Session,
    rule: CompiledRule,
    ruleset: RuleSet,
    settings: Settings,
    now: datetime,
    candidates: Sequence[_Candidate],
) -> list[Decision]:
    if not candidates:
        return []
    definition = rule.definition
    assert isinstance(definition, DateRule)
    people = enrolment.lock_people(session=session, contact_ids=(c.contact_id for c in candidates))
    firings: dict[int, list[Firing]] = {}
    outside: list[Decision] = []
    for candidate in candidates:
        contact = people.contacts.get(candidate.contact_id)
        if contact is None:
            continue
        firing = Firing(
            rule=rule,
            earliest=candidate.target,
            context={
                "trait": definition.trait,
                "value": candidate.value,
                "target": candidate.target.isoformat(),
            },
        )
        if rule.matches(person_facts(contact, people.account_of(contact))):
            firings[contact.id] = [firing]
        else:
            outside.append(
                enrolment.record(
                    firing=firing,
                    contact_id=contact.id,
                    outcome=Outcome.SKIPPED,
                    reason=Reason.OUTSIDE_AUDIENCE,
                    detail="the rule's conditions do not hold for this person",
                    now=now,
                )
            )
    session.add_all(outside)
    decided = enrolment.enrol(
        session=session, firings=firings, ruleset=ruleset, settings=settings, now=now, people=people
    )
    return [*outside, *decided]


def _reschedule(
    *,
    session: Session,
    rule: CompiledRule,
    since: datetime | None,
    settings: Settings,
    now: datetime,
) -> list[Decision]:
    """Cancel the rule's pending invitations whose target moved with a changed trait."""
    definition = rule.definition
    assert isinstance(definition, DateRule)
    query = (
        select(Invitation.id, Invitation.contact_id, Invitation.context)
        .join(Contact, Invitation.contact_id == Contact.id)
        .outerjoin(Account, Contact.account_id == Account.id)
        .where(
            Invitation.rule_id == rule.id,
            Invitation.state == InvitationState.SCHEDULED.value,
        )
    )
    if since is not None:
        query = query.where(or_(Contact.updated_at > since, Account.updated_at > since))
    pending = session.execute(query).all()
    if not pending:
        return []
    people = enrolment.lock_people(session=session, contact_ids=(row[1] for row in pending))
    decisions = []
    for invitation_id, contact_id, context in pending:
        contact = people.contacts.get(contact_id)
        if contact is None:
            continue
        account = people.account_of(contact)
        zone = resolve_zone(
            contact.time_zone,
            account.time_zone if account else None,
            settings.workspace_time_zone,
        )
        value = _trait_value(definition, contact, account)
        target = target_of(value, offset=definition.offset, zone=zone)
        planned_for = context.get("target")
        if target is not None and target.isoformat() == planned_for:
            continue
        why = (
            f"{definition.trait} moved the target from {planned_for} to {target.isoformat()}"
            if target is not None
            else f"{definition.trait} no longer holds a date (the target was {planned_for})"
        )
        invitation = invitations.cancel(
            session=session, invitation_id=invitation_id, reason=f"rescheduled: {why}", now=now
        )
        decisions.append(
            Decision(
                contact_id=contact_id,
                rule_id=rule.id,
                rule_key=rule.key,
                rule_version=invitation.rule_version,
                invitation_id=invitation_id,
                outcome=Outcome.CANCELLED.value,
                reason=Reason.RESCHEDULED.value,
                detail=why,
                context=dict(context),
                decided_at=now,
            )
        )
    session.add_all(decisions)
    session.flush()
    return decisions
