"""Carrying out a survey request of ``POST /people``: the policy, the invitation, the decision.

The person is locked first (as the trigger engine locks people), so a Delighted request
and a rule firing for the same person at once cannot both find nothing pending. The
verdict comes from the pure :mod:`.requesting`; the invitation is made by the same
``invitations.schedule`` as every other survey, and the dispatcher sends it. Every
request leaves a decision, so "why did this person not get the survey I asked for?" has
the same answer in the same place as for rules (``GET /api/v1/contacts/{id}/decisions``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.compat.delighted import people, properties
from closeloop.compat.delighted.requesting import RequestVerdict, decide_request
from closeloop.compat.delighted.schemas import PersonIn, instant
from closeloop.config import Settings
from closeloop.contacts.models import Contact
from closeloop.invitations import eligibility
from closeloop.invitations import service as invitations
from closeloop.invitations.models import Invitation
from closeloop.policy.fatigue import PastInvitation
from closeloop.policy.windows import holiday_checker, resolve_zone
from closeloop.surveys import service as surveys
from closeloop.surveys.models import Survey
from closeloop.triggers import enrolment, rules
from closeloop.triggers.deciding import Pending, PersonState
from closeloop.triggers.engine import RuleSet
from closeloop.triggers.models import Decision, Outcome, Reason, Rule

# how a decision names what asked for the survey (there is no rule)
REQUEST_NAME: Final = "Delighted API: POST /people"
SOURCE: Final = "delighted"


@dataclass(frozen=True)
class Sent:
    """What ``POST /people`` did: the person, and the invitation when one was scheduled."""

    contact: Contact
    invitation: Invitation | None


def send_to_person(*, session: Session, data: PersonIn, settings: Settings, now: datetime) -> Sent:
    """Upsert the person and, unless ``send`` is false, survey them after ``delay``."""
    sorted_ = properties.sort(data.properties)
    contact = people.upsert(session=session, data=data, sorted_=sorted_, now=now)
    if not data.send:
        return Sent(contact=contact, invitation=None)
    invitation = request(
        session=session,
        contact=contact,
        channel=data.channel,
        delay=data.delay,
        context={"source": SOURCE, **sorted_.context},
        last_sent_at=instant(data.last_sent_at) if data.last_sent_at is not None else None,
        settings=settings,
        now=now,
    )
    return Sent(contact=contact, invitation=invitation)


def survey_for(*, session: Session, channel: str, settings: Settings, now: datetime) -> Survey:
    """The survey a request asks: ``delighted-<channel>`` when the workspace made one
    (shorter wording for SMS, say), else the workspace's default NPS survey."""
    specific = surveys.get_by_key(session=session, key=f"delighted-{channel}")
    if specific is not None:
        return specific
    return surveys.get_or_create_default(
        session=session, product_name=settings.product_name, now=now
    )


def request(
    *,
    session: Session,
    contact: Contact,
    channel: str,
    delay: int,
    context: Mapping[str, Any],
    last_sent_at: datetime | None,
    settings: Settings,
    now: datetime,
) -> Invitation | None:
    """Schedule the survey asked for, or record why not; the invitation, when one was made.

    ``last_sent_at`` (a survey sent before closeloop, which Delighted's clients may pass
    when syncing) counts for fatigue like a survey sent here.
    """
    survey = survey_for(session=session, channel=channel, settings=settings, now=now)
    locked = enrolment.lock_people(session=session, contact_ids=[contact.id])
    account = locked.account_of(contact)
    ruleset = rules.load_ruleset(session=session, default_window=settings.default_send_window)
    history = _history(session, contact.id, now=now, settings=settings)
    if last_sent_at is not None:
        history.append(PastInvitation(survey_key=survey.key, sent_at=last_sent_at))
    country = contact.traits.get("country") or (account.traits.get("country") if account else None)
    person = PersonState(
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
        pending=_pending(session, contact.id, ruleset),
    )
    verdict = decide_request(
        person=person,
        channel=channel,
        available_channels=eligibility.SUPPORTED_CHANNELS,
        survey_key=survey.key,
        survey_active=survey.active,
        earliest=now + timedelta(seconds=delay),
        now=now,
        window=settings.delighted_window,
        policy=settings.fatigue_policy,
    )
    return _carry_out(
        session, verdict, contact=contact, survey=survey, channel=channel, context=context, now=now
    )


