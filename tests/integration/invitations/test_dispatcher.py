"""The dispatcher end to end on both databases: outbox, SMTP sink, re-checks, the loop."""

from __future__ import annotations

import email
import email.policy
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from closeloop.channels.base import Delivery
from closeloop.channels.models import OutboxMessage
from closeloop.channels.outbox import OutboxChannel
from closeloop.clock import FrozenClock
from closeloop.config import Settings
from closeloop.contacts import service as contacts
from closeloop.invitations import service
from closeloop.invitations.dispatcher import Dispatcher
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from tests.integration.invitations.factories import changed, make_invitation
from tests.servers import SmtpSink


def load(runtime: Runtime, invitation_id: int) -> Invitation:
    with runtime.transaction() as session:
        return service.get_or_404(session=session, invitation_id=invitation_id)


def schedule_one(runtime: Runtime, **fields: Any) -> int:
    with runtime.transaction() as session:
        return make_invitation(session, now=runtime.clock.now(), **fields).id


def outbox(runtime: Runtime) -> list[OutboxMessage]:
    with runtime.transaction() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_without_smtp_the_message_lands_in_the_outbox(runtime: Runtime, clock: FrozenClock) -> None:
    invitation_id = schedule_one(runtime, email="ana@example.com", name="Ana Souza")
    dispatcher = Dispatcher.for_runtime(runtime)
    assert isinstance(dispatcher.channel, OutboxChannel)

    assert dispatcher.run_once() == 1
    invitation = load(runtime, invitation_id)
    assert invitation.state == InvitationState.SENT
    assert invitation.sent_at == clock.now()
    [kept] = outbox(runtime)
    assert kept.invitation_id == invitation_id
    assert kept.recipient == "ana@example.com"
    assert kept.subject == "A quick question about FacturaPlus"
    assert "Hi Ana, how likely are you to recommend FacturaPlus" in kept.text_body
    assert kept.html_body is not None and "<table" in kept.html_body
    assert kept.created_at == clock.now()
    raw = email.message_from_string(kept.raw, policy=email.policy.default)
    assert raw["Message-ID"] == invitation.message_id
    assert dispatcher.run_once() == 0


def test_nothing_goes_out_before_it_is_due(runtime: Runtime, clock: FrozenClock) -> None:
    invitation_id = schedule_one(runtime, due_at=clock.now() + timedelta(days=3))
    dispatcher = Dispatcher.for_runtime(runtime)
    assert dispatcher.run_once() == 0
    clock.advance(days=3)
    assert dispatcher.run_once() == 1
    assert load(runtime, invitation_id).state == InvitationState.SENT


@pytest.mark.parametrize("change", ["unsubscribed", "bounced", "survey switched off"])
def test_suppression_is_checked_again_just_before_sending(
    runtime: Runtime, clock: FrozenClock, change: str
) -> None:
    invitation_id = schedule_one(runtime)
    clock.advance(minutes=1)
    with runtime.transaction() as session:
        invitation = service.get_or_404(session=session, invitation_id=invitation_id)
        if change == "unsubscribed":
            contacts.unsubscribe(session=session, contact_id=invitation.contact_id, now=clock.now())
        elif change == "bounced":
            contacts.mark_bounced(
                session=session, contact_id=invitation.contact_id, reason="550", now=clock.now()
            )
        else:
            session.get_one(Survey, invitation.survey_id).active = False
    assert Dispatcher.for_runtime(runtime).run_once() == 1
    invitation = load(runtime, invitation_id)
    assert invitation.state == InvitationState.SUPPRESSED
    assert invitation.reason == {"survey switched off": "survey inactive"}.get(change, change)
    assert outbox(runtime) == []


def test_an_erased_contact_takes_its_invitations_along(runtime: Runtime) -> None:
    invitation_id = schedule_one(runtime)
    with runtime.transaction() as session:
        session.delete(service.get_or_404(session=session, invitation_id=invitation_id).contact)
    assert Dispatcher.for_runtime(runtime).run_once() == 0
    assert outbox(runtime) == []


