"""A scripted month for a small company, on both databases: exactly the invitations,
cancellations and recorded reasons that the rules and the policy call for.

Events go through ``events.service.ingest`` and ``triggers.service.process_events`` as
the API sends them; time moves on a frozen clock, and a dispatcher with the outbox
channel sends each invitation the moment it falls due (so ``sent_at`` is ``due_at``).
Every expected value is worked out by hand below from the rules, the calendar, the
zones and the public holidays, not copied from a run.

The calendar (2026): March 1 is a Sunday, so Tue 3, Wed 4, Thu 5, Fri 6, Mon 9 … Tue 31,
Wed 1 April. New York moves from EST (UTC−5) to EDT (UTC−4) on Sunday 8 March.
Asia/Kolkata is UTC+05:30 all year; India's public holidays include Ram Navami (Thu 26
March) and Mahavir Jayanti (Tue 31 March). The workspace keeps the default settings:
window Mon–Fri 09:00–17:00, zone UTC, fatigue 30 days, recontact 90 days.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.channels.models import OutboxMessage
from closeloop.channels.outbox import OutboxChannel
from closeloop.clock import FrozenClock
from closeloop.contacts import service as contacts
from closeloop.contacts.schemas import ContactIn
from closeloop.events import service as events
from closeloop.events.schemas import EventIn
from closeloop.invitations.dispatcher import Dispatcher
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.journeys.models import Stage, Touchpoint
from closeloop.responses import service as responses
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from closeloop.triggers import decisions, rules
from closeloop.triggers import service as triggers
from closeloop.triggers.models import Decision, Rule

TUE_THU_10_16 = {"days": ["tue", "wed", "thu"], "start": "10:00", "end": "16:00"}
RULES: list[dict[str, Any]] = [
    {
        "key": "onboarding",
        "name": "Onboarding, two weeks in",
        "survey": "onboarding",
        "touchpoint": "onboarding",
        "event": "Signed Up",
        "delay": "14d",
        "send_window": TUE_THU_10_16,
    },
    {
        "key": "support-csat",
        "name": "Support CSAT",
        "survey": "csat",
        "event": "Ticket Solved",
        "send_window": "none",
        "priority": 300,
        "cancel_if": [{"event": "Ticket Reopened", "same": ["ticket_id"]}],
    },
    {
        "key": "delivery",
        "name": "Delivery",
        "survey": "delivery",
        "event": "Order Delivered",
        "delay": "3d",
        "sample_percent": 50,
        "priority": 50,
    },
    {
        "key": "feature-release",
        "name": "Feature release",
        "survey": "feature",
        "event": "Feature Released",
        "delay": "7d",
        "priority": 80,
        "conditions": {"field": "account.plan", "op": "eq", "value": "pro"},
    },
]
ACME = {
    "external_id": "acme",
    "name": "Acme",
    "time_zone": "America/New_York",
    "traits": {"plan": "pro", "country": "US"},
}
BHARAT = {
    "external_id": "bharat",
    "name": "Bharat Soft",
    "traits": {"plan": "basic", "country": "IN"},
}
# in this order, so a fresh database numbers them 1 to 6 (sampling hashes the id)
PEOPLE: dict[str, dict[str, Any]] = {
    # no zone of her own: her account's, New York
    "ana": {"email": "ana@acme.test", "role": "decision_maker", "account": ACME},
    "ben": {"email": "ben@acme.test", "time_zone": "America/New_York", "account": ACME},
    "chen": {"email": "chen@acme.test", "account": ACME},  # unsubscribed before the month
    "priya": {"email": "priya@bharat.test", "time_zone": "Asia/Kolkata", "account": BHARAT},
    # no email: a phone only, and this install sends email
    "ravi": {"external_id": "ravi", "phone": "+91 98765 43210", "account": BHARAT},
    # no zone, no account: the workspace's UTC
    "dana": {"email": "dana@solo.test", "traits": {"country": "GB"}},
}


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _setup(runtime: Runtime) -> dict[str, int]:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        for key, kind in (
            ("onboarding", "nps"),
            ("csat", "csat"),
            ("delivery", "csat"),
            ("feature", "nps"),
        ):
            session.add(Survey(key=key, name=key.title(), kind=kind, created_at=now))
        purchase = Stage(key="purchase", name="Purchase", position=3, created_at=now)
        retention = Stage(key="retention", name="Retention", position=4, created_at=now)
        session.add_all([purchase, retention])
        session.flush()
        for key, stage, event in (
            ("onboarding", purchase, "Signed Up"),
            ("support", retention, "Ticket Solved"),
            ("delivery", retention, "Order Delivered"),
            ("feature_release", retention, "Feature Released"),
        ):
            session.add(
                Touchpoint(key=key, name=key, stage_id=stage.id, events=[event], created_at=now)
            )
        session.flush()
        for definition in RULES:
            rules.save(session=session, data={"kind": "event", **definition}, now=now)
        ids = {}
        for name, fields in PEOPLE.items():
            contact, _ = contacts.upsert(
                session=session, data=ContactIn.model_validate({"name": name, **fields}), now=now
            )
            ids[name] = contact.id
        contacts.unsubscribe(session=session, contact_id=ids["chen"], now=now)
    assert list(ids.values()) == [1, 2, 3, 4, 5, 6], "a fresh database numbers from 1"
    return ids


class Month:
    """The company's month: events in, time forward, due invitations out."""

    def __init__(self, runtime: Runtime, clock: FrozenClock) -> None:
        self.runtime, self.clock = runtime, clock
        self.dispatcher = Dispatcher(runtime, OutboxChannel(runtime.sessions), worker_id="month")

    def until(self, instant: datetime) -> None:
        """Move the clock to ``instant``, sending each invitation at its due time."""
        assert instant >= self.clock.now()
        while True:
            with self.runtime.read_transaction() as session:
                due = session.scalar(
                    select(Invitation.due_at)
                    .where(Invitation.state == InvitationState.SCHEDULED)
                    .order_by(Invitation.due_at)
                    .limit(1)
                )
            if due is None or due > instant:
                break
            self.clock.set(max(due, self.clock.now()))
            assert self.dispatcher.run_once() >= 1
        self.clock.set(instant)

    def post(self, *batch: EventIn) -> None:
        """Events as the API takes them: stored, then handed to the trigger engine."""
        with self.runtime.transaction() as session:
            result = events.ingest(session=session, events=batch, now=self.clock.now())
            triggers.process_events(
                session=session, events=result.stored, settings=self.runtime.settings
            )