def _carry_out(
    session: Session,
    verdict: RequestVerdict,
    *,
    contact: Contact,
    survey: Survey,
    channel: str,
    context: Mapping[str, Any],
    now: datetime,
) -> Invitation | None:
    if verdict.supersedes is not None:
        _supersede(session, verdict.supersedes, contact_id=contact.id, now=now)
    invitation = None
    detail = verdict.detail
    if verdict.outcome is Outcome.SCHEDULED:
        assert verdict.due_at is not None
        invitation = invitations.schedule(
            session=session,
            survey=survey,
            contact=contact,
            due_at=verdict.due_at,
            now=now,
            channel=channel,
            source=SOURCE,
            context=dict(context),
        )
        when = "now" if verdict.due_at <= now else f"for {verdict.due_at.isoformat()}"
        detail = f"invitation #{invitation.id} scheduled {when}"
    session.add(
        Decision(
            contact_id=contact.id,
            rule_id=None,
            rule_key=None,
            rule_version=None,
            event_name=REQUEST_NAME,
            invitation_id=invitation.id if invitation is not None else None,
            outcome=verdict.outcome.value,
            reason=verdict.reason.value if verdict.reason is not None else None,
            detail=detail,
            due_at=verdict.due_at,
            until=verdict.until,
            context={"source": SOURCE, "channel": channel, "survey": survey.key},
            decided_at=now,
        )
    )
    session.flush()
    return invitation


def _supersede(session: Session, pending: Pending, *, contact_id: int, now: datetime) -> None:
    """Cancel the rule's invitation this request replaces, and say so on its rule's record."""
    reason = "superseded by an explicit request (Delighted-compatible API)"
    invitation = invitations.cancel(
        session=session, invitation_id=pending.invitation_id, reason=reason, now=now
    )
    session.add(
        Decision(
            contact_id=contact_id,
            rule_id=invitation.rule_id,
            rule_key=pending.rule_key,
            rule_version=invitation.rule_version,
            event_name=REQUEST_NAME,
            invitation_id=invitation.id,
            outcome=Outcome.CANCELLED.value,
            reason=Reason.SUPERSEDED.value,
            detail=reason,
            decided_at=now,
        )
    )


def _history(
    session: Session, contact_id: int, *, now: datetime, settings: Settings
) -> list[PastInvitation]:
    """The person's sends recent enough to block a survey from now on."""
    horizon = now - timedelta(days=max(settings.fatigue_days, settings.recontact_days))
    rows = session.execute(
        select(Survey.key, Invitation.sent_at)
        .join(Survey, Survey.id == Invitation.survey_id)
        .where(
            Invitation.contact_id == contact_id,
            Invitation.state.in_(enrolment.SENT_STATES),
            Invitation.sent_at >= horizon,
        )
    ).all()
    return [PastInvitation(survey_key=key, sent_at=sent_at) for key, sent_at in rows if sent_at]


def _pending(session: Session, contact_id: int, ruleset: RuleSet) -> Pending | None:
    """The person's strongest invitation still waiting (explicit ones outrank rules)."""
    rows = session.execute(
        select(Invitation.id, Invitation.rule_id, Invitation.due_at, Rule.key)
        .outerjoin(Rule, Rule.id == Invitation.rule_id)
        .where(
            Invitation.contact_id == contact_id,
            Invitation.state.in_(enrolment.PENDING_STATES),
        )
    ).all()
    candidates = [
        Pending(
            invitation_id=invitation_id,
            rule_key=rule_key,
            priority=ruleset.priority_of(rule_id),
            due_at=due_at,
        )
        for invitation_id, rule_id, due_at, rule_key in rows
    ]
    return max(candidates, key=lambda p: (p.priority, -p.due_at.timestamp()), default=None)
