"""SMTP reply codes (RFC 5321 §4.2.1) decide retry or bounce."""

from __future__ import annotations

import pytest

from closeloop.channels.base import DeliveryStatus
from closeloop.channels.smtp import classify


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (250, DeliveryStatus.SENT),
        (251, DeliveryStatus.SENT),
        (354, DeliveryStatus.SENT),
        (421, DeliveryStatus.TRANSIENT),  # service not available, closing
        (450, DeliveryStatus.TRANSIENT),  # mailbox busy / greylisted
        (451, DeliveryStatus.TRANSIENT),
        (452, DeliveryStatus.TRANSIENT),
        (550, DeliveryStatus.PERMANENT),  # no such user
        (551, DeliveryStatus.PERMANENT),
        (553, DeliveryStatus.PERMANENT),
        (554, DeliveryStatus.PERMANENT),
        (-1, DeliveryStatus.TRANSIENT),  # smtplib's "no reply at all"
        (999, DeliveryStatus.TRANSIENT),
    ],
)
def test_classify(code: int, status: DeliveryStatus) -> None:
    assert classify(code) is status
