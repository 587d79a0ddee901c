"""``/api/v1/invitations``: schedule, read and cancel invitations (admin keys only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from closeloop.api.deps import AdminKey, ReadSessionDep, RuntimeDep, SessionDep
from closeloop.db.base import MAX_ID
from closeloop.invitations import service
from closeloop.invitations.schemas import (
    InvitationCancel,
    InvitationCreate,
    InvitationList,
    InvitationRead,
)

router = APIRouter(prefix="/api/v1/invitations", tags=["invitations"])

InvitationId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("", status_code=201, summary="Schedule an invitation")
def create_invitation(
    invitation_in: InvitationCreate, session: SessionDep, runtime: RuntimeDep, _key: AdminKey
) -> InvitationRead:
    """Answers with the invitation; one born `suppressed` says why in `reason`."""
    invitation = service.create(
        session=session,
        invitation_in=invitation_in,
        product_name=runtime.settings.product_name,
        now=runtime.clock.now(),
    )
    return InvitationRead.of(invitation)


@router.get("", summary="List a contact's invitations")
def list_invitations(
    contact_id: Annotated[int, Query(ge=1, le=MAX_ID)],
    session: ReadSessionDep,
    _key: AdminKey,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> InvitationList:
    invitations = service.list_for_contact(session=session, contact_id=contact_id, limit=limit)
    return InvitationList(invitations=[InvitationRead.of(item) for item in invitations])


@router.get("/{invitation_id}", summary="Read an invitation")
def read_invitation(
    invitation_id: InvitationId, session: ReadSessionDep, _key: AdminKey
) -> InvitationRead:
    return InvitationRead.of(service.get_or_404(session=session, invitation_id=invitation_id))


@router.post("/{invitation_id}/cancel", summary="Cancel an invitation that has not gone out")
def cancel_invitation(
    invitation_id: InvitationId,
    session: SessionDep,
    runtime: RuntimeDep,
    _key: AdminKey,
    cancel_in: Annotated[InvitationCancel | None, Body()] = None,
) -> InvitationRead:
    invitation = service.cancel(
        session=session,
        invitation_id=invitation_id,
        reason=(cancel_in or InvitationCancel()).reason,
        now=runtime.clock.now(),
    )
    return InvitationRead.of(invitation)
