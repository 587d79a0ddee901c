"""Date-trait rules on both databases: invitations made just in time at the recipient's
local time, rescheduled when the trait moves, never for a target long gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from closeloop.clock import FrozenClock
from closeloop.contacts import service as contacts
from closeloop.contacts.models import Account, Contact
from closeloop.contacts.schemas import AccountIn
from closeloop.events import service as events
from closeloop.events.schemas import EventIn
from closeloop.invitations.models import Invitation
from closeloop.journeys.models import Stage, Touchpoint
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from closeloop.triggers import planner, rules
from closeloop.triggers.models import Decision

RENEWAL = {
    "kind": "date",
    "key": "renewal",
    "name": "Renewal, 60 days before",
    "survey": "renewal",
    "trait": "account.renewal_date",
    "offset": "-60d",
    "touchpoint": "renewal",
}


def _setup(runtime: Runtime, now: datetime, rule: dict[str, Any]) -> None:
    with runtime.transaction() as session:
        session.add(Survey(key=rule["survey"], name="Survey", kind="nps", created_at=now))
        retention = Stage(key="retention", name="Retention", position=1)
        session.add(retention)
        session.flush()
        session.add(Touchpoint(key="renewal", name="Renewal", stage_id=retention.id, events=[]))
        session.flush()
        rules.save(session=session, data=rule, now=now)


def _customer(
    runtime: Runtime, now: datetime, email: str, zone: str, **traits: Any
) -> tuple[int, int]:
    """A contact in ``zone`` and its account holding ``traits``: (contact id, account id)."""
    with runtime.transaction() as session:
        account = Account(
            external_id=email, name=email, traits=traits, created_at=now, updated_at=now
        )
        session.add(account)
        session.flush()
        contact = Contact(
            email=email, time_zone=zone, account_id=account.id, created_at=now, updated_at=now
        )
        session.add(contact)
        session.flush()
        return contact.id, account.id


def _invitations(runtime: Runtime) -> list[Invitation]:
    with runtime.read_transaction() as session:
        return list(session.scalars(select(Invitation).order_by(Invitation.id)))


def _decisions(runtime: Runtime) -> list[tuple[str, str | None, str]]:
    with runtime.read_transaction() as session:
        rows = session.scalars(select(Decision).order_by(Decision.id))
        return [(d.outcome, d.reason, d.detail or "") for d in rows]


def _decided_targets(runtime: Runtime) -> list[str | None]:
    """The target each decision, in order, was made for (from its context)."""
    with runtime.read_transaction() as session:
        rows = session.scalars(select(Decision).order_by(Decision.id))
        return [d.context.get("target") for d in rows]


def test_sixty_days_before_the_renewal_at_the_recipients_morning(
    runtime: Runtime, clock: FrozenClock
) -> None:
    _setup(runtime, clock.now(), RENEWAL)
    # renewal on 4 May: the survey is due on 5 March, from midnight in Madrid (UTC+1)
    _customer(runtime, clock.now(), "ana@example.com", "Europe/Madrid", renewal_date="2026-05-04")
    planner.run_once(runtime)
    assert _invitations(runtime) == []  # 37 hours ahead: not yet, nothing pending blocks others

    clock.set(datetime(2026, 3, 4, 1, 0, tzinfo=UTC))
    assert planner.run_once(runtime).scheduled == 1
    [invitation] = _invitations(runtime)
    # Thursday 5 March, 09:00 in Madrid, when the workspace's window opens
    assert invitation.due_at == datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
    assert (invitation.touchpoint, invitation.stage) == ("renewal", "retention")
    assert invitation.context == {
        "trait": "account.traits.renewal_date",
        "value": "2026-05-04",
        "target": "2026-03-04T23:00:00+00:00",
    }
    [(outcome, reason, detail)] = _decisions(runtime)
    assert (outcome, reason) == ("scheduled", None)
    assert detail == f"invitation #{invitation.id} scheduled for 2026-03-05T08:00:00+00:00"
    assert _decided_targets(runtime) == ["2026-03-04T23:00:00+00:00"]

    # later rounds, and unrelated changes to the person, decide nothing again
    clock.advance(hours=2)
    with runtime.transaction() as session:
        contacts.upsert_account(
            session=session,
            data=AccountIn(external_id="ana@example.com", traits={"plan": "pro"}),
            now=clock.now(),
        )
    planner.run_once(runtime)
    assert len(_decisions(runtime)) == 1


def test_a_moved_renewal_date_reschedules(runtime: Runtime, clock: FrozenClock) -> None:
    _setup(runtime, clock.now(), RENEWAL | {"send_window": "none"})
    clock.set(datetime(2026, 3, 4, 1, 0, tzinfo=UTC))
    _customer(runtime, clock.now(), "bo@example.com", "UTC", renewal_date="2026-05-04")
    planner.run_once(runtime)
    [first] = _invitations(runtime)
    assert first.due_at == datetime(2026, 3, 5, tzinfo=UTC)

    def renew_on(day: str) -> None:
        with runtime.transaction() as session:
            contacts.upsert_account(
                session=session,
                data=AccountIn(external_id="bo@example.com", traits={"renewal_date": day}),
                now=clock.now(),
            )

    clock.advance(hours=1)
    renew_on("2026-05-05")  # the target moves to 6 March, beyond the lookahead
    planner.run_once(runtime)
    [cancelled] = _invitations(runtime)
    assert cancelled.state == "cancelled"
    assert "rescheduled" in (cancelled.reason or "")
    outcome, reason, detail = _decisions(runtime)[-1]
    assert (outcome, reason) == ("cancelled", "rescheduled")
    assert detail == (
        "account.traits.renewal_date moved the target "
        "from 2026-03-05T00:00:00+00:00 to 2026-03-06T00:00:00+00:00"
    )
    # the cancellation names the target it gave up, which reopens that target
    assert _decided_targets(runtime) == ["2026-03-05T00:00:00+00:00"] * 2

    clock.set(datetime(2026, 3, 5, 1, 0, tzinfo=UTC))  # the new target is a day ahead
    planner.run_once(runtime)
    second = _invitations(runtime)[-1]
    assert (second.state, second.due_at) == ("scheduled", datetime(2026, 3, 6, tzinfo=UTC))

    # moved back: the first target (an hour ago, within the grace) is due again, now
    clock.advance(hours=1)
    renew_on("2026-05-04")
    planner.run_once(runtime)
    states = [(i.state, i.due_at) for i in _invitations(runtime)]
    assert states == [
        ("cancelled", datetime(2026, 3, 5, tzinfo=UTC)),
        ("cancelled", datetime(2026, 3, 6, tzinfo=UTC)),
        ("scheduled", clock.now()),
    ]
    fifth, sixth = "2026-03-05T00:00:00+00:00", "2026-03-06T00:00:00+00:00"
    assert _decided_targets(runtime) == [fifth, fifth, sixth, sixth, fifth]


def test_a_target_long_gone_is_not_sent_a_recent_one_is(
    runtime: Runtime, clock: FrozenClock
) -> None:
    paid = {
        "kind": "date",
        "key": "first-invoice",
        "name": "Two weeks after the first invoice",
        "survey": "billing",
        "trait": "contact.first_invoice_paid_at",
        "offset": "14d",
        "send_window": "none",
    }
    _setup(runtime, clock.now(), paid)
    now = clock.now()
    with runtime.transaction() as session:
        for email, paid_at in (
            ("late@example.com", now - timedelta(days=17)),  # target 3 days ago
            ("recent@example.com", now - timedelta(days=14, hours=6)),  # 6 hours ago
            ("soon@example.com", now - timedelta(days=13, hours=20)),  # in 4 hours
            ("never@example.com", None),
        ):
            traits = {"first_invoice_paid_at": paid_at.isoformat()} if paid_at else {}
            session.add(Contact(email=email, traits=traits, created_at=now, updated_at=now))
    planner.run_once(runtime)
    with runtime.read_transaction() as session:
        query = select(Contact.email, Invitation.due_at).join(
            Contact, Invitation.contact_id == Contact.id
        )
        made = dict(session.execute(query).all())
    assert made == {
        "recent@example.com": now,
        "soon@example.com": now + timedelta(hours=4),
    }
    assert len(_decisions(runtime)) == 2


def test_conditions_and_the_pending_rule_are_recorded_once_per_target(
    runtime: Runtime, clock: FrozenClock
) -> None:
    only_enterprise = RENEWAL | {
        "conditions": {"field": "account.plan", "op": "eq", "value": "enterprise"}
    }
    _setup(runtime, clock.now(), only_enterprise)
    clock.set(datetime(2026, 3, 4, 1, 0, tzinfo=UTC))
    _customer(
        runtime, clock.now(), "cy@example.com", "UTC", renewal_date="2026-05-04", plan="starter"
    )
    planner.run_once(runtime)
    clock.advance(minutes=30)
    planner.run_once(runtime)
    [(outcome, reason, _)] = _decisions(runtime)
    assert (outcome, reason) == ("skipped", "outside_audience")
    assert _invitations(runtime) == []


def test_a_person_an_event_puts_in_a_renewing_account_is_surveyed(
    runtime: Runtime, clock: FrozenClock
) -> None:
    _setup(runtime, clock.now(), RENEWAL | {"send_window": "none"})
    with runtime.transaction() as session:
        # renewal on 4 May: due on 5 March; the person belongs to no company yet
        session.add(
            Account(
                external_id="acme",
                name="Acme",
                traits={"renewal_date": "2026-05-04"},
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
        dee = Contact(
            email="dee@example.com", time_zone="UTC", created_at=clock.now(), updated_at=clock.now()
        )
        session.add(dee)
        session.flush()
        dee_id = dee.id
    clock.set(datetime(2026, 3, 4, 1, 0, tzinfo=UTC))
    planner.run_once(runtime)
    assert _invitations(runtime) == []  # the target is in the lookahead, but nobody to ask

    clock.advance(hours=1)
    joined = EventIn.model_validate(
        {
            "name": "Logged In",
            "contact": {"email": "dee@example.com"},
            "account": {"external_id": "acme"},
        }
    )
    with runtime.transaction() as session:
        events.ingest(session=session, events=[joined], now=clock.now())
    assert planner.run_once(runtime).scheduled == 1
    [invitation] = _invitations(runtime)
    assert (invitation.contact_id, invitation.due_at) == (dee_id, datetime(2026, 3, 5, tzinfo=UTC))
    assert invitation.context["target"] == "2026-03-05T00:00:00+00:00"
