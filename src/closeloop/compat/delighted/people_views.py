"""``/people``, ``/unsubscribes`` and ``/bounces`` of the Delighted-compatible API."""

from __future__ import annotations

from fastapi import APIRouter, Response

from closeloop.api.deps import ReadSessionDep, RuntimeDep, SessionDep
from closeloop.compat.delighted import paging, people, surveying
from closeloop.compat.delighted.auth import AdminKey, IngestKey
from closeloop.compat.delighted.deps import Params
from closeloop.compat.delighted.schemas import (
    PageQuery,
    PeopleQuery,
    PersonIn,
    UnsubscribeIn,
    parse,
    unix,
)
from closeloop.compat.delighted.shapes import (
    BouncedOut,
    Ok,
    PersonCreated,
    PersonOut,
    UnsubscribedOut,
)

router = APIRouter()


@router.post("/people")
def send_to_person(
    _key: IngestKey, params: Params, session: SessionDep, runtime: RuntimeDep
) -> PersonCreated:
    """Create or update a person and, unless ``send=false``, schedule their survey."""
    data = parse(PersonIn, params)
    sent = surveying.send_to_person(
        session=session, data=data, settings=runtime.settings, now=runtime.clock.now()
    )
    contact, invitation = sent.contact, sent.invitation
    return PersonCreated(
        id=str(contact.id),
        email=contact.email,
        name=contact.name,
        phone_number=contact.phone,
        survey_scheduled_at=unix(invitation.due_at) if invitation is not None else None,
        properties=data.properties,
    )


@router.get("/people")
def list_people(
    _key: AdminKey, params: Params, session: ReadSessionDep, runtime: RuntimeDep, response: Response
) -> list[PersonOut]:
    """People in creation order; the ``Link`` header names the next page."""
    query = parse(PeopleQuery, params)
    page = people.list_(session=session, query=query)
    if page.last_id is not None:
        response.headers["Link"] = paging.next_link(
            url=f"{runtime.settings.base_url}{paging.PREFIX}/people.json",
            params=query.model_dump(exclude={"page_info"}),
            last_id=page.last_id,
        )
    return [PersonOut.with_activity(person, page.activity[person.id]) for person in page.people]


@router.delete("/people/{identifier}/survey_requests/pending")
def delete_pending_survey_requests(
    _key: AdminKey, identifier: str, session: SessionDep, runtime: RuntimeDep
) -> Ok:
    """Cancel the surveys still waiting for the person with this email."""
    people.cancel_pending(session=session, email=identifier, now=runtime.clock.now())
    return Ok()


@router.delete("/people/{identifier}", status_code=202)
def delete_person(_key: AdminKey, identifier: str, session: SessionDep) -> Ok:
    """Erase the person (``42``, ``email:ADDRESS``, ``phone_number:NUMBER``) and their answers."""
    people.erase(session=session, identifier=identifier)
    return Ok()


@router.post("/unsubscribes")
def unsubscribe(_key: IngestKey, params: Params, session: SessionDep, runtime: RuntimeDep) -> Ok:
    data = parse(UnsubscribeIn, params)
    people.unsubscribe(session=session, email=data.person_email, now=runtime.clock.now())
    return Ok()


@router.get("/unsubscribes")
def list_unsubscribes(
    _key: AdminKey, params: Params, session: ReadSessionDep
) -> list[UnsubscribedOut]:
    query = parse(PageQuery, params)
    return [UnsubscribedOut.of(c) for c in people.list_unsubscribed(session=session, query=query)]


@router.get("/bounces")
def list_bounces(_key: AdminKey, params: Params, session: ReadSessionDep) -> list[BouncedOut]:
    query = parse(PageQuery, params)
    return [BouncedOut.of(c) for c in people.list_bounced(session=session, query=query)]
