"""Delighted Autopilot on closeloop: a recurring relationship survey per channel.

Autopilot surveyed its members again and again at a fixed frequency. closeloop does this
with a recurring rule (``delighted-autopilot-email`` / ``-sms``) whose audience is a
membership trait (``delighted_autopilot_email``, holding when the person joined): adding a
member sets the trait, removing one deletes it and cancels the rule's invitation still
waiting for them. The rule is created, through ``triggers.rules.save`` like any rule, when
the first member joins, and then belongs to the workspace: its period, window or survey
can be changed with the native rules API, and this API reports what the rule says.
Planning, fatigue, suppression and decisions are the recurring planner's, as for every
recurring rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from closeloop.compat.delighted import paging, people
from closeloop.compat.delighted.properties import sort
from closeloop.compat.delighted.schemas import MembershipIn, MembershipsQuery, PersonRef
from closeloop.compat.delighted.surveying import survey_for
from closeloop.config import Settings
from closeloop.contacts import service as contacts
from closeloop.contacts.fields import normalise_email, normalise_phone
from closeloop.contacts.models import Contact
from closeloop.contacts.schemas import ContactPatch
from closeloop.errors import NotFound
from closeloop.invitations import service as invitations
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.triggers import audience, rules
from closeloop.triggers.audience import AudienceFilter
from closeloop.triggers.conditions import parse_condition
from closeloop.triggers.models import RecurringSlot, Rule

PLATFORMS: Final = ("email", "sms")
DEFAULT_PERIOD: Final = "quarter"
DAY: Final = 86_400
# a recurring rule's period as Autopilot's frequency, in seconds
FREQUENCY: Final = {
    "month": 30 * DAY,
    "quarter": 90 * DAY,
    "half_year": 182 * DAY,
    "year": 365 * DAY,
}
ORIGIN: Final = "delighted"


def rule_key(platform: str) -> str:
    return f"delighted-autopilot-{platform}"


def membership_trait(platform: str) -> str:
    return f"delighted_autopilot_{platform}"


@dataclass(frozen=True)
class Configuration:
    platform: str
    active: bool
    frequency: int
    created_at: datetime | None
    updated_at: datetime | None


@dataclass(frozen=True)
class NextRequest:
    id: str
    created_at: datetime | None
    scheduled_at: datetime


@dataclass(frozen=True)
class Member:
    contact: Contact
    joined_at: int | None
    next_request: NextRequest | None


@dataclass(frozen=True)
class MembersPage:
    members: list[Member]
    # the page's last id when more members follow, else None
    last_id: int | None


def configuration(*, session: Session, platform: str) -> Configuration:
    """Autopilot as its rule stands; inactive until the first member joins."""
    rule = rules.get(session=session, key=rule_key(platform))
    if rule is None:
        return Configuration(platform, False, FREQUENCY[DEFAULT_PERIOD], None, None)
    every = rule.definition.get("every", DEFAULT_PERIOD)
    return Configuration(
        platform,
        active=rule.enabled,
        frequency=FREQUENCY.get(every, FREQUENCY[DEFAULT_PERIOD]),
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


def add(
    *, session: Session, platform: str, data: MembershipIn, settings: Settings, now: datetime
) -> Contact:
    """Make the person a member (creating them if needed) and the rule exist.

    Joining again keeps the first joining time, so their place in the period stays.
    """
    sorted_ = sort(data.properties)
    contact = _find(session, data, create=True, now=now)
    trait = membership_trait(platform)
    traits: dict[str, Any] = dict(sorted_.traits)
    if trait not in contact.traits:
        traits[trait] = int(now.timestamp())
    patch: dict[str, Any] = {"traits": traits}
    if data.person_name is not None:
        patch["name"] = data.person_name
    if sorted_.locale is not None:
        patch["locale"] = sorted_.locale
    contacts.update(
        session=session, contact_id=contact.id, data=people.contact_patch(patch), now=now
    )
    _ensure_rule(session, platform, settings=settings, now=now)
    return contact


def remove(*, session: Session, platform: str, ref: PersonRef, now: datetime) -> Contact:
    """Take the person out, and cancel the Autopilot survey still waiting for them."""
    contact = _find(session, ref, create=False, now=now)
    trait = membership_trait(platform)
    if trait not in contact.traits:
        raise NotFound(f"person {contact.id} is not in the {platform} Autopilot")
    contacts.update(
        session=session,
        contact_id=contact.id,
        data=ContactPatch(traits={trait: None}),
        now=now,
    )
    rule = rules.get(session=session, key=rule_key(platform))
    if rule is not None:
        waiting = session.scalars(
            select(Invitation.id).where(
                Invitation.contact_id == contact.id,
                Invitation.rule_id == rule.id,
                Invitation.state == InvitationState.SCHEDULED,
            )
        ).all()
        for invitation_id in waiting:
            invitations.cancel(
                session=session,
                invitation_id=invitation_id,
                reason=f"removed from the {platform} Autopilot",
                now=now,
            )
    return contact


def list_members(*, session: Session, platform: str, query: MembershipsQuery) -> MembersPage:
    """Members in the order they were created as people, ``per_page`` at a time."""
    trait = membership_trait(platform)
    found = audience.compile_audience(
        parse_condition({"field": f"contact.{trait}", "op": "exists"})
    )
    narrowed = [found.where]
    if query.person_id is not None:
        narrowed.append(Contact.id == query.person_id)
    if query.person_email is not None:
        narrowed.append(Contact.email == people.as_stored(normalise_email, query.person_email))
    if query.person_phone_number is not None:
        narrowed.append(
            Contact.phone == people.as_stored(normalise_phone, query.person_phone_number)
        )
    selected = audience.select_audience(
        session,
        AudienceFilter(where=and_(*narrowed), exact=found.exact, recheck=found.recheck),
        after_id=paging.decode(query.page_info) if query.page_info else 0,
        limit=query.per_page + 1,
    )
    ids = [member.contact_id for member in selected[: query.per_page]]
    by_id = {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(ids)))}
    upcoming = _next_requests(session, platform, ids)
    members = [
        Member(
            contact=by_id[contact_id],
            joined_at=_joined(by_id[contact_id].traits.get(trait)),
            next_request=upcoming.get(contact_id),
        )
        for contact_id in ids
    ]
    more = len(selected) > query.per_page
    return MembersPage(members=members, last_id=ids[-1] if more else None)


def _joined(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _next_requests(
    session: Session, platform: str, contact_ids: list[int]
) -> dict[int, NextRequest]:
    """Each member's next Autopilot survey: the invitation waiting, else the planned slot."""
    rule = rules.get(session=session, key=rule_key(platform))
    if rule is None or not contact_ids:
        return {}
    upcoming: dict[int, NextRequest] = {}
    slots = session.execute(
        select(RecurringSlot.id, RecurringSlot.contact_id, RecurringSlot.due_at)
        .where(
            RecurringSlot.rule_id == rule.id,
            RecurringSlot.contact_id.in_(contact_ids),
            RecurringSlot.state == "planned",
        )
        .order_by(RecurringSlot.due_at.desc())
    ).all()
    for slot_id, contact_id, due_at in slots:
        upcoming[contact_id] = NextRequest(
            id=f"slot-{slot_id}", created_at=None, scheduled_at=due_at
        )
    waiting = session.execute(
        select(
            Invitation.id, Invitation.contact_id, Invitation.created_at, Invitation.due_at
        ).where(
            Invitation.rule_id == rule.id,
            Invitation.contact_id.in_(contact_ids),
            Invitation.state == InvitationState.SCHEDULED,
        )
    ).all()
    for invitation_id, contact_id, created_at, due_at in waiting:
        upcoming[contact_id] = NextRequest(str(invitation_id), created_at, due_at)
    return upcoming


