"""The dev outbox keeps what would have been sent (both databases)."""

from __future__ import annotations

import email
import email.policy

from sqlalchemy import select

from closeloop.channels.base import DeliveryStatus
from closeloop.channels.email import InvitationEmail, render
from closeloop.channels.models import OutboxMessage
from closeloop.channels.outbox import OutboxChannel
from closeloop.clock import FrozenClock
from closeloop.runtime import Runtime
from closeloop.surveys.models import SurveyKind
from tests.integration.invitations.factories import make_invitation


def test_the_outbox_keeps_every_part_of_the_message(runtime: Runtime, clock: FrozenClock) -> None:
    with runtime.transaction() as session:
        invitation_id = make_invitation(session, now=clock.now()).id
    rendered = render(
        settings=runtime.settings,
        invitation=InvitationEmail(
            invitation_id=invitation_id,
            to_email="jose@example.com",
            to_name="José Müller",
            first_name="José",
            kind=SurveyKind.NPS,
            product_name="FacturaPlus",
            question=None,
            email_subject="{name}, ¿nos recomendarías {product}?",
        ),
        now=clock.now(),
    )
    delivery = OutboxChannel(runtime.sessions).send(
        invitation_id=invitation_id, message=rendered, now=clock.now()
    )
    assert delivery.status is DeliveryStatus.SENT

    with runtime.transaction() as session:
        [kept] = session.scalars(select(OutboxMessage)).all()
    assert kept.invitation_id == invitation_id
    assert kept.channel == "email"
    assert kept.recipient == "jose@example.com"
    assert kept.subject == "José, ¿nos recomendarías FacturaPlus?"
    assert "Hi José, how likely are you to recommend FacturaPlus" in kept.text_body
    assert kept.html_body is not None and "Hi José" in kept.html_body
    assert kept.created_at == clock.now()
    source = email.message_from_string(kept.raw, policy=email.policy.default)
    assert source["Message-ID"] == rendered["Message-ID"]
    assert source["To"].addresses[0].display_name == "José Müller"
    assert source["List-Unsubscribe"] == rendered["List-Unsubscribe"]
