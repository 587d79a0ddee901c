"""Importing events on both databases: stored once, fed to the trigger engine, bad rows out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from closeloop.clock import FrozenClock
from closeloop.events.models import Event
from closeloop.imports.schemas import ImportFormat, ImportKind
from closeloop.invitations.models import Invitation
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from closeloop.triggers import rules
from closeloop.triggers.models import Decision
from tests.integration.imports.importing import run_import


def _events(runtime: Runtime) -> list[tuple[str, str, dict[str, object], str]]:
    with runtime.read_transaction() as session:
        rows = session.scalars(select(Event).order_by(Event.id))
        return [(e.message_id, e.name, e.properties, e.source) for e in rows]


def test_events_are_stored_once_however_often_the_file_is_imported(
    runtime: Runtime, clock: FrozenClock
) -> None:
    data = (
        b"Event,Email,Occurred at,Ticket,Message ID\n"
        b"Ticket Solved,ana@acme.test,2026-03-02T10:00:00Z,12,\n"
        b"Ticket Solved,ana@acme.test,2026-03-02T11:00:00Z,13,zd-13\n"
        b"Ticket Solved,,2026-03-02T11:00:00Z,14,\n"
    )
    tally, rejected = run_import(runtime, ImportKind.EVENTS, data)
    assert (tally.created, [(r.line, r.reason) for r in rejected]) == (
        2,
        [(4, "needs an email, an external_id or a contact_id")],
    )
    stored = _events(runtime)
    assert [(name, properties, source) for _, name, properties, source in stored] == [
        ("Ticket Solved", {"Ticket": "12"}, "import"),
        ("Ticket Solved", {"Ticket": "13"}, "import"),
    ]
    assert stored[0][0].startswith("import:")
    assert stored[1][0] == "zd-13"
    clock.advance(timedelta(minutes=5))
    again, _ = run_import(runtime, ImportKind.EVENTS, data)
    assert (again.created, again.unchanged) == (0, 2)
    assert _events(runtime) == stored


def test_one_bad_row_does_not_sink_its_batch(runtime: Runtime) -> None:
    data = (
        b'{"name": "Signed Up", "contact": {"email": "a@acme.test"}}\n'
        b'{"name": "Signed Up", "contact": {"id": 999999}}\n'
        b'{"name": "Signed Up", "contact": {"email": "b@acme.test"}}\n'
    )
    tally, rejected = run_import(runtime, ImportKind.EVENTS, data, format=ImportFormat.JSONL)
    assert tally.created == 2
    assert [(r.line, r.reason) for r in rejected] == [(2, "contact.id: no contact with id 999999")]


def test_imported_events_feed_the_trigger_engine(runtime: Runtime, clock: FrozenClock) -> None:
    now = clock.now()
    with runtime.transaction() as session:
        session.add(Survey(key="support", name="Support", kind="nps", created_at=now))
        rules.save(
            session=session,
            data={
                "kind": "event",
                "key": "support-nps",
                "name": "Support NPS",
                "survey": "support",
                "event": "Ticket Solved",
                "delay": "1h",
                "send_window": "none",
            },
            now=now,
        )
    data = (
        b"name,email,timestamp\n"
        b"Ticket Solved,ana@acme.test,2026-03-03T09:00:00Z\n"
        b"Ticket Solved,bo@acme.test,2025-01-01T09:00:00Z\n"
    )
    run_import(runtime, ImportKind.EVENTS, data)
    with runtime.read_transaction() as session:
        invitations = session.scalars(select(Invitation)).all()
        outcomes = sorted(
            (d.outcome, d.reason or "") for d in session.scalars(select(Decision)).all()
        )
    assert [invitation.due_at for invitation in invitations] == [now]
    assert [outcome for outcome, _ in outcomes] == ["scheduled", "skipped"]
    assert outcomes[1][1] == "too_late"
