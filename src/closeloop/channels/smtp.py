"""Sending through an SMTP server, with one connection reused for a batch.

Errors are sorted by RFC 5321 reply codes: 4yz is a transient failure (try again later),
5yz on RCPT or DATA is a permanent one for this recipient (a hard bounce). Problems
that are ours rather than the recipient's — the server unreachable or slow, a refused
sender, failed authentication — are transient: the invitation waits while someone fixes
the server or the settings, and the recipient is not blamed.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage

from closeloop.channels.base import Delivery, DeliveryStatus
from closeloop.config import SmtpServer

log = logging.getLogger(__name__)


def classify(code: int) -> DeliveryStatus:
    """What an SMTP reply code means for this message (RFC 5321 §4.2.1)."""
    if 200 <= code < 400:
        return DeliveryStatus.SENT
    if 500 <= code < 600:
        return DeliveryStatus.PERMANENT
    return DeliveryStatus.TRANSIENT


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"SMTP {code} {' '.join(message.split())}"


def _refused(code: int, text: bytes | str) -> Delivery:
    """A reply smtplib raised on: never ``SENT``, whatever the code says.

    smtplib refuses a recipient on anything but 250/251 and the data on anything but
    354/250, so an odd 252 or 3yz lands here too; the message did not go through, and
    calling it sent would lose the invitation. Only a 5yz is the recipient's fault.
    """
    if classify(code) is DeliveryStatus.PERMANENT:
        return Delivery.permanent(_reply(code, text))
    return Delivery.transient(_reply(code, text))


class SmtpChannel:
    """Email through ``settings.smtp``: STARTTLS or implicit TLS, and AUTH when configured."""

    name = "email"

    def __init__(self, server: SmtpServer, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.server = server
        self.ssl_context = ssl_context or ssl.create_default_context()
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        # smtplib closes the socket itself after a 421 (the server is going away)
        if self._connection is not None and self._connection.sock is not None:
            return self._connection
        server = self.server
        connection: smtplib.SMTP
        if server.implicit_tls:
            connection = smtplib.SMTP_SSL(
                server.host, server.port, timeout=server.timeout, context=self.ssl_context
            )
        else:
            connection = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
        try:
            connection.ehlo()
            if server.starttls:
                connection.starttls(context=self.ssl_context)
                connection.ehlo()
            if server.username is not None:
                connection.login(server.username, server.password or "")
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection

    def send(self, *, invitation_id: int, message: EmailMessage, now: datetime) -> Delivery:
        try:
            connection = self._connect()
            connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            # one recipient per message: its (code, text) is the server's verdict on it
            code, text = next(iter(error.recipients.values()))
            return _refused(code, text)
        except smtplib.SMTPDataError as error:
            return _refused(error.smtp_code, error.smtp_error)
        except smtplib.SMTPSenderRefused as error:
            return Delivery.transient(
                f"sender refused: {_reply(error.smtp_code, error.smtp_error)}"
            )
        except smtplib.SMTPResponseException as error:
            self.close()
            return Delivery.transient(_reply(error.smtp_code, error.smtp_error))
        except (smtplib.SMTPException, OSError) as error:
            # refused or dropped connections, timeouts, TLS failures, missing extensions
            self.close()
            return Delivery.transient(f"{type(error).__name__}: {error}".rstrip(": "))
        log.debug("invitation %s accepted by %s", invitation_id, self.server.host)
        return Delivery.sent(f"accepted by {self.server.host}")

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()
