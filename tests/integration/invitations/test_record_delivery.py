"""What a channel's answer does to the invitation: sent, retried, failed, bounced."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closeloop.channels.base import Delivery
from closeloop.clock import FrozenClock
from closeloop.contacts.models import Contact
from closeloop.invitations import retry, service
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.runtime import Runtime
from tests.integration.invitations.factories import make_invitation

LEASE = timedelta(minutes=5)
WORKER = "worker-a"


def claim_and_record(
    runtime: Runtime, invitation_id: int, delivery: Delivery, max_attempts: int = 8
) -> Invitation:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        claimed = service.claim_due(
            session=session, now=now, worker_id=WORKER, limit=1, lease=LEASE
        )
        assert [invitation.id for invitation in claimed] == [invitation_id]
    with runtime.transaction() as session:
        recorded = service.record_delivery(
            session=session,
            invitation_id=invitation_id,
            worker_id=WORKER,
            delivery=delivery,
            message_id="<abc@facturaplus.test>",
            max_attempts=max_attempts,
            now=now,
        )
        assert recorded is not None
        return recorded


@pytest.fixture
def invitation_id(runtime: Runtime, clock: FrozenClock) -> int:
    with runtime.transaction() as session:
        return make_invitation(session, now=clock.now()).id


def test_sent_stores_the_message_id_and_ends_the_lease(
    runtime: Runtime, clock: FrozenClock, invitation_id: int
) -> None:
    invitation = claim_and_record(runtime, invitation_id, Delivery.sent())
    assert invitation.state == InvitationState.SENT
    assert invitation.message_id == "<abc@facturaplus.test>"
    assert invitation.sent_at == clock.now()
    assert (invitation.lease_owner, invitation.lease_expires_at) == (None, None)


def test_a_transient_failure_retries_after_a_backoff_then_succeeds(
    runtime: Runtime, clock: FrozenClock, invitation_id: int
) -> None:
    failed = claim_and_record(runtime, invitation_id, Delivery.transient("SMTP 451 try later"))
    assert failed.state == InvitationState.SCHEDULED
    assert failed.reason == "SMTP 451 try later"
    delay = retry.backoff(attempts=1, invitation_id=invitation_id)
    assert failed.due_at == clock.now() + delay
    assert failed.lease_owner is None

    with runtime.transaction() as session:
        early = service.claim_due(
            session=session,
            now=clock.now() + delay - timedelta(seconds=1),
            worker_id=WORKER,
            limit=1,
            lease=LEASE,
        )
        assert early == []
    clock.advance(delay)
    sent = claim_and_record(runtime, invitation_id, Delivery.sent())
    assert (sent.state, sent.attempts, sent.reason) == (InvitationState.SENT, 2, None)


def test_the_last_allowed_attempt_failing_ends_the_invitation(
    runtime: Runtime, clock: FrozenClock, invitation_id: int
) -> None:
    for attempt in range(1, 4):
        invitation = claim_and_record(
            runtime, invitation_id, Delivery.transient("SMTP 421 busy"), max_attempts=3
        )
        if attempt < 3:
            assert invitation.state == InvitationState.SCHEDULED
            clock.set(invitation.due_at)
    assert invitation.state == InvitationState.FAILED
    assert invitation.reason == "gave up after 3 attempts: SMTP 421 busy"
    assert invitation.ended_at == clock.now()


def test_a_permanent_failure_fails_the_invitation_and_bounces_the_contact(
    runtime: Runtime, clock: FrozenClock, invitation_id: int
) -> None:
    invitation = claim_and_record(
        runtime, invitation_id, Delivery.permanent("SMTP 550 5.1.1 no such user")
    )
    assert (invitation.state, invitation.reason) == (
        InvitationState.FAILED,
        "SMTP 550 5.1.1 no such user",
    )
    with runtime.transaction() as session:
        contact = session.get(Contact, invitation.contact_id)
        assert contact is not None
        assert contact.bounced_at == clock.now()
        assert contact.bounce_reason == "SMTP 550 5.1.1 no such user"
        assert contact.suppressed_reason == "bounced"
        # and the next invitation to the address is suppressed from the start
        assert make_invitation(session, now=clock.now(), contact=contact).reason == "bounced"


def test_an_invitation_claimed_too_often_is_given_up_before_sending(
    runtime: Runtime, clock: FrozenClock, invitation_id: int
) -> None:
    max_attempts = runtime.settings.dispatch_max_attempts
    with runtime.transaction() as session:
        invitation = service.get_or_404(session=session, invitation_id=invitation_id)
        invitation.attempts = max_attempts  # every earlier worker died mid-send
    with runtime.transaction() as session:
        service.claim_due(session=session, now=clock.now(), worker_id=WORKER, limit=1, lease=LEASE)
    with runtime.transaction() as session:
        message = service.prepare(
            session=session,
            invitation_id=invitation_id,
            worker_id=WORKER,
            settings=runtime.settings,
            now=clock.now(),
            lease=LEASE,
        )
        assert message is None
        invitation = service.get_or_404(session=session, invitation_id=invitation_id)
        assert invitation.state == InvitationState.FAILED
        assert invitation.reason == f"gave up: claimed {max_attempts + 1} times, never finished"
