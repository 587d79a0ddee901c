"""Implicit cancel-if: a waiting survey stops when the person unsubscribes, bounces, answers
the same survey meanwhile, or is deleted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from closeloop.channels.base import Delivery
from closeloop.clock import FrozenClock
from closeloop.contacts.models import Contact
from closeloop.invitations import service
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.responses import service as responses
from closeloop.responses.models import Response
from closeloop.runtime import Runtime
from closeloop.triggers.models import Decision, Outcome
from tests.integration.invitations.factories import make_contact, make_invitation, make_survey

LEASE = timedelta(minutes=5)
WORKER = "worker-a"
DAY = timedelta(days=1)


def states(runtime: Runtime) -> list[tuple[str, str | None]]:
    with runtime.read_transaction() as session:
        rows = session.scalars(select(Invitation).order_by(Invitation.id))
        return [(invitation.state, invitation.reason) for invitation in rows]


def test_only_the_persons_scheduled_invitations_of_the_survey_are_cancelled(
    runtime: Runtime, clock: FrozenClock
) -> None:
    now = clock.now()
    with runtime.transaction() as session:
        ana, bo = make_contact(session), make_contact(session)
        nps, csat = make_survey(session), make_survey(session)
        later = now + 3 * DAY
        make_invitation(session, now=now, due_at=later, contact=ana, survey=nps)
        make_invitation(session, now=now, due_at=later, contact=ana, survey=csat)
        make_invitation(session, now=now, due_at=later, contact=bo, survey=nps)
        sent = make_invitation(session, now=now, contact=ana, survey=nps)
        sent.state, sent.sent_at = InvitationState.SENT.value, now
    with runtime.transaction() as session:
        cancelled = service.cancel_pending(
            session=session, contact_id=ana.id, reason="why", now=now + DAY, survey_id=nps.id
        )
        assert [(i.contact_id, i.survey_id) for i in cancelled] == [(ana.id, nps.id)]
        assert cancelled[0].ended_at == now + DAY
    assert states(runtime) == [
        ("cancelled", "why"),
        ("scheduled", None),
        ("scheduled", None),
        ("sent", None),
    ]
    with runtime.transaction() as session:
        service.cancel_pending(session=session, contact_id=ana.id, reason="all", now=now)
    assert [state for state, _ in states(runtime)] == [
        "cancelled",
        "cancelled",
        "scheduled",
        "sent",
    ]


def test_unsubscribing_from_a_link_cancels_what_was_waiting(
    runtime: Runtime, clock: FrozenClock
) -> None:
    now = clock.now()
    with runtime.transaction() as session:
        ana = make_contact(session)
        sent = make_invitation(session, now=now, contact=ana)
        sent.state, sent.sent_at = InvitationState.SENT.value, now
        make_invitation(session, now=now, due_at=now + 5 * DAY, contact=ana)
    clock.advance(DAY)
    with runtime.transaction() as session:
        responses.unsubscribe(session=session, invitation_id=sent.id, now=clock.now())
    assert states(runtime) == [("sent", None), ("cancelled", "the person unsubscribed")]


def test_a_hard_bounce_cancels_the_other_waiting_invitations(
    runtime: Runtime, clock: FrozenClock
) -> None:
    now = clock.now()
    with runtime.transaction() as session:
        ana = make_contact(session)
        due = make_invitation(session, now=now, contact=ana)
        make_invitation(session, now=now, due_at=now + 5 * DAY, contact=ana)
        make_invitation(session, now=now, due_at=now + 5 * DAY)  # someone else's
    with runtime.transaction() as session:
        [claimed] = service.claim_due(
            session=session, now=now, worker_id=WORKER, limit=5, lease=LEASE
        )
        assert claimed.id == due.id
    with runtime.transaction() as session:
        service.record_delivery(
            session=session,
            invitation_id=due.id,
            worker_id=WORKER,
            delivery=Delivery.permanent("SMTP 550 5.1.1 User unknown"),
            message_id=None,
            max_attempts=3,
            now=now,
        )
    assert states(runtime) == [
        ("failed", "SMTP 550 5.1.1 User unknown"),
        ("cancelled", "the address bounced: SMTP 550 5.1.1 User unknown"),
        ("scheduled", None),
    ]


def test_answering_cancels_the_same_survey_still_waiting_but_not_another(
    runtime: Runtime, clock: FrozenClock
) -> None:
    now = clock.now()
    with runtime.transaction() as session:
        ana = make_contact(session)
        nps, csat = make_survey(session), make_survey(session)
        answered = make_invitation(session, now=now, contact=ana, survey=nps)
        answered.state, answered.sent_at = InvitationState.SENT.value, now
        make_invitation(session, now=now, due_at=now + 5 * DAY, contact=ana, survey=nps)
        make_invitation(session, now=now, due_at=now + 5 * DAY, contact=ana, survey=csat)
    with runtime.transaction() as session:
        responses.record_score(session=session, invitation_id=answered.id, score=9, now=now)
    assert states(runtime) == [
        ("answered", None),
        ("cancelled", f"answered this survey meanwhile (invitation #{answered.id})"),
        ("scheduled", None),
    ]


def _prepare(runtime: Runtime, invitation_id: int) -> bool:
    """Claim and prepare; whether a message came out."""
    now = runtime.clock.now()
    with runtime.transaction() as session:
        claimed = service.claim_due(
            session=session, now=now, worker_id=WORKER, limit=1, lease=LEASE
        )
        assert [invitation.id for invitation in claimed] == [invitation_id]
    with runtime.transaction() as session:
        message = service.prepare(
            session=session,
            invitation_id=invitation_id,
            worker_id=WORKER,
            settings=runtime.settings,
            now=now,
            lease=LEASE,
        )
        return message is not None


def test_an_answer_given_elsewhere_after_scheduling_suppresses_the_send(
    runtime: Runtime, clock: FrozenClock
) -> None:
    """An imported answer (no invitation of ours) still counts: the person has answered."""
    now = clock.now()
    with runtime.transaction() as session:
        ana = make_contact(session)
        nps = make_survey(session)
        waiting = make_invitation(session, now=now, due_at=now + 2 * DAY, contact=ana, survey=nps)
        answer = Response(
            survey_id=nps.id,
            contact_id=ana.id,
            score=7,
            channel="import",
            responded_at=now + DAY,
            updated_at=now + DAY,
        )
        session.add(answer)
    clock.advance(2 * DAY)
    assert not _prepare(runtime, waiting.id)
    assert states(runtime) == [
        ("suppressed", f"answered this survey on {(now + DAY).date()}, after it was scheduled")
    ]


def test_an_answer_from_before_the_invitation_does_not_suppress_it(
    runtime: Runtime, clock: FrozenClock
) -> None:
    now = clock.now()
    with runtime.transaction() as session:
        ana = make_contact(session)
        nps = make_survey(session)
        session.add(
            Response(
                survey_id=nps.id,
                contact_id=ana.id,
                score=7,
                channel="import",
                responded_at=now - DAY,
                updated_at=now - DAY,
            )
        )
        waiting = make_invitation(session, now=now, contact=ana, survey=nps)
    assert _prepare(runtime, waiting.id)
    assert states(runtime) == [("sending", None)]


def test_deleting_a_contact_takes_invitations_responses_and_decisions_along(
    runtime: Runtime, clock: FrozenClock
) -> None:
    now = clock.now()
    with runtime.transaction() as session:
        ana, bo = make_contact(session), make_contact(session)
        for person in (ana, bo):
            invitation = make_invitation(session, now=now, contact=person)
            invitation.state, invitation.sent_at = InvitationState.ANSWERED.value, now
            session.add_all(
                [
                    Response(
                        invitation_id=invitation.id,
                        survey_id=invitation.survey_id,
                        contact_id=person.id,
                        score=9,
                        channel="email",
                        responded_at=now,
                        updated_at=now,
                    ),
                    Decision(
                        contact_id=person.id,
                        invitation_id=invitation.id,
                        outcome=Outcome.SCHEDULED.value,
                        decided_at=now,
                    ),
                ]
            )
    with runtime.transaction() as session:
        session.execute(delete(Contact).where(Contact.id == ana.id))
    with runtime.read_transaction() as session:
        for table in (Invitation, Response, Decision):
            owners = session.scalars(select(table.contact_id)).all()
            assert owners == [bo.id], table.__name__
        assert session.scalar(select(func.count()).select_from(Contact)) == 1
