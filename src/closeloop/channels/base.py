"""What every channel promises the dispatcher: take one rendered message, say what happened.

A channel never raises for a delivery problem; it answers with a ``Delivery`` whose
status tells the dispatcher what to do: ``SENT`` (done), ``TRANSIENT`` (try again later:
the server is down, busy or slow, or our own configuration is wrong) or ``PERMANENT``
(the recipient's address does not take mail: a hard bounce, so stop writing to it).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol


class DeliveryStatus(enum.StrEnum):
    SENT = "sent"
    TRANSIENT = "transient"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class Delivery:
    status: DeliveryStatus
    # the server's answer or the error, kept as the invitation's reason on failure
    detail: str

    @classmethod
    def sent(cls, detail: str = "accepted") -> Delivery:
        return cls(DeliveryStatus.SENT, detail)

    @classmethod
    def transient(cls, detail: str) -> Delivery:
        return cls(DeliveryStatus.TRANSIENT, detail)

    @classmethod
    def permanent(cls, detail: str) -> Delivery:
        return cls(DeliveryStatus.PERMANENT, detail)


class Channel(Protocol):
    """Delivers rendered email messages; may keep a connection open between sends."""

    @property
    def name(self) -> str:
        """The channel name stored on invitations (``email``)."""
        ...

    def send(self, *, invitation_id: int, message: EmailMessage, now: datetime) -> Delivery:
        """Hand one message over; the answer says whether it was accepted."""
        ...

    def close(self) -> None:
        """Release any connection held between sends (called after each batch)."""
        ...
