"""Loading the FacturaPlus demo into the database, once.

Seed data is written straight through the models (not through the intake and trigger
services) because it describes the past: answers six weeks old, invitations already
sent. The journey map and the rules that run from now on are the shipped ``b2b-saas``
playbook's. The caller's transaction holds all of it, so an interrupted load leaves nothing.
The demo accounts' external ids mark the data as loaded; a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.auth import service as auth
from closeloop.auth.models import Scope, User
from closeloop.contacts.models import Account, Contact
from closeloop.demo import story as demo_story
from closeloop.demo.records import AnswerSeed, Story
from closeloop.events.models import Event
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.journeys import lookup as journey_lookup
from closeloop.journeys.lookup import JourneyMap
from closeloop.playbooks import loader as playbook_loader
from closeloop.playbooks import service as playbooks
from closeloop.responses.models import Response
from closeloop.surveys import service as surveys

DEMO_EMAIL = "demo@closeloop.local"
DEMO_PASSWORD = "demo1234"  # noqa: S105 - the published password of the demo user
DEMO_PRODUCT = "FacturaPlus"
DEMO_KEY_NAME = "demo admin key"
DEMO_PLAYBOOK = "b2b-saas"
_MARKER = "demo-account-01"


@dataclass(frozen=True)
class DemoLoad:
    """What a run of the demo did; ``api_key`` is the plain key, shown this once."""

    loaded: bool
    accounts: int = 0
    contacts: int = 0
    events: int = 0
    invitations: int = 0
    answers: int = 0
    user_created: bool = False
    api_key: str | None = None


def is_loaded(*, session: Session) -> bool:
    return session.scalar(select(Account.id).where(Account.external_id == _MARKER)) is not None


def load(*, session: Session, now: datetime) -> DemoLoad:
    """Write the demo relative to ``now``, unless it is already there."""
    if is_loaded(session=session):
        return DemoLoad(loaded=False)
    story = demo_story.build(now=now)
    journey = _apply_playbook(session=session, now=now)
    survey = surveys.get_or_create_default(session=session, product_name=DEMO_PRODUCT, now=now)
    contacts = _write_people(session=session, story=story)
    _write_events(session=session, story=story, contacts=contacts)
    invitations = [
        Invitation(
            survey_id=survey.id,
            contact_id=contacts[seed.contact].id,
            channel="email",
            state=InvitationState(seed.state).value,
            reason=seed.reason,
            due_at=seed.due_at,
            touchpoint=seed.touchpoint,
            stage=journey.stage_of_touchpoint.get(seed.touchpoint),
            source="demo",
            created_at=seed.created_at,
            sent_at=seed.sent_at,
            answered_at=seed.answer.responded_at if seed.answer else None,
            ended_at=seed.ended_at,
        )
        for seed in story.invitations
    ]
    session.add_all(invitations)
    session.flush()
    answered = [
        (invitation.id, seed.answer)
        for invitation, seed in zip(invitations, story.invitations, strict=True)
        if seed.answer is not None
    ]
    answers = [*answered, *((None, answer) for answer in story.web_answers)]
    session.add_all(
        _response(
            answer,
            invitation_id=invitation_id,
            survey_id=survey.id,
            contacts=contacts,
            stage=journey.stage_of_touchpoint.get(answer.touchpoint),
        )
        for invitation_id, answer in answers
    )
    user_created = False
    if session.scalar(select(User.id).where(User.email == DEMO_EMAIL)) is None:
        auth.create_user(
            session=session, email=DEMO_EMAIL, password=DEMO_PASSWORD, name="Demo", now=now
        )
        user_created = True
    _, api_key = auth.create_api_key(
        session=session, name=DEMO_KEY_NAME, scope=Scope.ADMIN, now=now
    )
    session.flush()
    return DemoLoad(
        loaded=True,
        accounts=len(story.accounts),
        contacts=len(contacts),
        events=len(story.events),
        invitations=len(invitations),
        answers=len(answers),
        user_created=user_created,
        api_key=api_key,
    )


def _apply_playbook(*, session: Session, now: datetime) -> JourneyMap:
    """The B2B SaaS playbook, so the demo runs a real journey with real rules; its surveys
    speak of FacturaPlus. The journey it draws gives the story's surveys their stage."""
    playbook = playbook_loader.load_shipped(DEMO_PLAYBOOK)
    playbooks.apply(session=session, playbook=playbook, now=now)
    for spec in playbook.surveys:
        survey = surveys.get_by_key_or_404(session=session, key=spec.key)
        if survey.product_name is None:
            survey.product_name = DEMO_PRODUCT
    return journey_lookup.load(session=session)


def _write_people(*, session: Session, story: Story) -> list[Contact]:
    accounts = [
        Account(
            external_id=seed.external_id,
            name=seed.name,
            domain=seed.domain,
            traits=seed.traits,
            time_zone=seed.time_zone,
            created_at=seed.created_at,
            updated_at=seed.created_at,
        )
        for seed in story.accounts
    ]
    session.add_all(accounts)
    session.flush()
    contacts = [
        Contact(
            external_id=seed.external_id,
            email=seed.email,
            name=seed.name,
            locale=seed.locale,
            time_zone=seed.time_zone,
            role=seed.role,
            traits=seed.traits,
            account_id=accounts[seed.account].id,
            created_at=seed.created_at,
            updated_at=seed.created_at,
        )
        for seed in story.contacts
    ]
    session.add_all(contacts)
    session.flush()
    return contacts


def _write_events(*, session: Session, story: Story, contacts: list[Contact]) -> None:
    session.add_all(
        Event(
            message_id=f"demo-event-{number:05d}",
            name=seed.name,
            contact_id=contacts[seed.contact].id,
            account_id=contacts[seed.contact].account_id,
            properties=seed.properties,
            source="demo",
            occurred_at=seed.occurred_at,
            received_at=seed.occurred_at,
        )
        for number, seed in enumerate(story.events, start=1)
    )


def _response(
    answer: AnswerSeed,
    *,
    invitation_id: int | None,
    survey_id: int,
    contacts: list[Contact],
    stage: str | None,
) -> Response:
    return Response(
        invitation_id=invitation_id,
        survey_id=survey_id,
        contact_id=contacts[answer.contact].id,
        score=answer.score,
        comment=answer.comment,
        answers={},
        channel=answer.channel,
        touchpoint=answer.touchpoint,
        stage=stage,
        responded_at=answer.responded_at,
        updated_at=answer.responded_at,
    )
