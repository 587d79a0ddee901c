"""Small factories for dashboard tests: rows with overridable defaults."""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from email.message import EmailMessage
from functools import cache

import httpx
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from closeloop.auth.models import User
from closeloop.channels.models import OutboxMessage
from closeloop.contacts.models import Account, Contact
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.responses.models import Response
from closeloop.surveys import service as surveys
from closeloop.surveys.models import Survey, SurveyKind

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match is not None, "the page has no CSRF field"
    return match.group(1)


def log_in(
    client: TestClient, email: str, password: str = PASSWORD, next_path: str | None = None
) -> httpx.Response:
    """Log in through the form, as a browser would: GET it, then POST it with its token."""
    page = client.get("/login")
    data = {"email": email, "password": password, "csrf_token": csrf_from(page.text)}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/login", data=data, follow_redirects=False)


@cache
def _password_hash() -> str:
    """Argon2 is slow on purpose; hashing the shared test password once keeps tests fast."""
    return PasswordHasher().hash(PASSWORD)


def user(
    session: Session,
    *,
    now: datetime,
    email: str = "marta@facturaplus.test",
    name: str = "Marta Ruiz",
) -> User:
    """A dashboard user whose password is ``PASSWORD`` (``auth.create_user`` minus the hashing)."""
    row = User(email=email, name=name, password_hash=_password_hash(), created_at=now)
    session.add(row)
    session.flush()
    return row


def survey(session: Session, *, now: datetime, kind: SurveyKind = SurveyKind.NPS) -> Survey:
    if kind is SurveyKind.NPS:
        return surveys.get_or_create_default(session=session, product_name="FacturaPlus", now=now)
    other = Survey(key=f"{kind.value}-{next(_numbers)}", name=kind.value, kind=kind.value)
    session.add(other)
    session.flush()
    return other


def contact(
    session: Session,
    *,
    now: datetime,
    name: str = "Lucía García",
    company: str | None = "Construcciones Ibarra",
) -> Contact:
    number = next(_numbers)
    account = None
    if company is not None:
        account = Account(name=company, traits={}, created_at=now, updated_at=now)
        session.add(account)
    person = Contact(
        email=f"person{number}@example.com",
        name=name,
        traits={},
        account=account,
        created_at=now,
        updated_at=now,
    )
    session.add(person)
    session.flush()
    return person


def answer(
    session: Session,
    *,
    score: int,
    responded_at: datetime,
    person: Contact | None = None,
    on: Survey | None = None,
    comment: str | None = None,
) -> Response:
    on = on or survey(session, now=responded_at)
    response = Response(
        survey_id=on.id,
        contact_id=person.id if person else None,
        score=score,
        comment=comment,
        answers={},
        channel="email",
        responded_at=responded_at,
        updated_at=responded_at,
    )
    session.add(response)
    session.flush()
    return response


def invitation(
    session: Session, *, state: InvitationState, due_at: datetime, person: Contact | None = None
) -> Invitation:
    person = person or contact(session, now=due_at)
    row = Invitation(
        survey_id=survey(session, now=due_at).id,
        contact_id=person.id,
        state=state.value,
        due_at=due_at,
        created_at=due_at,
    )
    session.add(row)
    session.flush()
    return row


def outbox_message(
    session: Session,
    *,
    created_at: datetime,
    recipient: str = "lucia@example.com",
    subject: str = "A quick question about FacturaPlus",
    text: str = "How likely are you to recommend FacturaPlus? https://nps.example/r/tok/10",
    html: str | None = '<p>How likely? <a href="https://nps.example/r/tok/10">10</a></p>',
) -> OutboxMessage:
    message = EmailMessage()
    message["From"] = "FacturaPlus <surveys@facturaplus.test>"
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    row = OutboxMessage(
        channel="email",
        recipient=recipient,
        subject=subject,
        text_body=text,
        html_body=html,
        raw=message.as_string(),
        created_at=created_at,
    )
    session.add(row)
    session.flush()
    return row
