"""The SMTP channel against real loopback servers: reuse, replies, failures."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from closeloop.channels.base import DeliveryStatus
from closeloop.channels.email import InvitationEmail, render
from closeloop.channels.smtp import SmtpChannel
from closeloop.config import Settings, SmtpServer
from closeloop.surveys.models import SurveyKind
from tests.servers import SmtpSink, free_port

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


class ScriptedSink(SmtpSink):
    """The test sink, which can also refuse recipients and notes each client connection."""

    def __init__(self) -> None:
        super().__init__()
        self.rcpt_reply: str | None = None
        self.peers: list[Any] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.peers.append(session.peer)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def server() -> Iterator[tuple[ScriptedSink, int]]:
    """``tests.servers.smtp_sink``, serving the scripted sink instead of the plain one."""
    sink = ScriptedSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        secret_key="channel-test-secret-with-enough-entropy-0123",
        from_email="surveys@facturaplus.test",
    )


def message(settings: Settings, invitation_id: int, to: str = "ana@example.com") -> EmailMessage:
    return render(
        settings=settings,
        invitation=InvitationEmail(
            invitation_id=invitation_id,
            to_email=to,
            to_name="Ana Souza",
            first_name="Ana",
            kind=SurveyKind.NPS,
            product_name="FacturaPlus",
            question=None,
            email_subject=None,
        ),
        now=NOW,
    )


def test_a_batch_shares_one_connection(
    server: tuple[ScriptedSink, int], settings: Settings
) -> None:
    sink, port = server
    channel = SmtpChannel(SmtpServer(f"smtp://127.0.0.1:{port}"))
    try:
        for invitation_id in range(1, 4):
            delivery = channel.send(
                invitation_id=invitation_id, message=message(settings, invitation_id), now=NOW
            )
            assert delivery.status is DeliveryStatus.SENT
    finally:
        channel.close()
    assert len(sink.wait_for(3)) == 3
    assert len(set(sink.peers)) == 1
    assert sink.envelopes[0] == ("surveys@facturaplus.test", ["ana@example.com"])


def test_closing_ends_the_connection_and_the_next_send_opens_another(
    server: tuple[ScriptedSink, int], settings: Settings
) -> None:
    sink, port = server
    channel = SmtpChannel(SmtpServer(f"smtp://127.0.0.1:{port}"))
    for invitation_id in (1, 2):
        assert (
            channel.send(
                invitation_id=invitation_id, message=message(settings, invitation_id), now=NOW
            ).status
            is DeliveryStatus.SENT
        )
        channel.close()
    channel.close()  # closing twice is harmless
    sink.wait_for(2)
    assert len(set(sink.peers)) == 2


@pytest.mark.parametrize(
    ("rcpt_reply", "status", "detail"),
    [
        ("550 5.1.1 <ana@example.com>: user unknown", DeliveryStatus.PERMANENT, "SMTP 550 5.1.1"),
        ("450 4.2.0 greylisted, try again", DeliveryStatus.TRANSIENT, "SMTP 450 4.2.0"),
        # smtplib refuses anything but 250/251: not delivered, so never counted as sent
        ("252 2.1.5 cannot verify, will try", DeliveryStatus.TRANSIENT, "SMTP 252 2.1.5"),
    ],
)
def test_a_refused_recipient(
    server: tuple[ScriptedSink, int],
    settings: Settings,
    rcpt_reply: str,
    status: DeliveryStatus,
    detail: str,
) -> None:
    sink, port = server
    sink.rcpt_reply = rcpt_reply
    channel = SmtpChannel(SmtpServer(f"smtp://127.0.0.1:{port}"))
    try:
        delivery = channel.send(invitation_id=1, message=message(settings, 1), now=NOW)
        assert delivery.status is status
        assert delivery.detail.startswith(detail)
        # the connection is still good for the next recipient
        sink.rcpt_reply = None
        assert channel.send(invitation_id=2, message=message(settings, 2), now=NOW).status is (
            DeliveryStatus.SENT
        )
    finally:
        channel.close()


def test_a_421_closes_the_connection_and_the_next_send_reconnects(
    server: tuple[ScriptedSink, int], settings: Settings
) -> None:
    sink, port = server
    channel = SmtpChannel(SmtpServer(f"smtp://127.0.0.1:{port}"))
    try:
        sink.reject_with = "421 4.3.2 shutting down"
        delivery = channel.send(invitation_id=1, message=message(settings, 1), now=NOW)
        assert (delivery.status, delivery.detail) == (
            DeliveryStatus.TRANSIENT,
            "SMTP 421 4.3.2 shutting down",
        )
        sink.reject_with = None
        assert channel.send(invitation_id=2, message=message(settings, 2), now=NOW).status is (
            DeliveryStatus.SENT
        )
    finally:
        channel.close()


def test_connection_refused_is_transient(settings: Settings) -> None:
    channel = SmtpChannel(SmtpServer(f"smtp://127.0.0.1:{free_port()}"))
    delivery = channel.send(invitation_id=1, message=message(settings, 1), now=NOW)
    assert delivery.status is DeliveryStatus.TRANSIENT
    assert delivery.detail.startswith("ConnectionRefusedError")


def test_a_server_that_never_answers_times_out_as_transient(settings: Settings) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens, never greets
        port = silent.getsockname()[1]
        channel = SmtpChannel(SmtpServer(f"smtp://127.0.0.1:{port}?timeout=0.3"))
        delivery = channel.send(invitation_id=1, message=message(settings, 1), now=NOW)
    assert delivery.status is DeliveryStatus.TRANSIENT
    assert "timed out" in delivery.detail


def test_auth_the_server_does_not_offer_is_transient_not_a_bounce(
    server: tuple[ScriptedSink, int], settings: Settings
) -> None:
    _, port = server
    channel = SmtpChannel(SmtpServer(f"smtp://user:secret@127.0.0.1:{port}"))
    delivery = channel.send(invitation_id=1, message=message(settings, 1), now=NOW)
    assert delivery.status is DeliveryStatus.TRANSIENT
    assert "AUTH" in delivery.detail
