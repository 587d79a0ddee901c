"""Scheduling, listing and cancelling invitations (both databases)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from closeloop.clock import FrozenClock
from closeloop.errors import Conflict, InvalidInput, NotFound
from closeloop.invitations import service
from closeloop.invitations.models import InvitationState
from closeloop.invitations.schemas import InvitationContact, InvitationCreate
from closeloop.runtime import Runtime
from closeloop.surveys import service as surveys
from tests.integration.invitations.factories import make_contact, make_invitation, make_survey


def test_schedule_queues_a_scheduled_invitation(runtime: Runtime, clock: FrozenClock) -> None:
    now = clock.now()
    with runtime.transaction() as session:
        invitation = service.schedule(
            session=session,
            survey=make_survey(session),
            contact=make_contact(session),
            due_at=now + timedelta(days=3),
            now=now,
            source="trigger",
            touchpoint="order-delivered",
        )
        invitation_id = invitation.id
    with runtime.transaction() as session:
        stored = service.get_or_404(session=session, invitation_id=invitation_id)
        assert stored.state == InvitationState.SCHEDULED
        assert stored.due_at == now + timedelta(days=3)
        assert (stored.attempts, stored.reason, stored.ended_at) == (0, None, None)
        assert (stored.source, stored.touchpoint, stored.channel) == (
            "trigger",
            "order-delivered",
            "email",
        )
        assert stored.created_at == now


@pytest.mark.parametrize(
    ("contact_fields", "survey_fields", "reason"),
    [
        ({"unsubscribed": True}, {}, "unsubscribed"),
        ({"bounced": True}, {}, "bounced"),
        ({"email": None, "phone": "+34600000000"}, {}, "no email address"),
        ({}, {"active": False}, "survey inactive"),
    ],
)
def test_who_may_not_be_surveyed_gets_a_suppressed_invitation_saying_why(
    runtime: Runtime,
    clock: FrozenClock,
    contact_fields: dict[str, object],
    survey_fields: dict[str, object],
    reason: str,
) -> None:
    now = clock.now()
    fields = dict(contact_fields)
    if fields.pop("unsubscribed", False):
        fields["unsubscribed_at"] = now - timedelta(days=1)
    if fields.pop("bounced", False):
        fields["bounced_at"] = now - timedelta(days=1)
    with runtime.transaction() as session:
        invitation = make_invitation(
            session,
            now=now,
            contact=make_contact(session, **fields),
            survey=make_survey(session, **survey_fields),
        )
        assert invitation.state == InvitationState.SUPPRESSED
        assert invitation.reason == reason
        assert invitation.ended_at == now


def test_list_for_contact_is_newest_first(runtime: Runtime, clock: FrozenClock) -> None:
    with runtime.transaction() as session:
        contact, other = make_contact(session), make_contact(session)
        first = make_invitation(session, now=clock.now(), contact=contact).id
        clock.advance(hours=1)
        second = make_invitation(session, now=clock.now(), contact=contact).id
        make_invitation(session, now=clock.now(), contact=other)
        listed = service.list_for_contact(session=session, contact_id=contact.id)
        assert [invitation.id for invitation in listed] == [second, first]
        assert service.list_for_contact(session=session, contact_id=contact.id, limit=1)[0].id == (
            second
        )


def test_cancel_stops_an_invitation_and_is_idempotent(runtime: Runtime, clock: FrozenClock) -> None:
    with runtime.transaction() as session:
        invitation_id = make_invitation(session, now=clock.now()).id
    clock.advance(minutes=5)
    with runtime.transaction() as session:
        cancelled = service.cancel(
            session=session, invitation_id=invitation_id, reason="ticket reopened", now=clock.now()
        )
        assert (cancelled.state, cancelled.reason) == (InvitationState.CANCELLED, "ticket reopened")
        assert cancelled.ended_at == clock.now()
    with runtime.transaction() as session:
        again = service.cancel(
            session=session, invitation_id=invitation_id, reason="again", now=clock.now()
        )
        assert again.reason == "ticket reopened"


def test_a_sent_invitation_cannot_be_cancelled(runtime: Runtime, clock: FrozenClock) -> None:
    with runtime.transaction() as session:
        invitation = make_invitation(session, now=clock.now())
        invitation.state = InvitationState.SENT.value
        invitation_id = invitation.id
    with runtime.transaction() as session, pytest.raises(Conflict, match="from sent to cancelled"):
        service.cancel(session=session, invitation_id=invitation_id, reason="x", now=clock.now())


def test_cancel_of_an_unknown_invitation_is_not_found(runtime: Runtime, clock: FrozenClock) -> None:
    with runtime.transaction() as session, pytest.raises(NotFound):
        service.cancel(session=session, invitation_id=999, reason="x", now=clock.now())


@pytest.mark.parametrize("identity", ["email", "email typed loosely", "external_id", "id"])
def test_create_finds_the_contact_by_any_identity(
    runtime: Runtime, clock: FrozenClock, identity: str
) -> None:
    with runtime.transaction() as session:
        contact = make_contact(session, email="ana@example.com", external_id="crm-1")
        ref = {
            "email": InvitationContact(email="ana@example.com"),
            "email typed loosely": InvitationContact(email="  ANA@Example.com "),
            "external_id": InvitationContact(external_id="crm-1"),
            "id": InvitationContact(id=contact.id),
        }[identity]
        invitation = service.create(
            session=session,
            invitation_in=InvitationCreate(contact=ref),
            product_name="FacturaPlus",
            now=clock.now(),
        )
        assert invitation.contact_id == contact.id
        # the default survey is made on first use, with the workspace's product name
        assert invitation.survey.key == "nps"
        assert invitation.survey.product_name == "FacturaPlus"
        assert invitation.due_at == clock.now()


@pytest.mark.parametrize(
    "ref", [{"email": "nobody@example.com"}, {"external_id": "crm-404"}, {"id": 404}]
)
def test_create_with_an_unknown_contact_names_the_contact(
    runtime: Runtime, clock: FrozenClock, ref: dict[str, object]
) -> None:
    with runtime.transaction() as session, pytest.raises(NotFound) as raised:
        service.create(
            session=session,
            invitation_in=InvitationCreate(contact=InvitationContact.model_validate(ref)),
            product_name="FacturaPlus",
            now=clock.now(),
        )
    assert raised.value.field == "contact"


def test_create_with_an_unknown_survey_names_the_survey(
    runtime: Runtime, clock: FrozenClock
) -> None:
    with runtime.transaction() as session:
        make_contact(session, email="ana@example.com")
    with runtime.transaction() as session, pytest.raises(NotFound) as raised:
        service.create(
            session=session,
            invitation_in=InvitationCreate(
                contact=InvitationContact(email="ana@example.com"), survey="churn"
            ),
            product_name="FacturaPlus",
            now=clock.now(),
        )
    assert raised.value.field == "survey"


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (timedelta(seconds=-59), True),
        (timedelta(minutes=-2), False),
        (timedelta(days=30), True),
        (timedelta(days=400), False),
    ],
)
def test_send_at_must_be_now_or_later_within_a_year(
    runtime: Runtime, clock: FrozenClock, offset: timedelta, accepted: bool
) -> None:
    now = clock.now()
    with runtime.transaction() as session:
        make_contact(session, email="ana@example.com")
        surveys.get_or_create_default(session=session, product_name="FacturaPlus", now=now)
    invitation_in = InvitationCreate(
        contact=InvitationContact(email="ana@example.com"), send_at=now + offset
    )
    with runtime.transaction() as session:
        if accepted:
            invitation = service.create(
                session=session, invitation_in=invitation_in, product_name="X", now=now
            )
            assert invitation.due_at == max(now, now + offset)
        else:
            with pytest.raises(InvalidInput) as raised:
                service.create(
                    session=session, invitation_in=invitation_in, product_name="X", now=now
                )
            assert raised.value.field == "send_at"


def test_two_first_requests_at_once_share_one_default_survey(
    runtime: Runtime, clock: FrozenClock
) -> None:
    """The loser of the race for the ``nps`` key uses the winner's survey instead of failing."""
    b_started = threading.Event()
    found: list[int] = []

    def second_request() -> None:
        b_started.set()
        with runtime.transaction() as session:
            survey = surveys.get_or_create_default(
                session=session, product_name="FacturaPlus", now=clock.now()
            )
            found.append(survey.id)

    with runtime.transaction() as session:
        first = surveys.get_or_create_default(
            session=session, product_name="FacturaPlus", now=clock.now()
        )
        other = threading.Thread(target=second_request)
        other.start()
        b_started.wait(timeout=5)
        time.sleep(0.3)  # let the other request reach its insert and wait on ours
    other.join(timeout=15)
    assert found == [first.id]
    with runtime.transaction() as session:
        assert len(surveys.list_(session=session)) == 1