def _find(session: Session, ref: PersonRef, *, create: bool, now: datetime) -> Contact:
    if ref.person_id is not None:
        return contacts.get_or_404(session=session, contact_id=ref.person_id)
    if create:
        named = {"email": ref.person_email, "phone": ref.person_phone_number}
        data = people.contact_in({name: value for name, value in named.items() if value})
        contact, _ = contacts.upsert(session=session, data=data, now=now)
        return contact
    if ref.person_email is not None:
        return people.find_by_email(session=session, email=ref.person_email)
    assert ref.person_phone_number is not None  # PersonRef names one of the three
    return people.find(session=session, identifier=f"phone_number:{ref.person_phone_number}")


def _ensure_rule(session: Session, platform: str, *, settings: Settings, now: datetime) -> Rule:
    rule = rules.get(session=session, key=rule_key(platform))
    if rule is not None:
        return rule
    survey = survey_for(session=session, channel=platform, settings=settings, now=now)
    rule, _ = rules.save(
        session=session,
        data={
            "key": rule_key(platform),
            "kind": "recurring",
            "name": f"Delighted Autopilot ({platform})",
            "description": "Members added through the Delighted-compatible API.",
            "survey": survey.key,
            "channel": platform,
            "every": DEFAULT_PERIOD,
            "audience": {"field": f"contact.{membership_trait(platform)}", "op": "exists"},
        },
        now=now,
        origin=ORIGIN,
    )
    return rule
