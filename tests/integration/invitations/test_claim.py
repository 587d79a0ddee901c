"""The work queue: claiming due invitations under a lease, reclaiming expired ones."""

from __future__ import annotations

from datetime import timedelta

from closeloop.channels.base import Delivery
from closeloop.clock import FrozenClock
from closeloop.invitations import service
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.runtime import Runtime
from tests.integration.invitations.factories import make_contact, make_invitation, make_survey

LEASE = timedelta(minutes=5)


def claim(runtime: Runtime, worker: str, limit: int = 10) -> list[int]:
    with runtime.transaction() as session:
        claimed = service.claim_due(
            session=session, now=runtime.clock.now(), worker_id=worker, limit=limit, lease=LEASE
        )
        return [invitation.id for invitation in claimed]


def load(runtime: Runtime, invitation_id: int) -> Invitation:
    with runtime.transaction() as session:
        return service.get_or_404(session=session, invitation_id=invitation_id)


def test_only_due_scheduled_invitations_are_claimed_oldest_first(
    runtime: Runtime, clock: FrozenClock
) -> None:
    now = clock.now()
    with runtime.transaction() as session:
        survey = make_survey(session)
        later = make_invitation(session, now=now, survey=survey, due_at=now - timedelta(minutes=1))
        older = make_invitation(session, now=now, survey=survey, due_at=now - timedelta(hours=1))
        on_time = make_invitation(session, now=now, survey=survey, due_at=now)
        make_invitation(session, now=now, survey=survey, due_at=now + timedelta(seconds=1))
        cancelled = make_invitation(session, now=now, survey=survey)
        service.cancel(session=session, invitation_id=cancelled.id, reason="x", now=now)
        make_invitation(
            session, now=now, survey=survey, contact=make_contact(session, unsubscribed_at=now)
        )
        expected = [older.id, later.id, on_time.id]

    assert claim(runtime, "worker-a") == expected
    for invitation_id in expected:
        invitation = load(runtime, invitation_id)
        assert invitation.state == InvitationState.SENDING
        assert invitation.lease_owner == "worker-a"
        assert invitation.lease_expires_at == now + LEASE
        assert invitation.attempts == 1


def test_the_limit_bounds_a_batch(runtime: Runtime, clock: FrozenClock) -> None:
    with runtime.transaction() as session:
        survey = make_survey(session)
        for _ in range(5):
            make_invitation(session, now=clock.now(), survey=survey)
    assert len(claim(runtime, "worker-a", limit=2)) == 2
    assert len(claim(runtime, "worker-b", limit=10)) == 3
    assert claim(runtime, "worker-c") == []


def test_a_held_lease_keeps_other_workers_away_until_it_expires(
    runtime: Runtime, clock: FrozenClock
) -> None:
    with runtime.transaction() as session:
        invitation_id = make_invitation(session, now=clock.now()).id
    assert claim(runtime, "worker-a") == [invitation_id]
    assert claim(runtime, "worker-b") == []
    clock.advance(LEASE)
    assert claim(runtime, "worker-b") == [], "a lease is good until it has expired"

    # worker-a died: once its lease has expired the invitation comes back
    clock.advance(seconds=1)
    assert claim(runtime, "worker-b") == [invitation_id]
    reclaimed = load(runtime, invitation_id)
    assert (reclaimed.lease_owner, reclaimed.attempts) == ("worker-b", 2)
    assert reclaimed.lease_expires_at == clock.now() + LEASE


def test_a_worker_that_lost_its_lease_cannot_record_or_prepare(
    runtime: Runtime, clock: FrozenClock
) -> None:
    with runtime.transaction() as session:
        invitation_id = make_invitation(session, now=clock.now()).id
    claim(runtime, "worker-a")
    clock.advance(LEASE + timedelta(seconds=1))
    claim(runtime, "worker-b")
    with runtime.transaction() as session:
        assert (
            service.prepare(
                session=session,
                invitation_id=invitation_id,
                worker_id="worker-a",
                settings=runtime.settings,
                now=clock.now(),
                lease=LEASE,
            )
            is None
        )
        recorded = service.record_delivery(
            session=session,
            invitation_id=invitation_id,
            worker_id="worker-a",
            delivery=Delivery.sent(),
            message_id="<late@example.com>",
            max_attempts=8,
            now=clock.now(),
        )
        assert recorded is None
    invitation = load(runtime, invitation_id)
    assert (invitation.state, invitation.lease_owner) == (InvitationState.SENDING, "worker-b")


def test_preparing_renews_the_lease(runtime: Runtime, clock: FrozenClock) -> None:
    with runtime.transaction() as session:
        invitation_id = make_invitation(session, now=clock.now()).id
    claim(runtime, "worker-a")
    clock.advance(minutes=4)
    with runtime.transaction() as session:
        message = service.prepare(
            session=session,
            invitation_id=invitation_id,
            worker_id="worker-a",
            settings=runtime.settings,
            now=clock.now(),
            lease=LEASE,
        )
        assert message is not None
    assert load(runtime, invitation_id).lease_expires_at == clock.now() + LEASE


def test_release_hands_unsent_claims_back_without_counting_an_attempt(
    runtime: Runtime, clock: FrozenClock
) -> None:
    with runtime.transaction() as session:
        survey = make_survey(session)
        ids = [make_invitation(session, now=clock.now(), survey=survey).id for _ in range(3)]
    claim(runtime, "worker-a")
    with runtime.transaction() as session:
        # worker-b's name on the list changes nothing: only the holder can hand back
        assert service.release(session=session, invitation_ids=ids, worker_id="worker-b") == 0
        assert service.release(session=session, invitation_ids=ids[1:], worker_id="worker-a") == 2
        assert service.release(session=session, invitation_ids=[], worker_id="worker-a") == 0
    states = [load(runtime, invitation_id) for invitation_id in ids]
    assert [(i.state, i.attempts, i.lease_owner) for i in states] == [
        (InvitationState.SENDING, 1, "worker-a"),
        (InvitationState.SCHEDULED, 0, None),
        (InvitationState.SCHEDULED, 0, None),
    ]
    assert claim(runtime, "worker-b") == ids[1:]
