"""The dispatcher: claims due invitations, re-checks them, renders, sends, records.

Every step has its own short transaction and nothing is held open across a send:
claiming a batch, then per invitation preparing it (re-check and render), handing it to
the channel, and recording the answer. A crash at any line leaves each invitation
either finished or leased; an expired lease makes it due again (ADR 0001). Many
dispatchers, in one process or on many machines, share the work through the database.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
from datetime import timedelta
from types import FrameType

from closeloop.channels.base import Channel, Delivery, DeliveryStatus
from closeloop.channels.outbox import OutboxChannel
from closeloop.channels.smtp import SmtpChannel
from closeloop.invitations import service
from closeloop.runtime import Runtime

log = logging.getLogger(__name__)

# A lost commit after a send means sending again later (ADR 0001), so recording what the
# channel answered is retried at once a few times before the lease is left to expire.
RECORD_TRIES = 3


def make_worker_id() -> str:
    """Unique per dispatcher: which host and process holds a lease, for the humans."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


class Dispatcher:
    def __init__(self, runtime: Runtime, channel: Channel, *, worker_id: str | None = None) -> None:
        self.runtime = runtime
        self.channel = channel
        self.worker_id = worker_id or make_worker_id()

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> Dispatcher:
        """SMTP when ``CLOSELOOP_SMTP_URL`` is set, else the local outbox."""
        smtp = runtime.settings.smtp
        channel: Channel = (
            SmtpChannel(smtp) if smtp is not None else OutboxChannel(runtime.sessions)
        )
        return cls(runtime, channel)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.runtime.settings.dispatch_lease_seconds)

    def run_once(self, stop: threading.Event | None = None) -> int:
        """Claim one batch and handle it; how many invitations were handled.

        When ``stop`` is set mid-batch, the message in hand is finished and the rest of the
        batch is handed back, so another worker can take it without waiting for the lease.
        Only invitations not yet started are handed back: one interrupted mid-send may have
        gone out, so it keeps its lease and its attempt, like a crash (ADR 0001).
        """
        settings = self.runtime.settings
        with self.runtime.transaction() as session:
            claimed = [
                invitation.id
                for invitation in service.claim_due(
                    session=session,
                    now=self.runtime.clock.now(),
                    worker_id=self.worker_id,
                    limit=settings.dispatch_batch_size,
                    lease=self.lease,
                )
            ]
        handled = 0
        try:
            for invitation_id in claimed:
                if stop is not None and stop.is_set():
                    break
                handled += 1  # before the send: an interrupted one is not handed back
                self._handle(invitation_id)
        finally:
            self._release(claimed[handled:])
            self.channel.close()
        if handled:
            log.info("dispatched %d invitation(s)", handled)
        return handled

    def run_forever(self, stop: threading.Event) -> None:
        """Dispatch until ``stop`` is set: straight on while there is work, else wait.

        Unexpected errors (the database restarting, a bug) are logged and the loop goes
        on after the usual wait: this thread must outlive a hiccup.
        """
        interval = self.runtime.settings.dispatch_interval_seconds
        log.info("dispatcher %s started (%s)", self.worker_id, type(self.channel).__name__)
        while not stop.is_set():
            try:
                handled = self.run_once(stop)
            except Exception:
                log.exception("dispatching failed; trying again in %.1fs", interval)
                handled = 0
            if not handled:
                stop.wait(interval)
        log.info("dispatcher %s stopped", self.worker_id)

    def _handle(self, invitation_id: int) -> None:
        """One invitation, start to end; an error here never escapes to the batch."""
        settings = self.runtime.settings
        try:
            with self.runtime.transaction() as session:
                message = service.prepare(
                    session=session,
                    invitation_id=invitation_id,
                    worker_id=self.worker_id,
                    settings=settings,
                    now=self.runtime.clock.now(),
                    lease=self.lease,
                )
            if message is None:
                return
            delivery = self.channel.send(
                invitation_id=invitation_id, message=message, now=self.runtime.clock.now()
            )
            message_id: str | None = str(message["Message-ID"])
        except Exception as error:
            log.exception("invitation %s could not be prepared or sent", invitation_id)
            delivery = Delivery.transient(f"internal error: {type(error).__name__}: {error}")
            message_id = None
        self._record(invitation_id, delivery, message_id)

    def _record(self, invitation_id: int, delivery: Delivery, message_id: str | None) -> None:
        for attempt in range(1, RECORD_TRIES + 1):
            try:
                with self.runtime.transaction() as session:
                    service.record_delivery(
                        session=session,
                        invitation_id=invitation_id,
                        worker_id=self.worker_id,
                        delivery=delivery,
                        message_id=message_id,
                        max_attempts=self.runtime.settings.dispatch_max_attempts,
                        now=self.runtime.clock.now(),
                    )
            except Exception:
                log.exception(
                    "recording invitation %s as %s failed (try %d of %d)",
                    invitation_id,
                    delivery.status,
                    attempt,
                    RECORD_TRIES,
                )
            else:
                if delivery.status is not DeliveryStatus.SENT:
                    log.warning(
                        "invitation %s: %s (%s)", invitation_id, delivery.status, delivery.detail
                    )
                return

    def _release(self, invitation_ids: list[int]) -> None:
        if not invitation_ids:
            return
        try:
            with self.runtime.transaction() as session:
                service.release(
                    session=session, invitation_ids=invitation_ids, worker_id=self.worker_id
                )
        except Exception:
            log.exception(
                "could not hand back %d invitation(s); their lease will expire", len(invitation_ids)
            )


def run_worker(runtime: Runtime) -> None:
    """``closeloop worker``: dispatch until SIGTERM or SIGINT, finishing the message in hand."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s; stopping after the message in hand", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    Dispatcher.for_runtime(runtime).run_forever(stop)
