"""``/autopilot/{email,sms}`` and their ``/memberships`` (see :mod:`.autopilot`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response

from closeloop.api.deps import ReadSessionDep, RuntimeDep, SessionDep
from closeloop.compat.delighted import autopilot, paging
from closeloop.compat.delighted.auth import AdminKey
from closeloop.compat.delighted.deps import Params
from closeloop.compat.delighted.schemas import (
    MembershipIn,
    MembershipsQuery,
    PersonRef,
    parse,
    unix,
)
from closeloop.compat.delighted.shapes import (
    AutopilotConfigurationOut,
    MembershipChanged,
    MembershipOut,
    NextSurveyRequest,
    PersonBrief,
)

Platform = Annotated[Literal["email", "sms"], Path(description="The Autopilot's channel")]
router = APIRouter()


@router.get("/autopilot/{platform}")
def get_configuration(
    _key: AdminKey, platform: Platform, session: ReadSessionDep
) -> AutopilotConfigurationOut:
    found = autopilot.configuration(session=session, platform=platform)
    return AutopilotConfigurationOut(
        platform_id=found.platform,
        active=found.active,
        frequency=found.frequency,
        created_at=unix(found.created_at),
        updated_at=unix(found.updated_at),
    )


@router.get("/autopilot/{platform}/memberships")
def list_memberships(
    _key: AdminKey,
    platform: Platform,
    params: Params,
    session: ReadSessionDep,
    runtime: RuntimeDep,
    response: Response,
) -> list[MembershipOut]:
    query = parse(MembershipsQuery, params)
    page = autopilot.list_members(session=session, platform=platform, query=query)
    if page.last_id is not None:
        response.headers["Link"] = paging.next_link(
            url=f"{runtime.settings.base_url}{paging.PREFIX}/autopilot/{platform}/memberships.json",
            params=query.model_dump(exclude={"page_info"}),
            last_id=page.last_id,
        )
    return [
        MembershipOut(
            created_at=member.joined_at,
            updated_at=unix(member.contact.updated_at),
            person=PersonBrief.of(member.contact),
            next_survey_request=NextSurveyRequest(
                id=member.next_request.id,
                created_at=unix(member.next_request.created_at),
                survey_scheduled_at=int(member.next_request.scheduled_at.timestamp()),
            )
            if member.next_request is not None
            else None,
        )
        for member in page.members
    ]


@router.post("/autopilot/{platform}/memberships")
def add_membership(
    _key: AdminKey, platform: Platform, params: Params, session: SessionDep, runtime: RuntimeDep
) -> MembershipChanged:
    """Add the person (created if unknown) to the channel's recurring survey."""
    data = parse(MembershipIn, params)
    contact = autopilot.add(
        session=session,
        platform=platform,
        data=data,
        settings=runtime.settings,
        now=runtime.clock.now(),
    )
    return MembershipChanged(person=PersonBrief.of(contact), properties=data.properties)


@router.delete("/autopilot/{platform}/memberships")
def remove_membership(
    _key: AdminKey, platform: Platform, params: Params, session: SessionDep, runtime: RuntimeDep
) -> MembershipChanged:
    ref = parse(PersonRef, params)
    contact = autopilot.remove(session=session, platform=platform, ref=ref, now=runtime.clock.now())
    return MembershipChanged(person=PersonBrief.of(contact))
