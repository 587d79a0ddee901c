"""Event rules on both databases: firing, delay + window, cancel-if, policy, decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from closeloop.clock import FrozenClock
from closeloop.contacts.models import Contact
from closeloop.events import service as events
from closeloop.events.schemas import EventIn
from closeloop.invitations.models import Invitation
from closeloop.journeys.models import Stage, Touchpoint
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from closeloop.triggers import rules
from closeloop.triggers import service as triggers
from closeloop.triggers.models import Decision


def _survey(runtime: Runtime, key: str, now: datetime) -> None:
    with runtime.transaction() as session:
        session.add(Survey(key=key, name=key.title(), kind="nps", created_at=now))


def _rule(runtime: Runtime, now: datetime, **definition: Any) -> None:
    data = {"kind": "event", "name": definition["key"].title(), **definition}
    with runtime.transaction() as session:
        rules.save(session=session, data=data, now=now)


def _post(runtime: Runtime, clock: FrozenClock, name: str, email: str, **properties: Any) -> None:
    event = EventIn.model_validate(
        {"name": name, "contact": {"email": email}, "properties": properties}
    )
    with runtime.transaction() as session:
        result = events.ingest_one(session=session, event=event, now=clock.now())
        triggers.process_events(session=session, events=result.stored, settings=runtime.settings)


def _invitations(runtime: Runtime) -> list[Invitation]:
    with runtime.read_transaction() as session:
        return list(session.scalars(select(Invitation).order_by(Invitation.id)))


def _decisions(runtime: Runtime) -> list[tuple[str, str, str | None]]:
    with runtime.read_transaction() as session:
        rows = session.scalars(select(Decision).order_by(Decision.id))
        return [(d.rule_key or "", d.outcome, d.reason) for d in rows]


def test_a_delay_lands_in_the_window_on_the_recipients_clock(
    runtime: Runtime, clock: FrozenClock
) -> None:
    now = clock.now()  # Tuesday 2026-03-03 10:00 UTC
    _survey(runtime, "onboarding", now)
    with runtime.transaction() as session:
        stage = Stage(key="purchase", name="Purchase", position=0, created_at=now)
        session.add(stage)
        session.flush()
        session.add(
            Touchpoint(
                key="onboarding",
                name="Onboarding",
                stage_id=stage.id,
                events=["Signed Up"],
                created_at=now,
            )
        )
    window = {"days": ["tue", "wed", "thu"], "start": "10:00", "end": "16:00"}
    _rule(
        runtime,
        now,
        key="onboarding",
        survey="onboarding",
        event="Signed Up",
        delay="14d",
        send_window=window,
        touchpoint="onboarding",
    )
    with runtime.transaction() as session:
        session.add(
            Contact(
                email="ana@example.com",
                time_zone="America/New_York",
                created_at=now,
                updated_at=now,
            )
        )
    _post(runtime, clock, "Signed Up", "ana@example.com")
    [invitation] = _invitations(runtime)
    # 14 days later is Tuesday 2026-03-17 10:00 UTC = 06:00 in New York (EDT since Mar 8):
    # the window opens at 10:00 New York time, 14:00 UTC
    assert invitation.due_at == datetime(2026, 3, 17, 14, 0, tzinfo=UTC)
    assert (invitation.touchpoint, invitation.stage) == ("onboarding", "purchase")
    assert invitation.rule_version == 1
    assert _decisions(runtime) == [("onboarding", "scheduled", None)]


def test_ticket_reopened_cancels_the_pending_support_survey(
    runtime: Runtime, clock: FrozenClock
) -> None:
    now = clock.now()
    _survey(runtime, "support", now)
    _rule(
        runtime,
        now,
        key="support-csat",
        survey="support",
        event="Ticket Solved",
        delay="1h",
        send_window="none",
        cancel_if=[{"event": "Ticket Reopened", "same": ["ticket_id"]}],
    )
    _post(runtime, clock, "Ticket Solved", "bo@example.com", ticket_id="T-1")
    clock.advance(timedelta(minutes=10))
    _post(runtime, clock, "Ticket Reopened", "bo@example.com", ticket_id="T-2")
    assert [i.state for i in _invitations(runtime)] == ["scheduled"]
    _post(runtime, clock, "Ticket Reopened", "bo@example.com", ticket_id="T-1")
    [invitation] = _invitations(runtime)
    assert invitation.state == "cancelled"
    assert "Ticket Reopened" in (invitation.reason or "")
    assert _decisions(runtime) == [
        ("support-csat", "scheduled", None),
        ("support-csat", "cancelled", "cancelled_by_event"),
    ]


def test_competing_rules_priority_pending_and_fatigue(runtime: Runtime, clock: FrozenClock) -> None:
    now = clock.now()
    _survey(runtime, "a", now)
    _survey(runtime, "b", now)
    _rule(
        runtime,
        now,
        key="low",
        survey="a",
        event="Order Delivered",
        delay="3d",
        priority=10,
        send_window="none",
    )
    _rule(
        runtime,
        now,
        key="high",
        survey="b",
        event="Invoice Paid",
        priority=90,
        send_window="none",
        conditions={"field": "event.properties.amount", "op": "gte", "value": 100},
    )
    _post(runtime, clock, "Order Delivered", "cy@example.com")
    _post(runtime, clock, "Invoice Paid", "cy@example.com", amount=5)  # outside the rule
    _post(runtime, clock, "Invoice Paid", "cy@example.com", amount=500)  # supersedes "low"
    _post(runtime, clock, "Order Delivered", "cy@example.com")  # lower: pending wins
    states = [(i.rule_id is not None, i.state) for i in _invitations(runtime)]
    assert states == [(True, "cancelled"), (True, "scheduled")]
    assert _decisions(runtime) == [
        ("low", "scheduled", None),
        ("high", "skipped", "outside_audience"),
        ("low", "cancelled", "superseded"),
        ("high", "scheduled", None),
        ("low", "skipped", "pending"),
    ]
    # once sent, the person rests 30 days whatever fires
    with runtime.transaction() as session:
        sent = session.scalars(select(Invitation).where(Invitation.state == "scheduled")).one()
        sent.state, sent.sent_at = "sent", now
    clock.advance(timedelta(days=1))
    _post(runtime, clock, "Order Delivered", "cy@example.com")
    with runtime.read_transaction() as session:
        last = session.scalars(select(Decision).order_by(Decision.id.desc())).first()
        assert last is not None
        assert (last.reason, last.until) == ("fatigue", now + timedelta(days=30))
