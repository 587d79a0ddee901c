"""The native contacts API: write with an ``ingest`` or ``admin`` key, read with ``admin``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from closeloop.api.deps import AdminKey, IngestKey, ReadSessionDep, RuntimeDep, SessionDep
from closeloop.contacts import service as contacts
from closeloop.contacts.schemas import (
    ContactDetail,
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
    Email,
    Text,
)
from closeloop.db.base import MAX_ID

router = APIRouter(prefix="/api/v1", tags=["contacts"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or not a valid one"},
    403: {"description": "The key's scope does not allow this"},
    422: {"description": "Invalid input; `errors` names each field and the reason"},
}
ContactId = Annotated[int, Path(ge=1, le=MAX_ID, description="The contact's id")]


@router.post(
    "/contacts",
    status_code=201,
    responses={
        **_ERRORS,
        200: {"description": "An existing contact was updated", "model": ContactOut},
        201: {"description": "A new contact was created", "model": ContactOut},
        409: {"description": "The identifiers sent belong to different contacts"},
    },
)
def upsert_contact(
    data: ContactIn, session: SessionDep, runtime: RuntimeDep, _key: IngestKey, response: Response
) -> ContactOut:
    """Create or update a person, matched by `external_id`, then `email`.

    Fields sent are written (`null` clears one), fields left out are kept, and
    `traits` merge key by key (a `null` trait is removed).
    """
    contact, created = contacts.upsert(session=session, data=data, now=runtime.clock.now())
    response.status_code = 201 if created else 200
    return ContactOut.model_validate(contact)


@router.patch(
    "/contacts/{contact_id}",
    responses={
        **_ERRORS,
        404: {"description": "No such contact"},
        409: {"description": "The email or external_id belongs to another contact"},
    },
)
def update_contact(
    contact_id: ContactId,
    data: ContactPatch,
    session: SessionDep,
    runtime: RuntimeDep,
    _key: IngestKey,
) -> ContactOut:
    """Change only the fields sent."""
    contact = contacts.update(
        session=session, contact_id=contact_id, data=data, now=runtime.clock.now()
    )
    return ContactOut.model_validate(contact)


@router.get(
    "/contacts/{contact_id}",
    responses={**_ERRORS, 404: {"description": "No such contact"}},
)
def get_contact(contact_id: ContactId, session: ReadSessionDep, _key: AdminKey) -> ContactDetail:
    """A person, their account and their timeline (the newest 200 entries)."""
    contact, timeline = contacts.get_with_timeline(session=session, contact_id=contact_id)
    return ContactDetail(**dict(ContactOut.model_validate(contact)), timeline=timeline)


@router.get("/contacts", responses=_ERRORS)
def list_contacts(
    session: ReadSessionDep,
    _key: AdminKey,
    email: Annotated[Email | None, Query(description="Find the person with this email")] = None,
    external_id: Annotated[Text | None, Query(description="Find by your own id")] = None,
    limit: Annotated[int, Query(ge=1, le=contacts.MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> ContactPage:
    """Contacts in creation order, a page at a time, or the one with an email/external_id."""
    page = contacts.list_(
        session=session, limit=limit, cursor=cursor, email=email, external_id=external_id
    )
    return ContactPage(
        items=[ContactOut.model_validate(contact) for contact in page.items],
        next_cursor=page.next_cursor,
    )
