"""Invitations: the durable record of one survey to one person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from closeloop.errors import Conflict, NotFound
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.invitations.states import IllegalTransition, check_transition


def get(*, session: Session, invitation_id: int) -> Invitation | None:
    return session.get(Invitation, invitation_id)


def get_or_404(*, session: Session, invitation_id: int) -> Invitation:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound(f"no invitation with id {invitation_id}")
    return invitation


def transition(
    *,
    invitation: Invitation,
    to: InvitationState,
    now: datetime,
    reason: str | None = None,
) -> Invitation:
    """Move an invitation along the state machine, stamping the matching time."""
    try:
        check_transition(InvitationState(invitation.state), to)
    except IllegalTransition as error:
        raise Conflict(str(error), field="state") from None
    invitation.state = to.value
    if reason is not None:
        invitation.reason = reason
    if to is InvitationState.SENT:
        invitation.sent_at = now
    elif to is InvitationState.ANSWERED:
        invitation.answered_at = now
    elif to in {InvitationState.CANCELLED, InvitationState.SUPPRESSED, InvitationState.FAILED}:
        invitation.ended_at = now
    if to is not InvitationState.SENDING:
        invitation.lease_owner = None
        invitation.lease_expires_at = None
    return invitation


def mark_answered(*, session: Session, invitation_id: int, now: datetime) -> Invitation:
    """Record that the respondent answered; repeated answers leave the first time."""
    invitation = get_or_404(session=session, invitation_id=invitation_id)
    if invitation.state != InvitationState.ANSWERED:
        transition(invitation=invitation, to=InvitationState.ANSWERED, now=now)
    return invitation
