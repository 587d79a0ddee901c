"""The live trigger engine: events just stored → cancellations, firings, decisions.

Runs in the ingesting transaction, so an event, the invitations it causes and the
decisions that explain them are committed together or not at all: a process killed
mid-batch loses nothing and, on the client's retry (same message ids, so the events are
duplicates and fire nothing), sends nothing twice.

Events are handled in the order they happened, so "Ticket Solved" then "Ticket
Reopened" in one batch ends with the support survey cancelled, as it would have been had
they arrived one by one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.events.records import StoredEvent
from closeloop.invitations import service as invitations
from closeloop.invitations.models import Invitation
from closeloop.triggers import enrolment, rules
from closeloop.triggers.deciding import Firing
from closeloop.triggers.engine import RuleSet, cancels
from closeloop.triggers.evaluation import Facts
from closeloop.triggers.facts import person_facts
from closeloop.triggers.models import Decision, Outcome, Reason


@dataclass(frozen=True)
class TriggerResult:
    decisions: list[Decision]

    @property
    def scheduled(self) -> int:
        return sum(1 for d in self.decisions if d.outcome == Outcome.SCHEDULED)

    @property
    def cancelled(self) -> int:
        return sum(1 for d in self.decisions if d.outcome == Outcome.CANCELLED)


def process_events(
    *, session: Session, events: Sequence[StoredEvent], settings: Settings
) -> TriggerResult:
    """Run the enabled rules over events just stored; invitations and decisions result."""
    ruleset = rules.load_ruleset(session=session, default_window=settings.default_send_window)
    relevant = sorted(
        (e for e in events if ruleset.listening_to(e.name) or e.name in ruleset.cancelled_by),
        key=lambda e: (e.occurred_at, e.id),
    )
    if not relevant:
        return TriggerResult([])
    people = enrolment.lock_people(session=session, contact_ids=(e.contact_id for e in relevant))
    decisions: list[Decision] = []
    for event in relevant:
        contact = people.contacts.get(event.contact_id)
        if contact is None:
            continue
        facts = person_facts(
            contact,
            people.account_of(contact),
            event={"name": event.name, "properties": event.properties},
        )
        decisions.extend(_cancel(session, event, facts, ruleset))
        firings: list[Firing] = []
        for rule in ruleset.listening_to(event.name):
            firing = Firing(
                rule=rule,
                earliest=event.occurred_at + rule.delay,
                event_id=event.id,
                event_name=event.name,
                context=_context(event, rule.cancel_if),
            )
            if rule.matches(facts):
                firings.append(firing)
            else:
                decisions.append(
                    enrolment.record(
                        firing=firing,
                        contact_id=contact.id,
                        outcome=Outcome.SKIPPED,
                        reason=Reason.OUTSIDE_AUDIENCE,
                        detail="the rule's conditions do not hold for this event and person",
                        now=event.received_at,
                    )
                )
        session.add_all(decisions)  # ids in the order the decisions were taken
        decisions.extend(
            enrolment.enrol(
                session=session,
                firings={contact.id: firings} if firings else {},
                ruleset=ruleset,
                settings=settings,
                now=event.received_at,
                people=people,
            )
        )
    session.add_all(decisions)
    session.flush()
    return TriggerResult(decisions)


def _context(event: StoredEvent, cancel_if: Sequence[Any]) -> dict[str, object]:
    """What the invitation keeps of its event: when it happened and the properties its
    cancel-if rules compare (``ticket_id``)."""
    keep = {name for spec in cancel_if for name in spec.same}
    return {
        "event_id": event.id,
        "event_name": event.name,
        "event_at": event.occurred_at.isoformat(),
        "properties": {k: v for k, v in event.properties.items() if k in keep},
    }


def _cancel(session: Session, event: StoredEvent, facts: Facts, ruleset: RuleSet) -> list[Decision]:
    """Cancel this person's pending invitations that this event undoes (cancel-if)."""
    hooks = ruleset.cancelled_by.get(event.name, ())
    if not hooks:
        return []
    by_rule = {hook.rule.id: hook for hook in hooks}
    pending = session.scalars(
        select(Invitation).where(
            Invitation.contact_id == event.contact_id,
            Invitation.rule_id.in_(by_rule),
            Invitation.state.in_(enrolment.PENDING_STATES),
        )
    ).all()
    decisions = []
    for invitation in pending:
        hook = by_rule[invitation.rule_id] if invitation.rule_id is not None else None
        fired_with: Mapping[str, object] = invitation.context.get("properties", {})
        fired_at = invitation.context.get("event_at")
        if hook is None or (fired_at and event.occurred_at < datetime.fromisoformat(fired_at)):
            continue  # an older event cannot undo what happened after it
        if not cancels(hook, fired_with=fired_with, event=facts):
            continue
        same = ", ".join(f"{k}={fired_with.get(k)!r}" for k in hook.spec.same)
        detail = f"cancelled by event {event.name!r}" + (f" for the same {same}" if same else "")
        invitations.cancel(
            session=session, invitation_id=invitation.id, reason=detail, now=event.received_at
        )
        decisions.append(
            Decision(
                contact_id=event.contact_id,
                rule_id=hook.rule.id,
                rule_key=hook.rule.key,
                rule_version=invitation.rule_version,
                event_id=event.id,
                event_name=event.name,
                invitation_id=invitation.id,
                outcome=Outcome.CANCELLED.value,
                reason=Reason.CANCELLED_BY_EVENT.value,
                detail=detail,
                decided_at=event.received_at,
            )
        )
    return decisions