@pytest.fixture
def smtp_runtime(
    settings: Settings, clock: FrozenClock, smtp: tuple[SmtpSink, int]
) -> Iterator[Runtime]:
    _, port = smtp
    with closing(
        Runtime.create(
            changed(settings, smtp_url=f"smtp://127.0.0.1:{port}", dispatch_max_attempts=3),
            clock=clock,
        )
    ) as runtime:
        yield runtime


def test_smtp_retry_then_success(
    smtp_runtime: Runtime, clock: FrozenClock, smtp: tuple[SmtpSink, int]
) -> None:
    sink, _ = smtp
    invitation_id = schedule_one(smtp_runtime)
    dispatcher = Dispatcher.for_runtime(smtp_runtime)

    sink.reject_with = "451 4.3.0 Mailbox temporarily unavailable"
    assert dispatcher.run_once() == 1
    waiting = load(smtp_runtime, invitation_id)
    assert waiting.state == InvitationState.SCHEDULED
    assert waiting.reason == "SMTP 451 4.3.0 Mailbox temporarily unavailable"
    assert waiting.due_at > clock.now()

    sink.reject_with = None
    assert dispatcher.run_once() == 0, "not due again yet"
    clock.set(waiting.due_at)
    assert dispatcher.run_once() == 1
    sent = load(smtp_runtime, invitation_id)
    assert (sent.state, sent.attempts) == (InvitationState.SENT, 2)
    [message] = sink.wait_for(1)
    assert message["Message-ID"] == sent.message_id


def test_smtp_gives_up_after_the_last_attempt(
    smtp_runtime: Runtime, clock: FrozenClock, smtp: tuple[SmtpSink, int]
) -> None:
    sink, _ = smtp
    sink.reject_with = "452 4.3.1 Insufficient system storage"
    invitation_id = schedule_one(smtp_runtime)
    dispatcher = Dispatcher.for_runtime(smtp_runtime)
    for _ in range(3):
        assert dispatcher.run_once() == 1
        clock.advance(hours=1)
    failed = load(smtp_runtime, invitation_id)
    assert failed.state == InvitationState.FAILED
    assert failed.reason == "gave up after 3 attempts: SMTP 452 4.3.1 Insufficient system storage"
    assert dispatcher.run_once() == 0


def test_smtp_hard_bounce_fails_and_suppresses_the_address(
    smtp_runtime: Runtime, clock: FrozenClock, smtp: tuple[SmtpSink, int]
) -> None:
    sink, _ = smtp
    sink.reject_with = "550 5.1.1 User unknown"
    invitation_id = schedule_one(smtp_runtime)
    assert Dispatcher.for_runtime(smtp_runtime).run_once() == 1
    with smtp_runtime.transaction() as session:
        invitation = service.get_or_404(session=session, invitation_id=invitation_id)
        assert (invitation.state, invitation.reason) == (
            InvitationState.FAILED,
            "SMTP 550 5.1.1 User unknown",
        )
        assert invitation.contact.bounced_at == clock.now()