def event(name: str, who: str, *, happened: datetime | None = None, **properties: str) -> EventIn:
    """An event about one of the people (at the clock's now unless ``happened``)."""
    person = PEOPLE[who]
    ref = {"email": person["email"]} if "email" in person else {"external_id": who}
    return EventIn.model_validate(
        {"name": name, "contact": ref, "properties": properties, "timestamp": happened}
    )


@pytest.fixture
def month(runtime: Runtime, clock: FrozenClock) -> Month:
    clock.set(at(3, 3, 9, 0))
    return Month(runtime, clock)


def test_a_month_of_events_gives_exactly_the_expected_surveys(
    runtime: Runtime, month: Month
) -> None:
    ids = _setup(runtime)
    name_of = {contact_id: name for name, contact_id in ids.items()}

    # Tue 3 Mar 10:00 — ana, chen and ravi sign up.
    # ana: +14 d = Tue 17 Mar 10:00 UTC = 06:00 EDT (after the clocks moved), before the
    #   Tue–Thu 10:00 window opens: 10:00 EDT = 14:00 UTC (it would be 15:00 under EST).
    # chen is unsubscribed; ravi has no email address.
    month.until(at(3, 3, 10))
    month.post(event("Signed Up", "ana"), event("Signed Up", "chen"), event("Signed Up", "ravi"))

    # Wed 4 Mar 09:00 — a feature ships. ben (Acme, pro): +7 d = Wed 11 Mar 09:00 UTC =
    #   05:00 EDT, the default window opens 09:00 EDT = 13:00 UTC. priya's account is on
    #   the basic plan: outside the rule's audience.
    month.until(at(3, 4, 9))
    month.post(event("Feature Released", "ben"), event("Feature Released", "priya"))

    # Thu 5 Mar 15:00 — the help desk syncs dana's ticket T-1, solved at 14:50 and reopened
    # at 14:58, in one batch: the CSAT (no window, due now) is made, then cancelled.
    month.until(at(3, 5, 15))
    month.post(
        event("Ticket Solved", "dana", ticket_id="T-1", happened=at(3, 5, 14, 50)),
        event("Ticket Reopened", "dana", ticket_id="T-1", happened=at(3, 5, 14, 58)),
    )

    # Fri 6 Mar 16:00 — ben's ticket T-8 is solved: the CSAT (priority 300) supersedes his
    # waiting feature survey (80) and goes out at once, 16:00.
    month.until(at(3, 6, 16))
    month.post(event("Ticket Solved", "ben", ticket_id="T-8"))

    # Mon 9 Mar 14:00 — ana's order arrives. She is in the delivery sample (see below);
    # her onboarding survey (100) is pending, and delivery (50) does not outrank it.
    month.until(at(3, 9, 14))
    month.post(event("Order Delivered", "ana", order_id="A-1"))

    # Tue 10 Mar 12:00 — dana's ticket T-2 is solved: CSAT sent at 12:00. Reopened at
    # 12:30: too late, it has gone; nothing is cancelled and nothing is recorded.
    month.until(at(3, 10, 12))
    month.post(event("Ticket Solved", "dana", ticket_id="T-2"))
    month.until(at(3, 10, 12, 30))
    month.post(event("Ticket Reopened", "dana", ticket_id="T-2"))

    # Thu 12 Mar 05:00 — priya signs up (10:30 in Kolkata). +14 d = Thu 26 Mar 10:30 IST,
    #   in the window's hours but Ram Navami; Fri–Mon are not window days; Tue 31 Mar is
    #   Mahavir Jayanti; so Wed 1 Apr 10:00 IST = 04:30 UTC.
    month.until(at(3, 12, 5))
    month.post(event("Signed Up", "priya"))

    # Fri 13 Mar 18:00 — ben's order arrives: he falls outside the 50 % delivery sample.
    # The sample hashes (rule, contact id): blake2b-64 of "sample␟delivery␟<id>" / 2**64 is
    # 0.316 for ana (1, in), 0.544 for ben (2, out).
    month.until(at(3, 13, 18))
    month.post(event("Order Delivered", "ben", order_id="B-1"))

    # Fri 20 Mar 15:00 — ana's second order: +3 d = Mon 23 Mar 15:00 UTC = 11:00 EDT, in
    #   the window; but her onboarding survey went out on 17 Mar 14:00, so fatigue blocks
    #   her until 16 Apr 14:00.
    month.until(at(3, 20, 15))
    month.post(event("Order Delivered", "ana", order_id="A-2"))

    # Tue 24 Mar 10:00 — ben's ticket T-11: the CSAT went to him on 6 Mar 16:00. Both limits
    #   block (fatigue to 5 Apr, recontact to 6 Mar + 90 d = 4 Jun 16:00); the later one is
    #   named.
    month.until(at(3, 24, 10))
    month.post(event("Ticket Solved", "ben", ticket_id="T-11"))

    # Fri 27 Mar 09:00 — dana signs up. +14 d = Fri 10 Apr 09:00 UTC; the next Tue–Thu
    #   10:00 in UTC is Tue 14 Apr 10:00 (no holiday in GB); her CSAT of 10 Mar 12:00 no
    #   longer blocks then (fatigue ended 9 Apr 12:00).
    month.until(at(3, 27, 9))
    month.post(event("Signed Up", "dana"))

    # Mon 30 Mar 08:00 — dana unsubscribes with the link in her 10 March email: the
    # onboarding survey waiting for 14 April is cancelled.
    month.until(at(3, 30, 8))
    with runtime.transaction() as session:
        sent_to_dana = session.scalars(
            select(Invitation.id).where(
                Invitation.contact_id == ids["dana"], Invitation.state == InvitationState.SENT
            )
        ).one()
        responses.unsubscribe(session=session, invitation_id=sent_to_dana, now=at(3, 30, 8))

    month.until(at(4, 15, 0))

    superseded = "superseded by rule 'support-csat' (priority 300)"
    reopened = "cancelled by event 'Ticket Reopened' for the same ticket_id='T-1'"
    with runtime.read_transaction() as session:
        assert _invitations(session, name_of) == [
            "ana   onboarding      onboarding/purchase        due 03-17 14:00  sent 03-17 14:00",
            f"ben   feature-release feature_release/retention  due 03-11 13:00  cancelled: {superseded}",  # noqa: E501
            f"dana  support-csat    support/retention          due 03-05 15:00  cancelled: {reopened}",  # noqa: E501
            "ben   support-csat    support/retention          due 03-06 16:00  sent 03-06 16:00",
            "dana  support-csat    support/retention          due 03-10 12:00  sent 03-10 12:00",
            "priya onboarding      onboarding/purchase        due 04-01 04:30  sent 04-01 04:30",
            "dana  onboarding      onboarding/purchase        due 04-14 10:00  cancelled: the person unsubscribed",  # noqa: E501
        ]
        assert _decisions(session, name_of) == [
            "03-03 10:00 ana   onboarding      Signed Up        scheduled due 03-17 14:00",
            "03-03 10:00 chen  onboarding      Signed Up        skipped unsubscribed",
            "03-03 10:00 ravi  onboarding      Signed Up        skipped no_address",
            "03-04 09:00 ben   feature-release Feature Released scheduled due 03-11 13:00",
            "03-04 09:00 priya feature-release Feature Released skipped outside_audience",
            "03-05 15:00 dana  support-csat    Ticket Solved    scheduled due 03-05 15:00",
            "03-05 15:00 dana  support-csat    Ticket Reopened  cancelled cancelled_by_event",
            "03-06 16:00 ben   feature-release Ticket Solved    cancelled superseded",
            "03-06 16:00 ben   support-csat    Ticket Solved    scheduled due 03-06 16:00",
            "03-09 14:00 ana   delivery        Order Delivered  skipped pending",
            "03-10 12:00 dana  support-csat    Ticket Solved    scheduled due 03-10 12:00",
            "03-12 05:00 priya onboarding      Signed Up        scheduled due 04-01 04:30",
            "03-13 18:00 ben   delivery        Order Delivered  skipped sampled_out",
            "03-20 15:00 ana   delivery        Order Delivered  skipped fatigue due 03-23 15:00 until 04-16 14:00",  # noqa: E501
            "03-24 10:00 ben   support-csat    Ticket Solved    skipped recontact due 03-24 10:00 until 06-04 16:00",  # noqa: E501
            "03-27 09:00 dana  onboarding      Signed Up        scheduled due 04-14 10:00",
        ]
        details = {
            (name_of[d.contact_id], d.reason): d.detail
            for d in session.scalars(select(Decision).where(Decision.reason.is_not(None)))
        }
        sent = [
            (message.recipient, message.created_at)
            for message in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
        dana_story = [
            record.summary
            for record in decisions.list_for_contact(session=session, contact_id=ids["dana"])
        ]
    assert details == {
        ("chen", "unsubscribed"): "the person is unsubscribed",
        ("ravi", "no_address"): "no address for the email channel",
        (
            "priya",
            "outside_audience",
        ): "the rule's conditions do not hold for this event and person",
        ("dana", "cancelled_by_event"): reopened,
        ("ben", "superseded"): superseded,
        ("ana", "pending"): (
            "invitation #1 (rule 'onboarding') is pending, due 2026-03-17T14:00:00+00:00"
        ),
        ("ben", "sampled_out"): "outside the rule's 50 % sample",
        ("ana", "fatigue"): "a survey went out on 2026-03-17; may be asked again from 2026-04-16",
        ("ben", "recontact"): "'csat' went out on 2026-03-06; may be asked again from 2026-06-04",
    }
    assert sent == [
        ("ben@acme.test", at(3, 6, 16)),
        ("dana@solo.test", at(3, 10, 12)),
        ("ana@acme.test", at(3, 17, 14)),
        ("priya@bharat.test", at(4, 1, 4, 30)),
    ]
    # "why did dana not get her onboarding survey?": one place answers it
    assert dana_story[0] == (
        "Scheduled by rule 'onboarding' v1 after 'Signed Up' for 2026-04-14 10:00 UTC; "
        "then cancelled on 2026-03-30 08:00 UTC: the person unsubscribed."
    )


def _minute(instant: datetime | None) -> str:
    return instant.strftime("%m-%d %H:%M") if instant is not None else "-"


def _invitations(session: Session, name_of: dict[int, str]) -> list[str]:
    """One line per invitation: who, rule, touchpoint/stage, due, and how it ended."""
    rule_key = dict(session.execute(select(Rule.id, Rule.key)).all())
    lines = []
    for invitation in session.scalars(select(Invitation).order_by(Invitation.id)):
        rule = rule_key[invitation.rule_id] if invitation.rule_id is not None else "-"
        journey = f"{invitation.touchpoint}/{invitation.stage}"
        ending = (
            f"sent {_minute(invitation.sent_at)}"
            if invitation.state == InvitationState.SENT
            else f"{invitation.state}: {invitation.reason}"
        )
        lines.append(
            f"{name_of[invitation.contact_id]:<5} {rule:<15} {journey:<26} "
            f"due {_minute(invitation.due_at)}  {ending}"
        )
    return lines


def _decisions(session: Session, name_of: dict[int, str]) -> list[str]:
    """One line per decision: when, who, rule, event, outcome, reason, due, until."""
    lines = []
    for decision in session.scalars(select(Decision).order_by(Decision.id)):
        line = (
            f"{_minute(decision.decided_at)} {name_of[decision.contact_id]:<5} "
            f"{decision.rule_key:<15} {decision.event_name:<16} {decision.outcome}"
        )
        if decision.reason is not None:
            line += f" {decision.reason}"
        if decision.due_at is not None:
            line += f" due {_minute(decision.due_at)}"
        if decision.until is not None:
            line += f" until {_minute(decision.until)}"
        lines.append(line)
    return lines
