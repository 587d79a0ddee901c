"""A person's timeline: events, invitations and responses merged newest first."""

from __future__ import annotations

from datetime import datetime, timedelta

from closeloop.clock import FrozenClock
from closeloop.contacts import service as contacts
from closeloop.contacts import timeline
from closeloop.contacts.schemas import EventEntry, InvitationEntry, ResponseEntry
from closeloop.events.models import Event
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.responses.models import Response
from closeloop.runtime import Runtime
from closeloop.surveys import service as surveys
from tests.integration.contacts.factories import upsert


def add_event(runtime: Runtime, contact_id: int, name: str, at: datetime) -> None:
    with runtime.transaction() as session:
        session.add(
            Event(
                message_id=f"{name}-{at.isoformat()}-{contact_id}",
                name=name,
                contact_id=contact_id,
                properties={"n": name},
                source="api",
                occurred_at=at,
                received_at=at,
            )
        )


def add_invitation_and_answer(
    runtime: Runtime, contact_id: int, at: datetime, *, score: int | None
) -> None:
    with runtime.transaction() as session:
        survey = surveys.get_or_create_default(session=session, product_name="FacturaPlus", now=at)
        invitation = Invitation(
            survey_id=survey.id,
            contact_id=contact_id,
            state=InvitationState.SENT.value if score is None else InvitationState.ANSWERED.value,
            due_at=at,
            sent_at=at,
            answered_at=None if score is None else at,
            created_at=at,
        )
        session.add(invitation)
        session.flush()
        if score is not None:
            session.add(
                Response(
                    invitation_id=invitation.id,
                    survey_id=survey.id,
                    contact_id=contact_id,
                    score=score,
                    comment="Great support",
                    channel="email",
                    responded_at=at,
                    updated_at=at,
                )
            )


def test_entries_are_merged_newest_first(runtime: Runtime, clock: FrozenClock) -> None:
    ana_id, _ = upsert(runtime, email="ana@acme.example")
    start = clock.now()
    add_event(runtime, ana_id, "Signed Up", start - timedelta(days=30))
    add_invitation_and_answer(runtime, ana_id, start - timedelta(days=2), score=None)
    add_event(runtime, ana_id, "Ticket Solved", start - timedelta(days=1))
    add_invitation_and_answer(runtime, ana_id, start, score=9)
    other_id, _ = upsert(runtime, email="other@acme.example")
    add_event(runtime, other_id, "Signed Up", start)

    with runtime.transaction() as session:
        contact, line = contacts.get_with_timeline(session=session, contact_id=ana_id)
    assert contact.id == ana_id
    assert not line.truncated
    kinds = [(entry.kind, entry.at) for entry in line.entries]
    # at the same instant: the response, then the invitation it answered
    assert kinds == [
        ("response", start),
        ("invitation", start),
        ("event", start - timedelta(days=1)),
        ("invitation", start - timedelta(days=2)),
        ("event", start - timedelta(days=30)),
    ]
    response, answered, solved, sent, _ = line.entries
    assert isinstance(response, ResponseEntry)
    assert (response.score, response.comment, response.survey) == (9, "Great support", "nps")
    assert isinstance(answered, InvitationEntry)
    assert (answered.state, answered.answered_at) == ("answered", start)
    assert isinstance(sent, InvitationEntry)
    assert (sent.state, sent.answered_at, sent.due_at) == ("sent", None, start - timedelta(days=2))
    assert isinstance(solved, EventEntry)
    assert (solved.name, solved.properties) == ("Ticket Solved", {"n": "Ticket Solved"})


def test_a_long_history_is_truncated_to_the_newest(runtime: Runtime, clock: FrozenClock) -> None:
    ana_id, _ = upsert(runtime, email="ana@acme.example")
    start = clock.now()
    for day in range(6):
        add_event(runtime, ana_id, f"Day {day}", start - timedelta(days=day))
    with runtime.transaction() as session:
        line = timeline.build(session=session, contact_id=ana_id, limit=4)
        full = timeline.build(session=session, contact_id=ana_id, limit=6)
    assert line.truncated
    assert [entry.at for entry in line.entries] == [start - timedelta(days=d) for d in range(4)]
    assert not full.truncated
    assert len(full.entries) == 6


def test_a_person_without_history_has_an_empty_timeline(runtime: Runtime) -> None:
    ana_id, _ = upsert(runtime, email="ana@acme.example")
    with runtime.transaction() as session:
        line = timeline.build(session=session, contact_id=ana_id)
    assert (line.entries, line.truncated) == ([], False)
