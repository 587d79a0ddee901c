"""Turning rules that fired into invitations and recorded decisions, in the caller's
transaction. The one door every trigger kind goes through: events, date traits,
recurring slots and campaigns.

The people concerned are locked first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's
writer already holds the database lock), so two processes handling events for one
person at once cannot both see "nothing pending" and schedule two surveys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.contacts.models import Account, Contact
from closeloop.invitations import eligibility
from closeloop.invitations import service as invitations
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.journeys import lookup as journeys
from closeloop.policy.fatigue import PastInvitation
from closeloop.policy.windows import holiday_checker, resolve_zone
from closeloop.surveys.models import Survey
from closeloop.triggers.deciding import Firing, Pending, PersonState, Verdict, decide
from closeloop.triggers.engine import RuleSet
from closeloop.triggers.models import Decision, Outcome, Reason

PENDING_STATES = (InvitationState.SCHEDULED.value, InvitationState.SENDING.value)
SENT_STATES = (InvitationState.SENT.value, InvitationState.ANSWERED.value)


@dataclass(frozen=True)
class People:
    """The locked contacts of one enrolment and their accounts."""

    contacts: Mapping[int, Contact]
    accounts: Mapping[int, Account]

    def account_of(self, contact: Contact) -> Account | None:
        return self.accounts.get(contact.account_id) if contact.account_id else None


def lock_people(*, session: Session, contact_ids: Iterable[int]) -> People:
    """Lock and load these contacts (in id order, so two lockers never deadlock)."""
    ids = sorted(set(contact_ids))
    found = session.scalars(
        select(Contact).where(Contact.id.in_(ids)).order_by(Contact.id).with_for_update()
    ).all()
    contacts = {contact.id: contact for contact in found}
    account_ids = {c.account_id for c in found if c.account_id is not None}
    accounts = (
        {a.id: a for a in session.scalars(select(Account).where(Account.id.in_(account_ids)))}
        if account_ids
        else {}
    )
    return People(contacts, accounts)


def enrol(
    *,
    session: Session,
    firings: Mapping[int, Sequence[Firing]],
    ruleset: RuleSet,
    settings: Settings,
    now: datetime,
    people: People | None = None,
) -> list[Decision]:
    """Decide every firing, per person; schedule the winners and record every decision."""
    if not firings:
        return []
    people = people or lock_people(session=session, contact_ids=firings)
    surveys = {survey.key: survey for survey in session.scalars(select(Survey))}
    active = frozenset(key for key, survey in surveys.items() if survey.active)
    key_of_survey = {survey.id: key for key, survey in surveys.items()}
    history = _history(session, firings.keys(), key_of_survey, now, settings)
    pending = _pending(session, firings.keys(), ruleset)
    journey = journeys.load(session=session)
    decisions: list[Decision] = []
    for contact_id, contact_firings in firings.items():
        contact = people.contacts.get(contact_id)
        if contact is None:  # erased meanwhile: nobody left to survey or to explain to
            continue
        person = _person(
            contact,
            people.account_of(contact),
            settings,
            history.get(contact_id, ()),
            pending.get(contact_id),
        )
        verdicts = decide(
            contact_firings, person, now=now, policy=settings.fatigue_policy, active_surveys=active
        )
        for verdict in verdicts:
            decisions.extend(
                _carry_out(
                    session,
                    verdict=verdict,
                    contact_id=contact_id,
                    surveys=surveys,
                    journey=journey,
                    ruleset=ruleset,
                    now=now,
                )
            )
    session.add_all(decisions)
    session.flush()
    return decisions


def record(
    *,
    firing: Firing,
    contact_id: int,
    outcome: Outcome,
    reason: Reason | None,
    detail: str | None,
    now: datetime,
    invitation_id: int | None = None,
    due_at: datetime | None = None,
    until: datetime | None = None,
) -> Decision:
    """A decision row for a firing (the caller adds it to the session)."""
    return Decision(
        contact_id=contact_id,
        rule_id=firing.rule.id,
        rule_key=firing.rule.key,
        rule_version=firing.rule.version,
        event_id=firing.event_id,
        event_name=firing.event_name,
        invitation_id=invitation_id,
        outcome=outcome.value,
        reason=reason.value if reason is not None else None,
        detail=detail,
        due_at=due_at,
        until=until,
        context=dict(firing.context),
        decided_at=now,
    )


def _carry_out(
    session: Session,
    *,
    verdict: Verdict,
    contact_id: int,
    surveys: Mapping[str, Survey],
    journey: journeys.JourneyMap,
    ruleset: RuleSet,
    now: datetime,
) -> list[Decision]:
    firing = verdict.firing
    if verdict.outcome is not Outcome.SCHEDULED:
        return [
            record(
                firing=firing,
                contact_id=contact_id,
                outcome=verdict.outcome,
                reason=verdict.reason,
                detail=verdict.detail,
                now=now,
                due_at=verdict.due_at,
                until=verdict.until,
            )
        ]
    decisions = []
    if verdict.supersedes is not None:
        decisions.append(
            _supersede(
                session,
                pending=verdict.supersedes,
                winner=firing,
                contact_id=contact_id,
                ruleset=ruleset,
                now=now,
            )
        )
    rule = firing.rule
    touchpoint, stage = journey.place(rule.definition.touchpoint, firing.event_name)
    assert verdict.due_at is not None
    invitation = invitations.schedule(
        session=session,
        survey=surveys[rule.survey_key],
        contact=session.get_one(Contact, contact_id),
        due_at=verdict.due_at,
        now=now,
        channel=rule.definition.channel,
        source=f"rule:{rule.kind.value}",
        touchpoint=touchpoint,
        stage=stage,
        rule_id=rule.id,
        rule_version=rule.version,
        context=dict(firing.context),
    )
    when = "now" if verdict.due_at <= now else f"for {verdict.due_at.isoformat()}"
    decisions.append(
        record(
            firing=firing,
            contact_id=contact_id,
            outcome=Outcome.SCHEDULED,
            reason=None,
            detail=f"invitation #{invitation.id} scheduled {when}",
            now=now,
            invitation_id=invitation.id,
            due_at=verdict.due_at,
        )
    )
    return decisions


def _supersede(
    session: Session,
    *,
    pending: Pending,
    winner: Firing,
    contact_id: int,
    ruleset: RuleSet,
    now: datetime,
) -> Decision:
    """Cancel the pending invitation a higher-priority rule replaces, and say so."""
    reason = f"superseded by rule {winner.rule.key!r} (priority {winner.rule.priority})"
    invitation = invitations.cancel(
        session=session, invitation_id=pending.invitation_id, reason=reason, now=now
    )
    rule = ruleset.by_id.get(invitation.rule_id) if invitation.rule_id else None
    return Decision(
        contact_id=contact_id,
        rule_id=invitation.rule_id,
        rule_key=rule.key if rule else pending.rule_key,
        rule_version=invitation.rule_version,
        event_id=winner.event_id,
        event_name=winner.event_name,
        invitation_id=invitation.id,
        outcome=Outcome.CANCELLED.value,
        reason=Reason.SUPERSEDED.value,
        detail=reason,
        decided_at=now,
    )


def _person(
    contact: Contact,
    account: Account | None,
    settings: Settings,
    history: Sequence[PastInvitation],
    pending: Pending | None,
) -> PersonState:
    account_traits: Mapping[str, Any] = account.traits if account is not None else {}
    country = contact.traits.get("country") or account_traits.get("country")
    return PersonState(
        contact_key=str(contact.id),
        suppressed=contact.suppressed_reason,
        reachable=eligibility.reachable_channels(email=contact.email, phone=contact.phone),
        zone=resolve_zone(
            contact.time_zone,
            account.time_zone if account is not None else None,
            settings.workspace_time_zone,
        ),
        holidays=holiday_checker(
            country if isinstance(country, str) else settings.workspace_country
        ),
        history=tuple(history),
        pending=pending,
    )


def _history(
    session: Session,
    contact_ids: Iterable[int],
    key_of_survey: Mapping[int, str],
    now: datetime,
    settings: Settings,
) -> dict[int, list[PastInvitation]]:
    """Sends recent enough to block a survey from now on (older ones cannot)."""
    horizon = now - timedelta(days=max(settings.fatigue_days, settings.recontact_days))
    rows = session.execute(
        select(Invitation.contact_id, Invitation.survey_id, Invitation.sent_at).where(
            Invitation.contact_id.in_(list(contact_ids)),
            Invitation.state.in_(SENT_STATES),
            Invitation.sent_at >= horizon,
        )
    ).all()
    history: dict[int, list[PastInvitation]] = {}
    for contact_id, survey_id, sent_at in rows:
        assert sent_at is not None  # sent and answered invitations have gone out
        history.setdefault(contact_id, []).append(
            PastInvitation(survey_key=key_of_survey.get(survey_id, str(survey_id)), sent_at=sent_at)
        )
    return history


def _pending(session: Session, contact_ids: Iterable[int], ruleset: RuleSet) -> dict[int, Pending]:
    """Each person's pending invitation (the strongest, should there be several)."""
    rows = session.execute(
        select(Invitation.id, Invitation.contact_id, Invitation.rule_id, Invitation.due_at).where(
            Invitation.contact_id.in_(list(contact_ids)), Invitation.state.in_(PENDING_STATES)
        )
    ).all()
    pending: dict[int, Pending] = {}
    for invitation_id, contact_id, rule_id, due_at in rows:
        rule = ruleset.by_id.get(rule_id) if rule_id is not None else None
        candidate = Pending(
            invitation_id=invitation_id,
            rule_key=rule.key if rule is not None else None,
            priority=ruleset.priority_of(rule_id),
            due_at=due_at,
        )
        current = pending.get(contact_id)
        if current is None or (candidate.priority, -candidate.due_at.timestamp()) > (
            current.priority,
            -current.due_at.timestamp(),
        ):
            pending[contact_id] = candidate
    return pending
