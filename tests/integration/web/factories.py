"""Small factories for dashboard tests: rows with overridable defaults.

Surveys, people and invitations come from the response tests' factories; what is only
the dashboard's (users, logging in, bare answers, outbox messages) lives here.
"""

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
from closeloop.contacts.models import Contact
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.responses.models import Response
from closeloop.surveys.models import Survey, SurveyKind
from tests.integration.responses import factories as shared

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
    """The default NPS survey, or a new survey of another kind."""
    key = None if kind is SurveyKind.NPS else f"{kind.value}-{next(_numbers)}"
    return shared.survey(session, now=now, key=key, kind=kind)


def contact(
    session: Session,
    *,
    now: datetime,
    name: str = "Lucía García",
    company: str | None = "Construcciones Ibarra",
) -> Contact:
    """A person, working at a new account named ``company`` unless that is None."""
    account = shared.account(session, name=company, now=now) if company is not None else None
    return shared.contact(session, now=now, name=name, account_id=account.id if account else None)


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
    return shared.invitation(
        session, now=due_at, state=state, contact_row=person or contact(session, now=due_at)
    )


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
