"""Invitations over real SMTP: the message as a mail server receives it, retries, TLS and AUTH."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import closing, contextmanager
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from closeloop.channels.smtp import SmtpChannel
from closeloop.clock import FrozenClock
from closeloop.config import Settings, SmtpServer
from closeloop.invitations import service
from closeloop.invitations.dispatcher import Dispatcher
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.runtime import Runtime
from tests.integration.invitations.factories import changed, make_contact, make_invitation
from tests.servers import SmtpSink, free_port

pytestmark = pytest.mark.e2e


def smtp_runtime(settings: Settings, clock: FrozenClock, url: str) -> closing[Runtime]:
    return closing(Runtime.create(changed(settings, smtp_url=url), clock=clock))


def schedule(runtime: Runtime, **contact: Any) -> int:
    with runtime.transaction() as session:
        return make_invitation(
            session, now=runtime.clock.now(), contact=make_contact(session, **contact)
        ).id


def load(runtime: Runtime, invitation_id: int) -> Invitation:
    with runtime.transaction() as session:
        return service.get_or_404(session=session, invitation_id=invitation_id)


class Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [value for name, value in attrs if name == "href" and value]


def content(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    text = part.get_content()
    assert isinstance(text, str)
    return text


def test_the_invitation_arrives_as_a_mail_client_needs_it(
    settings: Settings, clock: FrozenClock, smtp: tuple[SmtpSink, int]
) -> None:
    sink, port = smtp
    with smtp_runtime(settings, clock, f"smtp://127.0.0.1:{port}") as runtime:
        invitation_id = schedule(runtime, email="ana@example.com", name="Ana Souza")
        assert Dispatcher.for_runtime(runtime).run_once() == 1
        [message] = sink.wait_for(1)
        invitation = load(runtime, invitation_id)

    assert invitation.state == InvitationState.SENT
    assert message["Message-ID"] == invitation.message_id
    assert sink.envelopes == [("surveys@facturaplus.test", ["ana@example.com"])]
    assert message["To"] == "Ana Souza <ana@example.com>"
    assert message["From"].addresses[0].addr_spec == "surveys@facturaplus.test"
    assert message["Subject"] == "A quick question about FacturaPlus"
    assert message["Auto-Submitted"] == "auto-generated"

    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    question = "Hi Ana, how likely are you to recommend FacturaPlus to a friend or colleague?"
    text, html = content(message, "plain"), content(message, "html")
    assert question in text and question in html

    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://127.0.0.1:8000/r/u/") and unsubscribe.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    anchors = Anchors()
    anchors.feed(html)
    scores = [href for href in anchors.hrefs if href != unsubscribe[1:-1]]
    assert len(scores) == 11
    assert [href.rsplit("/", 1)[1] for href in scores] == [str(n) for n in range(11)]
    assert all(href in text for href in scores)
    assert unsubscribe[1:-1] in anchors.hrefs


def test_a_451_is_retried_and_later_delivered_once(
    settings: Settings, clock: FrozenClock, smtp: tuple[SmtpSink, int]
) -> None:
    sink, port = smtp
    with smtp_runtime(settings, clock, f"smtp://127.0.0.1:{port}") as runtime:
        invitation_id = schedule(runtime)
        dispatcher = Dispatcher.for_runtime(runtime)
        sink.reject_with = "451 4.7.1 Greylisted, please try again"
        assert dispatcher.run_once() == 1
        waiting = load(runtime, invitation_id)
        assert waiting.state == InvitationState.SCHEDULED
        assert "451" in (waiting.reason or "")
        assert sink.messages == []

        sink.reject_with = None
        clock.set(waiting.due_at)
        assert dispatcher.run_once() == 1
        [message] = sink.wait_for(1)
        sent = load(runtime, invitation_id)
    assert (sent.state, sent.attempts) == (InvitationState.SENT, 2)
    assert message["Message-ID"] == sent.message_id


# --- STARTTLS and AUTH, with a certificate made for the test -------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A self-signed certificate for 127.0.0.1: (cert file, key file, cert PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "closeloop test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    (directory / "cert.pem").write_text(cert_pem)
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return directory / "cert.pem", directory / "key.pem", cert_pem


USER, PASSWORD = "closeloop", "s3cret pass"


def check_password(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@contextmanager
def tls_server(certificate: tuple[Path, Path, str]) -> Iterator[tuple[SmtpSink, int]]:
    """An SMTP server that insists on STARTTLS, then on AUTH, before it takes mail."""
    cert_file, key_file, _ = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    sink = SmtpSink()
    port = free_port()
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=check_password,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def client_context(certificate: tuple[Path, Path, str]) -> ssl.SSLContext:
    return ssl.create_default_context(cadata=certificate[2])


def test_starttls_and_auth(
    settings: Settings, clock: FrozenClock, certificate: tuple[Path, Path, str]
) -> None:
    with tls_server(certificate) as (sink, port):
        url = f"smtp://{USER}:s3cret%20pass@127.0.0.1:{port}?starttls=1&timeout=5"
        with smtp_runtime(settings, clock, url) as runtime:
            invitation_id = schedule(runtime)
            channel = SmtpChannel(SmtpServer(url), ssl_context=client_context(certificate))
            assert Dispatcher(runtime, channel).run_once() == 1
            [message] = sink.wait_for(1)
            sent = load(runtime, invitation_id)
    assert sent.state == InvitationState.SENT
    assert message["Message-ID"] == sent.message_id


def test_implicit_tls(
    settings: Settings, clock: FrozenClock, certificate: tuple[Path, Path, str]
) -> None:
    cert_file, key_file, _ = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    sink, port = SmtpSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    try:
        url = f"smtps://127.0.0.1:{port}?timeout=5"
        with smtp_runtime(settings, clock, url) as runtime:
            invitation_id = schedule(runtime)
            channel = SmtpChannel(SmtpServer(url), ssl_context=client_context(certificate))
            assert Dispatcher(runtime, channel).run_once() == 1
            assert load(runtime, invitation_id).state == InvitationState.SENT
        assert len(sink.wait_for(1)) == 1
    finally:
        controller.stop()


@pytest.mark.parametrize(
    ("user_info", "query", "reason"),
    [
        (f"{USER}:wrong", "?starttls=1", "SMTP 535"),  # bad password
        ("", "?starttls=1", "sender refused: SMTP 530"),  # no AUTH: the server refuses MAIL
        # no STARTTLS: the server does not even offer AUTH on a clear connection
        (f"{USER}:s3cret%20pass", "", "SMTP AUTH extension not supported"),
    ],
)
def test_what_the_server_refuses_is_retried_not_bounced(
    settings: Settings,
    clock: FrozenClock,
    certificate: tuple[Path, Path, str],
    user_info: str,
    query: str,
    reason: str,
) -> None:
    with tls_server(certificate) as (sink, port):
        at = f"{user_info}@" if user_info else ""
        url = f"smtp://{at}127.0.0.1:{port}{query or '?'}&timeout=5"
        with smtp_runtime(settings, clock, url) as runtime:
            invitation_id = schedule(runtime)
            channel = SmtpChannel(SmtpServer(url), ssl_context=client_context(certificate))
            assert Dispatcher(runtime, channel).run_once() == 1
            with runtime.transaction() as session:
                invitation = service.get_or_404(session=session, invitation_id=invitation_id)
                assert invitation.state == InvitationState.SCHEDULED
                assert reason in (invitation.reason or "")
                assert invitation.contact.bounced_at is None
    assert sink.messages == []


def test_an_untrusted_certificate_is_refused(
    settings: Settings, clock: FrozenClock, certificate: tuple[Path, Path, str]
) -> None:
    with tls_server(certificate) as (sink, port):
        url = f"smtp://{USER}:s3cret%20pass@127.0.0.1:{port}?starttls=1"
        with smtp_runtime(settings, clock, url) as runtime:
            invitation_id = schedule(runtime)
            # the default context: the system's CAs, which never signed the test certificate
            assert Dispatcher.for_runtime(runtime).run_once() == 1
            invitation = load(runtime, invitation_id)
    assert invitation.state == InvitationState.SCHEDULED
    assert "CERTIFICATE_VERIFY_FAILED" in (invitation.reason or "")
    assert sink.messages == []
