"""The simulation on both databases: it decides as the live engine does, writes nothing,
and reads the log, rules and people as they are stored."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from closeloop.clock import FrozenClock
from closeloop.contacts.models import Account, Contact
from closeloop.errors import InvalidInput, NotFound
from closeloop.events import service as events
from closeloop.events.schemas import EventIn
from closeloop.invitations.models import Invitation
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from closeloop.triggers import rules, simulation, simulation_sources
from closeloop.triggers import service as triggers
from closeloop.triggers.models import Decision, Rule
from closeloop.triggers.replay import Happening, SimulatedDecision, SimulatedSend

TUE_THU = {"days": ["tue", "wed", "thu"], "start": "10:00", "end": "16:00"}
RULES: list[dict[str, Any]] = [
    {"key": "onboarding", "survey": "onboarding", "event": "Signed Up", "delay": "14d"},
    {
        "key": "support-csat",
        "survey": "support",
        "event": "Ticket Solved",
        "delay": "1h",
        "send_window": "none",
        "priority": 200,
        "cancel_if": [{"event": "Ticket Reopened", "same": ["ticket_id"]}],
    },
    {
        "key": "delivery",
        "survey": "delivery",
        "event": "Order Delivered",
        "delay": "3d",
        "send_window": TUE_THU,
        "priority": 50,
        "conditions": {"field": "event.properties.amount", "op": "gte", "value": 50},
    },
    {
        "key": "billing",
        "survey": "billing",
        "event": "Invoice Paid",
        "priority": 150,
        "conditions": {
            "all": [
                {"field": "contact.role", "op": "in", "value": ["billing", "decision_maker"]},
                {"field": "account.plan", "op": "neq", "value": "free"},
            ]
        },
    },
    {
        "key": "master-data",
        "survey": "master",
        "event": "Contact Details Changed",
        "sample_percent": 50,
    },
    {"key": "retired", "survey": "retired", "event": "Order Delivered", "priority": 10},
]
# (email, role, time zone, traits, account plan or None, unsubscribed)
PEOPLE = [
    ("ana@acme.example", "billing", "America/New_York", {"country": "US"}, "pro", False),
    ("bo@acme.example", "end_user", None, {}, "pro", False),  # the account's zone
    ("cy@shop.example", "decision_maker", "Asia/Kolkata", {"country": "IN"}, "free", False),
    ("di@shop.example", "decision_maker", "Europe/Madrid", {"country": "ES"}, "free", False),
    ("ed@solo.example", "end_user", "Europe/Madrid", {"country": "ES"}, None, False),
    ("fa@solo.example", "billing", None, {}, None, True),
]
NAMES = [
    "Signed Up",
    "Ticket Solved",
    "Ticket Solved",
    "Ticket Reopened",
    "Order Delivered",
    "Order Delivered",
    "Invoice Paid",
    "Contact Details Changed",
    "Page Viewed",
]


def _setup(runtime: Runtime, now: datetime) -> None:
    with runtime.transaction() as session:
        for key in ("onboarding", "support", "delivery", "billing", "master", "retired"):
            session.add(Survey(key=key, name=key.title(), active=key != "retired", created_at=now))
        accounts = {
            plan: Account(name=f"{plan} Inc", traits={"plan": plan}, time_zone="Europe/Berlin")
            for plan in ("pro", "free")
        }
        session.add_all(accounts.values())
        for email, role, zone, traits, plan, unsubscribed in PEOPLE:
            session.add(
                Contact(
                    email=email,
                    role=role,
                    time_zone=zone,
                    traits=traits,
                    account=accounts[plan] if plan else None,
                    unsubscribed_at=now if unsubscribed else None,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.flush()
        for definition in RULES:
            data = {"kind": "event", "name": definition["key"].title(), **definition}
            rules.save(session=session, data=data, now=now)


def _script(start: datetime, count: int) -> list[tuple[datetime, str, str, dict[str, Any]]]:
    """A seeded couple of months of events for a small company."""
    rng = random.Random(4)
    moment, script = start, []
    for _ in range(count):
        moment += timedelta(minutes=rng.choice([5, 30, 50, 90, 240, 600, 1440, 2880, 4320]))
        properties: dict[str, Any] = {"ticket_id": f"T-{rng.randrange(3)}"}
        properties["amount"] = rng.choice([10, 60, 200])
        email, name = rng.choice(PEOPLE)[0], rng.choice(NAMES)
        script.append((moment, name, email, properties))
        if name == "Ticket Solved" and rng.random() < 0.5:  # reopened before the survey goes
            moment += timedelta(minutes=10)
            ticket = properties["ticket_id"] if rng.random() < 0.7 else "T-other"
            script.append((moment, "Ticket Reopened", email, {"ticket_id": ticket}))
    return script


def _dispatch(runtime: Runtime, now: datetime) -> None:
    """What the dispatcher would have done by now: every due invitation went out on time."""
    with runtime.transaction() as session:
        session.execute(
            update(Invitation)
            .where(Invitation.state == "scheduled", Invitation.due_at <= now)
            .values(state="sent", sent_at=Invitation.due_at)
        )


def _live(runtime: Runtime, clock: FrozenClock, script: list[Any]) -> None:
    for at, name, email, properties in script:
        clock.set(at)
        _dispatch(runtime, at)
        event = EventIn.model_validate(
            {"name": name, "contact": {"email": email}, "properties": properties}
        )
        with runtime.transaction() as session:
            stored = events.ingest_one(session=session, event=event, now=at).stored
            triggers.process_events(session=session, events=stored, settings=runtime.settings)


def _live_outcomes(runtime: Runtime) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with runtime.read_transaction() as session:
        decisions = [
            (d.rule_key, d.contact_id, d.outcome, d.reason, d.due_at, d.event_id)
            for d in session.scalars(select(Decision))
        ]
        key_of = dict(session.execute(select(Rule.id, Rule.key)).all())
        sends = [
            (key_of[i.rule_id], i.contact_id, i.due_at)
            for i in session.scalars(select(Invitation).where(Invitation.state != "cancelled"))
            if i.rule_id is not None
        ]
    return sorted(decisions, key=repr), sorted(sends, key=repr)


def _simulated(happenings: list[Happening]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    decisions = [
        (
            h.rule_key,
            int(h.person),
            h.outcome.value,
            h.reason.value if h.reason else None,
            h.due_at,
            h.event_id,
        )
        for h in happenings
        if isinstance(h, SimulatedDecision)
    ]
    sends = [
        (h.rule_key, int(h.person), h.sent_at) for h in happenings if isinstance(h, SimulatedSend)
    ]
    return sorted(decisions, key=repr), sorted(sends, key=repr)


def _counts(runtime: Runtime) -> tuple[int, int]:
    with runtime.read_transaction() as session:
        invitations = session.scalar(select(func.count()).select_from(Invitation)) or 0
        decisions = session.scalar(select(func.count()).select_from(Decision)) or 0
    return invitations, decisions


def test_the_simulation_decides_as_the_live_engine_did(
    runtime: Runtime, clock: FrozenClock
) -> None:
    start = clock.now()
    _setup(runtime, start)
    script = _script(start, 160)
    _live(runtime, clock, script)
    live_decisions, live_sends = _live_outcomes(runtime)
    before = _counts(runtime)

    happened: list[Happening] = []
    with runtime.read_transaction() as session:
        report = simulation.simulate_events(
            session=session,
            settings=runtime.settings,
            since=start,
            until=script[-1][0] + timedelta(seconds=1),
            observe=happened.append,
        )
    sim_decisions, sim_sends = _simulated(happened)

    assert sim_decisions == live_decisions
    assert sim_sends == live_sends
    assert _counts(runtime) == before  # nothing written
    # the script is worth comparing: it makes the policy say every kind of no
    reasons = {reason for _, _, _, reason, _, _ in live_decisions}
    assert reasons >= {
        None,
        "pending",
        "fatigue",
        "recontact",
        "superseded",
        "cancelled_by_event",
        "outside_audience",
        "sampled_out",
        "unsubscribed",
        "survey_inactive",
    }
    assert report.events == sum(1 for _, name, _, _ in script if name != "Page Viewed")
    by_key = {forecast.key: forecast for forecast in report.rules}
    assert sum(f.sent for f in report.rules) == len(live_sends)
    assert by_key["support-csat"].suppressed["cancelled_by_event"] == sum(
        1 for d in live_decisions if d[0] == "support-csat" and d[3] == "cancelled_by_event"
    )


def test_a_switched_off_rule_can_be_tried_and_an_unknown_one_is_named(
    runtime: Runtime, clock: FrozenClock
) -> None:
    now = clock.now()
    _setup(runtime, now)
    with runtime.transaction() as session:
        rules.set_enabled(session=session, key="onboarding", enabled=False, now=now)
        rules.save(
            session=session,
            data={
                "kind": "recurring",
                "key": "quarterly",
                "name": "Quarterly",
                "survey": "onboarding",
                "every": "quarter",
            },
            now=now,
        )
    clock.advance(timedelta(hours=1))
    _live(runtime, clock, [(clock.now(), "Signed Up", "ana@acme.example", {})])
    since, until = now, now + timedelta(days=1)
    with runtime.read_transaction() as session:
        everything = simulation.simulate_events(
            session=session, settings=runtime.settings, since=since, until=until
        )
        tried = simulation.simulate_events(
            session=session,
            settings=runtime.settings,
            since=since,
            until=until,
            rule_keys=["onboarding"],
        )
        with pytest.raises(NotFound) as raised:
            simulation.simulate_events(
                session=session,
                settings=runtime.settings,
                since=since,
                until=until,
                rule_keys=["onboarding", "nope"],
            )
    assert "onboarding" not in {f.key for f in everything.rules}
    assert [(n.key, n.kind) for n in everything.not_simulated] == [("quarterly", "recurring")]
    [onboarding] = tried.rules
    assert (onboarding.enabled, onboarding.scheduled, onboarding.due_after_period) == (False, 1, 1)
    assert (raised.value.field, raised.value.detail) == ("rule", "no rule with key 'nope'")


def test_a_jsonl_file_describes_its_own_people(runtime: Runtime, clock: FrozenClock) -> None:
    _setup(runtime, clock.now())
    saturday = datetime(2026, 3, 7, 10, 0, tzinfo=UTC)  # the default window waits for Monday
    lines = [
        json.dumps(
            {
                "name": "Invoice Paid",
                "contact": {"email": f"{role}@file.example", "role": role},
                "timestamp": (saturday + timedelta(minutes=n)).isoformat(),
            }
        )
        for n, role in enumerate(["billing", "end_user", "billing"])
    ]
    lines.insert(1, "")
    lines.append(
        json.dumps(
            {
                "name": "Ticket Solved",
                "contact": {"email": "billing@file.example"},
                "properties": {"ticket_id": "T-9"},
                "timestamp": (saturday + timedelta(minutes=5)).isoformat(),
            }
        )
    )
    happened: list[Happening] = []
    with runtime.read_transaction() as session:
        report = simulation.simulate_file(
            session=session,
            settings=runtime.settings,
            lines=lines,
            name="events.jsonl",
            observe=happened.append,
        )
    decisions = [
        (h.rule_key, h.person, h.reason.value if h.reason else None, h.due_at)
        for h in happened
        if isinstance(h, SimulatedDecision)
    ]
    monday = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    # a file has no accounts: the billing rule's "account.plan neq free" holds
    assert decisions == [
        ("billing", "email:billing@file.example", None, monday),
        ("billing", "email:end_user@file.example", "outside_audience", None),
        ("billing", "email:billing@file.example", "pending", None),
        ("billing", "email:billing@file.example", "superseded", None),  # priority 200 wins
        (
            "support-csat",
            "email:billing@file.example",
            None,
            saturday + timedelta(hours=1, minutes=5),
        ),
    ]
    assert report.source == "events.jsonl"
    assert report.events == 4


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"name": "E", "contact": {"email": "a@b.example"}}'], "line 1: timestamp"),
        (["{not json"], "line 1: "),
        (['{"name": "E", "timestamp": "2026-03-03T10:00:00Z"}'], "line 1: contact: Field required"),
        (
            [
                '{"name": "E", "contact": {"id": 1}, "timestamp": "2026-03-03T10:00:00Z"}',
                '{"name": "E", "contact": {"id": 1}, "timestamp": "2026-03-03T09:00:00Z"}',
            ],
            "line 2: events must be in time order",
        ),
    ],
)
def test_a_bad_file_is_refused_naming_its_line(
    runtime: Runtime, lines: list[str], message: str
) -> None:
    with runtime.read_transaction() as session, pytest.raises(InvalidInput) as raised:
        simulation.simulate_file(session=session, settings=runtime.settings, lines=lines)
    assert raised.value.field == "file"
    assert raised.value.detail.startswith(message)


def test_sqlite_reads_the_log_lean_and_gets_its_settings_back(
    runtime: Runtime, clock: FrozenClock
) -> None:
    now = clock.now()
    _setup(runtime, now)
    _live(runtime, clock, [(now, "Signed Up", "ana@acme.example", {})])
    with runtime.read_transaction() as session:
        connection = session.connection()
        if connection.dialect.name != "sqlite":
            pytest.skip("SQLite's page cache and memory map")

        def pragmas(_: object = None) -> list[object]:
            return [connection.execute(text(f"PRAGMA {name}")).scalar() for name in PRAGMAS]

        before, during = pragmas(), []
        simulation.simulate_events(
            session=session,
            settings=runtime.settings,
            since=now,
            until=now + timedelta(days=1),
            observe=lambda happening: during.append(pragmas()),
        )
        after = pragmas()
    assert during[0] == [0, simulation_sources.LEAN_CACHE_SIZE]
    assert after == before != during[0]


PRAGMAS = ("mmap_size", "cache_size")
