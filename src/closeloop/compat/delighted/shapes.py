"""What Delighted's clients read back: its resources, field for field.

Ids are strings and times are Unix seconds, as Delighted sent them; a typed client (Go,
Java) parsing ``"id": "42"`` must not meet ``42``. Fields closeloop has no data for keep
their type and are empty (``notes``, ``tags``, ``additional_answers``), so a client that
reads them does not break.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, Field

from closeloop.analytics.nps import Category, NpsSummary
from closeloop.compat.delighted.people import Activity
from closeloop.compat.delighted.schemas import unix
from closeloop.contacts.models import Contact
from closeloop.responses.models import Response


class PersonBrief(BaseModel):
    """A person as Delighted embedded one (``expand[]=person``, Autopilot)."""

    id: str
    email: str | None
    name: str | None
    phone_number: str | None
    created_at: int | None

    @classmethod
    def of(cls, contact: Contact) -> PersonBrief:
        return cls(
            id=str(contact.id),
            email=contact.email,
            name=contact.name,
            phone_number=contact.phone,
            created_at=unix(contact.created_at),
        )


class PersonOut(PersonBrief):
    """A person in ``GET /people``."""

    last_sent_at: int | None
    last_responded_at: int | None
    next_survey_scheduled_at: int | None

    @classmethod
    def with_activity(cls, contact: Contact, activity: Activity) -> PersonOut:
        return cls(
            **PersonBrief.of(contact).model_dump(),
            last_sent_at=unix(activity.last_sent_at),
            last_responded_at=unix(activity.last_responded_at),
            next_survey_scheduled_at=unix(activity.next_survey_scheduled_at),
        )


class PersonCreated(BaseModel):
    """The answer to ``POST /people``: the person, and when their survey goes out."""

    id: str
    email: str | None
    name: str | None
    phone_number: str | None
    survey_scheduled_at: int | None = Field(
        description="Null when no survey was scheduled (send=false, throttled, unsubscribed…)."
    )
    properties: dict[str, Any]


class SurveyResponseOut(BaseModel):
    id: str
    person: str | PersonBrief
    survey_type: str
    score: int
    comment: str | None
    permalink: str
    created_at: int
    updated_at: int
    person_properties: dict[str, Any] | None
    notes: list[Any] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    additional_answers: list[Any] = Field(default_factory=list)

    @classmethod
    def of(cls, response: Response, *, base_url: str, expand_person: bool) -> SurveyResponseOut:
        contact = response.contact
        person: str | PersonBrief = str(response.contact_id or "")
        if expand_person and contact is not None:
            person = PersonBrief.of(contact)
        return cls(
            id=str(response.id),
            person=person,
            survey_type=response.survey.kind,
            score=response.score,
            comment=response.comment,
            # where an admin reads the answer: its native API resource
            permalink=f"{base_url}/api/v1/responses/{response.id}",
            created_at=int(response.responded_at.timestamp()),
            updated_at=int(response.updated_at.timestamp()),
            person_properties=(contact.traits or None) if contact is not None else None,
        )


class MetricsOut(BaseModel):
    """NPS figures; ``nps`` is a whole number as Delighted gave it, null without answers."""

    nps: int | None
    promoter_count: int
    promoter_percent: float | None
    passive_count: int
    passive_percent: float | None
    detractor_count: int
    detractor_percent: float | None
    response_count: int

    @classmethod
    def of(cls, summary: NpsSummary) -> MetricsOut:
        return cls(
            nps=_whole(summary.nps),
            promoter_count=summary.promoters,
            promoter_percent=_tenth(summary.share(Category.PROMOTER)),
            passive_count=summary.passives,
            passive_percent=_tenth(summary.share(Category.PASSIVE)),
            detractor_count=summary.detractors,
            detractor_percent=_tenth(summary.share(Category.DETRACTOR)),
            response_count=summary.responses,
        )


def _whole(value: float | None) -> int | None:
    """Rounded half away from zero (as Ruby rounds), not to even: NPS 12.5 shows as 13."""
    if value is None:
        return None
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def _tenth(value: float | None) -> float | None:
    """One decimal, as the native report rounds its shares."""
    return None if value is None else round(value, 1)


class UnsubscribedOut(BaseModel):
    person_id: str
    email: str | None
    name: str | None
    unsubscribed_at: int | None

    @classmethod
    def of(cls, contact: Contact) -> UnsubscribedOut:
        return cls(
            person_id=str(contact.id),
            email=contact.email,
            name=contact.name,
            unsubscribed_at=unix(contact.unsubscribed_at),
        )


class BouncedOut(BaseModel):
    person_id: str
    email: str | None
    name: str | None
    bounced_at: int | None

    @classmethod
    def of(cls, contact: Contact) -> BouncedOut:
        return cls(
            person_id=str(contact.id),
            email=contact.email,
            name=contact.name,
            bounced_at=unix(contact.bounced_at),
        )


class Ok(BaseModel):
    ok: bool = True


class AutopilotConfigurationOut(BaseModel):
    platform_id: str
    active: bool
    frequency: int = Field(description="Seconds between two surveys to the same member.")
    created_at: int | None
    updated_at: int | None


class NextSurveyRequest(BaseModel):
    id: str
    created_at: int | None
    survey_scheduled_at: int
    properties: dict[str, Any] = Field(default_factory=dict)


class MembershipOut(BaseModel):
    created_at: int | None
    updated_at: int | None
    person: PersonBrief
    next_survey_request: NextSurveyRequest | None


class MembershipChanged(BaseModel):
    """The answer to adding (with the properties stored) or removing an Autopilot member."""

    person: PersonBrief
    properties: dict[str, Any] | None = None
