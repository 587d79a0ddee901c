"""Rows for response tests, built directly from the models with overridable defaults."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from closeloop.contacts.models import Account, Contact
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.responses import service as responses
from closeloop.responses.links import answer_token, unsubscribe_url
from closeloop.responses.models import Response
from closeloop.runtime import Runtime
from closeloop.surveys import service as surveys
from closeloop.surveys.models import Survey, SurveyKind

_numbers = itertools.count(1)


def survey(
    session: Session, *, now: datetime, key: str | None = None, kind: SurveyKind = SurveyKind.NPS
) -> Survey:
    """The default NPS survey, or a new one with ``key``."""
    if key is None:
        return surveys.get_or_create_default(session=session, product_name="FacturaPlus", now=now)
    row = Survey(key=key, name=f"Survey {key}", kind=kind.value, created_at=now)
    session.add(row)
    session.flush()
    return row


def account(session: Session, *, name: str, now: datetime) -> Account:
    row = Account(name=name, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return row


def contact(
    session: Session,
    *,
    now: datetime,
    name: str | None = "Ana García",
    role: str | None = None,
    account_id: int | None = None,
) -> Contact:
    row = Contact(
        email=f"person{next(_numbers)}@acme.test",
        name=name,
        role=role,
        account_id=account_id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def invitation(
    session: Session,
    *,
    now: datetime,
    state: InvitationState = InvitationState.SENT,
    touchpoint: str | None = "onboarding",
    survey_row: Survey | None = None,
    contact_row: Contact | None = None,
) -> Invitation:
    """An invitation as the dispatcher leaves it once the email went out."""
    survey_row = survey_row or survey(session, now=now)
    contact_row = contact_row or contact(session, now=now)
    row = Invitation(
        survey_id=survey_row.id,
        contact_id=contact_row.id,
        state=state.value,
        due_at=now,
        touchpoint=touchpoint,
        sent_at=now if state is InvitationState.SENT else None,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def sent_invitation(runtime: Runtime, **kwargs: Any) -> int:
    """A committed invitation (in its own transaction), returning its id."""
    with runtime.transaction() as session:
        row = invitation(session, now=runtime.clock.now(), **kwargs)
        return row.id


def token_for(runtime: Runtime, invitation_id: int) -> str:
    return answer_token(
        settings=runtime.settings, invitation_id=invitation_id, now=runtime.clock.now()
    )


def unsubscribe_path(runtime: Runtime, invitation_id: int) -> str:
    url = unsubscribe_url(
        settings=runtime.settings, invitation_id=invitation_id, now=runtime.clock.now()
    )
    return url.removeprefix(runtime.settings.base_url)


def answered(
    session: Session,
    *,
    at: datetime,
    score: int,
    comment: str | None = None,
    **kwargs: Any,
) -> Response:
    """An invitation answered at ``at`` with ``score`` (and ``comment``)."""
    row = invitation(session, now=at, **kwargs)
    response = responses.record_score(session=session, invitation_id=row.id, score=score, now=at)
    if comment is not None:
        responses.add_comment(session=session, invitation_id=row.id, comment=comment, now=at)
    return response