def test_an_unreachable_server_is_a_transient_failure(
    settings: Settings, clock: FrozenClock
) -> None:
    from tests.servers import free_port  # noqa: PLC0415

    with closing(
        Runtime.create(changed(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}"), clock=clock)
    ) as runtime:
        invitation_id = schedule_one(runtime)
        assert Dispatcher.for_runtime(runtime).run_once() == 1
        invitation = load(runtime, invitation_id)
    assert invitation.state == InvitationState.SCHEDULED
    assert invitation.reason is not None and "ConnectionRefusedError" in invitation.reason


class ExplodingChannel:
    """A channel with a bug: the dispatcher must not lose the invitation over it."""

    name = "email"

    def send(self, *, invitation_id: int, message: EmailMessage, now: datetime) -> Delivery:
        raise RuntimeError("boom")

    def close(self) -> None:
        pass


def test_a_bug_in_a_channel_becomes_a_retry(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    invitation_id = schedule_one(runtime)
    with caplog.at_level(logging.ERROR):
        assert Dispatcher(runtime, ExplodingChannel()).run_once() == 1
    invitation = load(runtime, invitation_id)
    assert invitation.state == InvitationState.SCHEDULED
    assert invitation.reason == "internal error: RuntimeError: boom"
    assert "could not be prepared or sent" in caplog.text


class StoppingChannel(OutboxChannel):
    """The real outbox, which also asks the dispatcher to stop after the first message."""

    def __init__(self, runtime: Runtime, stop: threading.Event) -> None:
        super().__init__(runtime.sessions)
        self.stop = stop

    def send(self, *, invitation_id: int, message: EmailMessage, now: datetime) -> Delivery:
        delivery = super().send(invitation_id=invitation_id, message=message, now=now)
        self.stop.set()
        return delivery


def test_stopping_finishes_the_message_in_hand_and_hands_the_rest_back(
    runtime: Runtime,
) -> None:
    ids = [schedule_one(runtime) for _ in range(4)]
    stop = threading.Event()
    assert Dispatcher(runtime, StoppingChannel(runtime, stop)).run_once(stop) == 1
    states = [(load(runtime, n).state, load(runtime, n).attempts) for n in ids]
    assert states == [(InvitationState.SENT, 1)] + [(InvitationState.SCHEDULED, 0)] * 3
    assert len(outbox(runtime)) == 1


class Interrupted(BaseException):
    """What ``except Exception`` lets through, as SystemExit or KeyboardInterrupt do."""


class InterruptedChannel(OutboxChannel):
    """The real outbox, interrupted just after it accepted a message."""

    def send(self, *, invitation_id: int, message: EmailMessage, now: datetime) -> Delivery:
        super().send(invitation_id=invitation_id, message=message, now=now)
        raise Interrupted


def test_an_interrupted_send_keeps_its_lease_and_only_the_rest_is_handed_back(
    runtime: Runtime,
) -> None:
    ids = [schedule_one(runtime) for _ in range(3)]
    with pytest.raises(Interrupted):
        Dispatcher(runtime, InterruptedChannel(runtime.sessions)).run_once()
    # it may have gone out: handed back, it would be sent again at once, its attempt undone
    in_hand = load(runtime, ids[0])
    assert (in_hand.state, in_hand.attempts) == (InvitationState.SENDING, 1)
    assert in_hand.lease_expires_at is not None
    rest = [(load(runtime, n).state, load(runtime, n).attempts) for n in ids[1:]]
    assert rest == [(InvitationState.SCHEDULED, 0)] * 2
    assert len(outbox(runtime)) == 1


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll (bounded) for something another thread does."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_run_forever_sends_while_running_and_stops_promptly(
    settings: Settings, clock: FrozenClock
) -> None:
    with closing(
        Runtime.create(changed(settings, dispatch_interval_seconds=0.02), clock=clock)
    ) as runtime:
        stop = threading.Event()
        thread = threading.Thread(
            target=Dispatcher.for_runtime(runtime).run_forever, args=(stop,), daemon=True
        )
        thread.start()
        invitation_id = schedule_one(runtime)
        wait_until(lambda: load(runtime, invitation_id).state == InvitationState.SENT)
        stop.set()
        thread.join(timeout=5)
        assert not thread.is_alive()


def test_run_forever_survives_a_broken_database(
    tmp_path: Path, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    # a database without the schema: every claim fails, the thread must not die
    broken = Settings(
        database_url=f"sqlite:///{tmp_path / 'empty.db'}",
        data_dir=tmp_path,
        secret_key="a-test-secret-with-enough-entropy-0123456789",
        dispatch_interval_seconds=0.01,
    )
    with closing(Runtime.create(broken, clock=clock)) as runtime, caplog.at_level(logging.ERROR):
        stop = threading.Event()
        thread = threading.Thread(
            target=Dispatcher.for_runtime(runtime).run_forever, args=(stop,), daemon=True
        )
        thread.start()
        wait_until(lambda: caplog.text.count("dispatching failed") >= 3)
        assert thread.is_alive()
        stop.set()
        thread.join(timeout=5)
        assert not thread.is_alive()


def test_outbox_rows_count_one_per_message(runtime: Runtime) -> None:
    for _ in range(3):
        schedule_one(runtime)
    assert Dispatcher.for_runtime(runtime).run_once() == 3
    with runtime.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
