"""Recurring relationship surveys on both databases: slots spread over calendar periods,
stable from one period to the next, newcomers at their next slot, and due slots decided
through the policy."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from closeloop.clock import FrozenClock
from closeloop.contacts.models import Contact
from closeloop.invitations import service as invitations
from closeloop.invitations.models import Invitation
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from closeloop.triggers import planner, recurring, rules
from closeloop.triggers.models import Decision, PlannerMark, RecurringSlot, Rule, RuleKind
from closeloop.triggers.periods import Period, period_containing

Q4_2025 = period_containing(datetime(2025, 10, 1, tzinfo=UTC), 3)
Q1 = period_containing(datetime(2026, 1, 1, tzinfo=UTC), 3)
Q2 = period_containing(datetime(2026, 4, 1, tzinfo=UTC), 3)
Q3 = period_containing(datetime(2026, 7, 1, tzinfo=UTC), 3)
END_USERS = {"field": "contact.role", "op": "eq", "value": "end_user"}


def _setup(runtime: Runtime, now: datetime, **definition: Any) -> None:
    rule = {
        "kind": "recurring",
        "key": "relationship-nps",
        "name": "Relationship NPS",
        "survey": "relationship",
        "every": "quarter",
        "send_window": "none",
        **definition,
    }
    with runtime.transaction() as session:
        session.add(Survey(key="relationship", name="Relationship", kind="nps", created_at=now))
        session.add(Survey(key="support", name="Support", kind="csat", created_at=now))
        session.flush()
        rules.save(session=session, data=rule, now=now)


def _people(
    runtime: Runtime, now: datetime, count: int, role: str = "end_user", batch: str = "a"
) -> list[int]:
    with runtime.transaction() as session:
        contacts = [
            Contact(
                email=f"{role}-{batch}{n}@example.com", role=role, created_at=now, updated_at=now
            )
            for n in range(count)
        ]
        session.add_all(contacts)
        session.flush()
        return [contact.id for contact in contacts]


def _slots(runtime: Runtime) -> dict[tuple[datetime, int], RecurringSlot]:
    with runtime.read_transaction() as session:
        return {(s.period_start, s.contact_id): s for s in session.scalars(select(RecurringSlot))}


def test_a_quarter_is_spread_over_its_days_for_the_audience_only(
    runtime: Runtime, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 3, 28, tzinfo=UTC))  # Q2 starts within a week: it is planned
    _setup(runtime, clock.now(), audience=END_USERS)
    end_users = _people(runtime, clock.now(), 200)
    _people(runtime, clock.now(), 20, role="decision_maker")

    report = planner.run_once(runtime)

    slots = _slots(runtime)
    q2 = [slot for (start, _), slot in slots.items() if start == Q2.start]
    assert report.failures == 0
    assert report.slots_planned == len(slots)  # Q2, and what is left of Q1
    assert len(q2) == 200
    assert {slot.contact_id for slot in q2} == set(end_users)
    assert all(Q2.start <= slot.due_at < Q2.end for slot in q2)
    per_day = Counter((slot.due_at - Q2.start).days for slot in q2)
    mean = 200 / Q2.length.days
    # about two a day: Poisson noise alone puts six or seven on some day
    assert max(per_day.values()) <= 3.5 * mean
    per_month = Counter(slot.due_at.month for slot in q2)
    assert all(50 <= count <= 85 for count in per_month.values()), per_month
    # planning again adds nothing
    assert planner.run_once(runtime).slots_planned == 0


def test_a_contact_keeps_its_point_of_the_quarter_and_a_late_rule_plans_no_past_slot(
    runtime: Runtime, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 5, 16, tzinfo=UTC))  # half-way through Q2
    _setup(runtime, clock.now())
    people = _people(runtime, clock.now(), 40)
    planner.run_once(runtime)
    in_q2 = {contact for start, contact in _slots(runtime) if start == Q2.start}
    # nobody is asked at once for a slot the rule came too late for
    assert 8 <= len(in_q2) < 32
    assert all(slot.due_at > clock.now() for slot in _slots(runtime).values())

    clock.set(datetime(2026, 6, 26, tzinfo=UTC))
    planner.run_once(runtime)
    slots = _slots(runtime)
    assert {contact for start, contact in slots if start == Q3.start} == set(people)
    for contact in in_q2:
        q2 = (slots[Q2.start, contact].due_at - Q2.start) / Q2.length
        q3 = (slots[Q3.start, contact].due_at - Q3.start) / Q3.length
        assert abs(q2 - q3) < 1e-9

    # once Q2 is over, only Q3's planning is remembered
    clock.set(datetime(2026, 7, 2, tzinfo=UTC))
    planner.run_once(runtime)
    with runtime.read_transaction() as session:
        assert list(session.scalars(select(PlannerMark.job))) == ["recurring 2026-07"]


def test_a_newcomer_joins_at_its_next_slot(runtime: Runtime, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 3, 28, tzinfo=UTC))
    _setup(runtime, clock.now())
    _people(runtime, clock.now(), 5)
    planner.run_once(runtime)

    clock.set(datetime(2026, 5, 16, tzinfo=UTC))
    newcomers = _people(runtime, clock.now(), 12, batch="new")
    clock.advance(minutes=10)
    planner.run_once(runtime)
    slots = _slots(runtime)
    joined_now = {c for c in newcomers if (Q2.start, c) in slots}
    waiting = set(newcomers) - joined_now
    assert joined_now and waiting
    assert all(slots[Q2.start, c].due_at > clock.now() for c in joined_now)
    # the ones whose point of Q2 had passed are asked at their point of Q3
    clock.set(datetime(2026, 6, 26, tzinfo=UTC))
    planner.run_once(runtime)
    slots = _slots(runtime)
    for contact in waiting:
        due = slots[Q3.start, contact].due_at
        assert Q3.start < due < Q3.end


def test_due_slots_go_through_fatigue_pending_and_suppression(
    runtime: Runtime, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 3, 28, tzinfo=UTC))
    _setup(runtime, clock.now())
    fresh, tired, waiting, gone = _people(runtime, clock.now(), 4)
    planner.run_once(runtime)
    slots = _slots(runtime)
    with runtime.transaction() as session:
        # `tired` answered another survey a week before its slot; `waiting` has one pending
        support = session.scalars(select(Survey).where(Survey.key == "support")).one()
        for contact_id, due in ((tired, slots[Q2.start, tired].due_at - timedelta(days=7)),):
            sent = invitations.schedule(
                session=session,
                survey=support,
                contact=session.get_one(Contact, contact_id),
                due_at=due,
                now=clock.now(),
            )
            sent.state, sent.sent_at = "sent", due
        invitations.schedule(
            session=session,
            survey=support,
            contact=session.get_one(Contact, waiting),
            due_at=Q3.end,
            now=clock.now(),
        )
        session.get_one(Contact, gone).unsubscribed_at = clock.now()

    while clock.now() < Q2.end:
        clock.advance(days=1)
        assert planner.run_once(runtime).failures == 0

    with runtime.read_transaction() as session:
        decided = {
            d.contact_id: (d.outcome, d.reason)
            for d in session.scalars(select(Decision).where(Decision.rule_key.is_not(None)))
        }
        made = session.scalars(select(Invitation).where(Invitation.rule_id.is_not(None))).all()
        states = {
            s.state for s in session.scalars(select(RecurringSlot)) if s.period_start == Q2.start
        }
    assert decided == {
        fresh: ("scheduled", None),
        tired: ("skipped", "fatigue"),
        waiting: ("skipped", "pending"),
        gone: ("skipped", "unsubscribed"),
    }
    [invitation] = made
    assert invitation.contact_id == fresh
    slot = slots[Q2.start, fresh].due_at
    # the round after the slot fell due sends it (no window for this rule)
    assert slot <= invitation.due_at < slot + timedelta(days=1)
    assert invitation.context["period_start"] == Q2.start.isoformat()
    assert states == {"done"}


def _done_slots(runtime: Runtime, rule_key: str, period: Period, contact_ids: list[int]) -> None:
    with runtime.transaction() as session:
        rule_id = session.scalars(select(Rule.id).where(Rule.key == rule_key)).one()
        session.add_all(
            RecurringSlot(
                rule_id=rule_id,
                contact_id=contact_id,
                period_start=period.start,
                due_at=period.start + timedelta(days=1),
                state="done",
            )
            for contact_id in contact_ids
        )


def test_done_slots_go_a_full_period_after_their_period_ended(
    runtime: Runtime, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 4, 10, tzinfo=UTC))
    _setup(runtime, clock.now())
    people = _people(runtime, clock.now(), 3)
    _done_slots(runtime, "relationship-nps", Q4_2025, people)
    _done_slots(runtime, "relationship-nps", Q1, people)

    report = planner.run_once(runtime)

    assert (report.failures, report.slots_pruned) == (0, 3)
    # Q4 ended more than a quarter ago; Q1, just over, is kept
    past = sorted(start for start, _ in _slots(runtime) if start < Q2.start)
    assert past == [Q1.start] * 3


def test_pruning_goes_in_bounded_batches_and_only_through_done_slots_long_over(
    runtime: Runtime, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 4, 10, tzinfo=UTC))
    _setup(runtime, clock.now())
    yearly = {"key": "yearly-nps", "name": "Yearly NPS", "survey": "relationship", "every": "year"}
    with runtime.transaction() as session:
        rules.save(session=session, data={"kind": "recurring", **yearly}, now=clock.now())
    *decided, undecided = _people(runtime, clock.now(), 6)
    _done_slots(runtime, "relationship-nps", Q4_2025, decided)
    _done_slots(runtime, "relationship-nps", Q1, [*decided, undecided])
    # for a yearly rule, 2025 is the period just over
    _done_slots(runtime, "yearly-nps", period_containing(Q4_2025.start, 12), decided)
    with runtime.transaction() as session:
        # never decided (the rule was off, say): not the pruner's to drop
        session.add(
            RecurringSlot(
                rule_id=session.scalars(
                    select(Rule.id).where(Rule.key == "relationship-nps")
                ).one(),
                contact_id=undecided,
                period_start=Q4_2025.start,
                due_at=Q4_2025.start + timedelta(days=2),
                state="planned",
            )
        )

    def prune() -> int:
        with runtime.transaction() as session:
            ruleset = rules.load_ruleset(session=session, default_window=None)
            [quarterly] = [
                r for r in ruleset.of_kind(RuleKind.RECURRING) if r.key == "relationship-nps"
            ]
            return recurring.prune_done_slots(
                session=session, rule=quarterly, now=clock.now(), limit=2
            )

    assert [prune(), prune(), prune(), prune()] == [2, 2, 1, 0]
    with runtime.read_transaction() as session:
        left = Counter(
            (rule_key, slot.period_start, slot.state)
            for slot, rule_key in session.execute(
                select(RecurringSlot, Rule.key).join(Rule, RecurringSlot.rule_id == Rule.id)
            )
        )
    assert left == {
        ("relationship-nps", Q4_2025.start, "planned"): 1,
        ("relationship-nps", Q1.start, "done"): 6,
        ("yearly-nps", datetime(2025, 1, 1, tzinfo=UTC), "done"): 5,
    }
