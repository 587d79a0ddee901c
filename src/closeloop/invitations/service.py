"""Invitations: the durable record of one survey to one person.

The invitation table is also the dispatcher's work queue (docs/adr/0001-dispatch-lease.md):
``claim_due`` leases due rows to one worker, ``prepare`` re-checks and renders one of
them, ``record_delivery`` writes down what the channel answered. Each runs in the
caller's transaction; the dispatcher gives every step its own short one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, joinedload

from closeloop.channels import email
from closeloop.channels.base import Delivery, DeliveryStatus
from closeloop.config import Settings
from closeloop.contacts import service as contacts
from closeloop.contacts.models import Contact
from closeloop.errors import Conflict, InvalidInput, NotFound
from closeloop.invitations import eligibility, retry
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.invitations.schemas import InvitationContact, InvitationCreate
from closeloop.invitations.states import IllegalTransition, check_transition
from closeloop.responses.models import Response
from closeloop.surveys import service as surveys
from closeloop.surveys.models import Survey

log = logging.getLogger(__name__)

SEND_AT_TOLERANCE = timedelta(minutes=1)
SEND_AT_HORIZON = timedelta(days=366)


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


# --- scheduling -------------------------------------------------------------------------


def schedule(
    *,
    session: Session,
    survey: Survey,
    contact: Contact,
    due_at: datetime,
    now: datetime,
    channel: str = "email",
    source: str = "api",
    touchpoint: str | None = None,
    stage: str | None = None,
    rule_id: int | None = None,
    rule_version: int | None = None,
    context: dict[str, object] | None = None,
) -> Invitation:
    """Queue one survey for one person; when they may not be surveyed, say why at once.

    An unsubscribed or bounced person, or one without an address for the channel, gets an
    invitation that is born ``suppressed`` with the reason, so the record answers "why did
    they not get a survey?" instead of the invitation silently not existing.
    """
    if due_at.tzinfo is None:
        raise ValueError("due_at must be timezone-aware")
    reason = eligibility.suppression_reason(
        contact_suppressed=contact.suppressed_reason,
        contact_email=contact.email,
        channel=channel,
        survey_active=survey.active,
    )
    invitation = Invitation(
        survey_id=survey.id,
        contact_id=contact.id,
        channel=channel,
        state=InvitationState.SCHEDULED.value,
        due_at=due_at.astimezone(UTC),
        attempts=0,
        touchpoint=touchpoint,
        stage=stage,
        rule_id=rule_id,
        rule_version=rule_version,
        context=context or {},
        source=source,
        created_at=now,
    )
    if reason is not None:
        invitation.state = InvitationState.SUPPRESSED.value
        invitation.reason = reason
        invitation.ended_at = now
    session.add(invitation)
    session.flush()
    return invitation


def _find_contact(*, session: Session, ref: InvitationContact) -> Contact:
    if ref.id is not None:
        contact = contacts.get(session=session, contact_id=ref.id)
        described = f"id {ref.id}"
    elif ref.email is not None:
        contact = contacts.get_by_email(session=session, email=ref.email)
        described = f"email {ref.email}"
    elif ref.external_id is not None:
        contact = contacts.get_by_external_id(session=session, external_id=ref.external_id)
        described = f"external_id {ref.external_id!r}"
    else:
        raise InvalidInput("give one of id, email or external_id", field="contact")
    if contact is None:
        raise NotFound(f"no contact with {described}", field="contact")
    return contact


def create(
    *, session: Session, invitation_in: InvitationCreate, product_name: str, now: datetime
) -> Invitation:
    """Schedule an invitation asked for through the API (the ``nps`` survey is made on use)."""
    contact = _find_contact(session=session, ref=invitation_in.contact)
    if invitation_in.survey == surveys.DEFAULT_SURVEY_KEY:
        survey = surveys.get_or_create_default(session=session, product_name=product_name, now=now)
    else:
        survey = surveys.get_by_key_or_404(session=session, key=invitation_in.survey)
    due_at = invitation_in.send_at or now
    if due_at < now - SEND_AT_TOLERANCE:
        raise InvalidInput("send_at is in the past; leave it out to send now", field="send_at")
    if due_at > now + SEND_AT_HORIZON:
        raise InvalidInput("send_at is more than a year ahead", field="send_at")
    return schedule(
        session=session,
        survey=survey,
        contact=contact,
        due_at=max(due_at, now),
        now=now,
        channel=invitation_in.channel,
        source="api",
        touchpoint=invitation_in.touchpoint,
    )


def list_for_contact(*, session: Session, contact_id: int, limit: int = 100) -> list[Invitation]:
    """A person's invitations, newest first."""
    query = (
        select(Invitation)
        .where(Invitation.contact_id == contact_id)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def cancel(*, session: Session, invitation_id: int, reason: str, now: datetime) -> Invitation:
    """Stop an invitation that has not gone out; cancelling twice is harmless."""
    invitation = get_or_404(session=session, invitation_id=invitation_id)
    if invitation.state != InvitationState.CANCELLED:
        transition(invitation=invitation, to=InvitationState.CANCELLED, now=now, reason=reason)
    return invitation


def cancel_pending(
    *,
    session: Session,
    contact_id: int,
    reason: str,
    now: datetime,
    survey_id: int | None = None,
) -> list[Invitation]:
    """Cancel the person's scheduled invitations (of one survey, given ``survey_id``).

    For what makes a waiting survey pointless: the person unsubscribed, their address
    bounced, or they answered the same survey meanwhile. Only ``scheduled`` ones: one a
    worker is sending is past stopping, and ``prepare`` re-checks it anyway. The rows are
    locked first, so a worker claiming one at the same moment either gets it before us
    (and it is no longer ``scheduled`` when we read it) or waits until we are done.
    """
    query = (
        select(Invitation)
        .where(
            Invitation.contact_id == contact_id,
            Invitation.state == InvitationState.SCHEDULED,
        )
        .order_by(Invitation.id)
        .with_for_update()
    )
    if survey_id is not None:
        query = query.where(Invitation.survey_id == survey_id)
    cancelled = list(session.scalars(query))
    for invitation in cancelled:
        transition(invitation=invitation, to=InvitationState.CANCELLED, now=now, reason=reason)
    session.flush()
    return cancelled


# --- the dispatcher's side --------------------------------------------------------------


def claim_due(
    *, session: Session, now: datetime, worker_id: str, limit: int, lease: timedelta
) -> list[Invitation]:
    """Lease up to ``limit`` due invitations to this worker, oldest first.

    Due means scheduled for now or earlier, or held under a lease that has expired (its
    worker died). On PostgreSQL the rows are locked with ``SKIP LOCKED``, so concurrent
    workers each take different rows without waiting for one another; on SQLite the
    transaction already holds the database's write lock (``BEGIN IMMEDIATE``).
    """
    due = or_(
        and_(Invitation.state == InvitationState.SCHEDULED, Invitation.due_at <= now),
        and_(Invitation.state == InvitationState.SENDING, Invitation.lease_expires_at < now),
    )
    query = (
        select(Invitation)
        .where(due)
        .order_by(Invitation.due_at, Invitation.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = list(session.scalars(query))
    for invitation in claimed:
        # scheduled → sending, or sending → sending under a new owner (a reclaim)
        invitation.state = InvitationState.SENDING.value
        invitation.lease_owner = worker_id
        invitation.lease_expires_at = now + lease
        invitation.attempts += 1
    session.flush()
    return claimed


def _held(
    *,
    session: Session,
    invitation_id: int,
    worker_id: str,
    with_contact_and_survey: bool = False,
) -> Invitation | None:
    """The invitation if this worker still holds it, locked for the rest of the transaction.

    ``with_contact_and_survey`` brings both in the same statement: ``prepare`` reads them
    for every message, and one query instead of three a message is measurable
    (bench/dispatch.py). Only the invitation's row is locked.
    """
    related = (
        [
            joinedload(Invitation.contact, innerjoin=True),
            joinedload(Invitation.survey, innerjoin=True),
        ]
        if with_contact_and_survey
        else []
    )
    invitation = session.get(
        Invitation, invitation_id, options=related, with_for_update={"of": Invitation}
    )
    if (
        invitation is None
        or invitation.state != InvitationState.SENDING
        or invitation.lease_owner != worker_id
    ):
        return None
    return invitation


def prepare(
    *,
    session: Session,
    invitation_id: int,
    worker_id: str,
    settings: Settings,
    now: datetime,
    lease: timedelta,
) -> EmailMessage | None:
    """The message to send now, or None when there is nothing to send.

    Just before sending, the person and the survey are checked again: someone who
    unsubscribed, bounced or was erased since the invitation was scheduled, who has
    answered the same survey since, or a survey switched off, turns the invitation
    ``suppressed``. An invitation claimed more often than the attempts allow (its
    workers kept dying) ends ``failed``. The lease is renewed, so the send that follows
    has a whole lease to finish in.
    """
    invitation = _held(
        session=session,
        invitation_id=invitation_id,
        worker_id=worker_id,
        with_contact_and_survey=True,
    )
    if invitation is None:
        return None
    if invitation.attempts > settings.dispatch_max_attempts:
        transition(
            invitation=invitation,
            to=InvitationState.FAILED,
            now=now,
            reason=f"gave up: claimed {invitation.attempts} times, never finished",
        )
        return None
    contact, survey = invitation.contact, invitation.survey
    reason = eligibility.suppression_reason(
        contact_suppressed=contact.suppressed_reason,
        contact_email=contact.email,
        channel=invitation.channel,
        survey_active=survey.active,
    )
    if reason is None:
        reason = _answered_since(session=session, invitation=invitation)
    if reason is not None:
        transition(invitation=invitation, to=InvitationState.SUPPRESSED, now=now, reason=reason)
        return None
    assert contact.email is not None  # eligibility lets no email invitation out without one
    invitation.lease_expires_at = now + lease
    return email.render(
        settings=settings,
        invitation=email.InvitationEmail(
            invitation_id=invitation.id,
            to_email=contact.email,
            to_name=contact.name,
            first_name=contact.first_name,
            kind=survey.survey_kind,
            product_name=context_text(invitation.context, "product_name") or survey.product_name,
            question=survey.question,
            email_subject=context_text(invitation.context, "email_subject") or survey.email_subject,
            locales=preferred_locales(invitation),
        ),
        now=now,
    )


def preferred_locales(invitation: Invitation) -> tuple[str, ...]:
    """The person's languages, first choice first: their own, then the request's.

    The request's (a Delighted request's ``locale``) comes second because it is usually
    also written to the person, and a person's own choice outlives one request.
    """
    tags = (invitation.contact.locale, context_text(invitation.context, "locale"))
    return tuple(tag for tag in tags if tag)


def get_preferred_locales(*, session: Session, invitation_id: int) -> tuple[str, ...]:
    """``preferred_locales`` of an invitation by id; none when it no longer exists."""
    invitation = session.get(Invitation, invitation_id)
    return preferred_locales(invitation) if invitation is not None else ()


def context_text(context: Mapping[str, object], key: str) -> str | None:
    """Wording the request asked for on this one invitation (a Delighted request's
    ``question_product_name``, say), when it is non-empty text; else None."""
    value = context.get(key)
    return value if isinstance(value, str) and value.strip() else None


def _answered_since(*, session: Session, invitation: Invitation) -> str | None:
    """Why not to ask again: the person answered this survey after it was scheduled.

    Read from the responses, not from other invitations, because an answer can arrive
    without one of ours (imported, or given in the product).
    """
    answered_at = session.scalar(
        select(Response.responded_at)
        .where(
            Response.contact_id == invitation.contact_id,
            Response.survey_id == invitation.survey_id,
            Response.responded_at >= invitation.created_at,
            or_(Response.invitation_id.is_(None), Response.invitation_id != invitation.id),
        )
        .order_by(Response.responded_at)
        .limit(1)
    )
    if answered_at is None:
        return None
    return f"answered this survey on {answered_at.date().isoformat()}, after it was scheduled"


def record_delivery(
    *,
    session: Session,
    invitation_id: int,
    worker_id: str,
    delivery: Delivery,
    message_id: str | None,
    max_attempts: int,
    now: datetime,
) -> Invitation | None:
    """Write down what the channel answered; None if the invitation was taken from us.

    Sent: ``sent`` with the Message-ID. Transient failure: back to ``scheduled`` after a
    backoff, or ``failed`` once the attempts are used up. Permanent failure: ``failed``,
    and the contact is marked bounced so nothing else is sent to the address.
    """
    invitation = _held(session=session, invitation_id=invitation_id, worker_id=worker_id)
    if invitation is None:
        log.warning(
            "invitation %s changed hands while it was being sent (%s); left as it is",
            invitation_id,
            delivery.status,
        )
        return None
    if delivery.status is DeliveryStatus.SENT:
        invitation.message_id = message_id
        invitation.reason = None
        return transition(invitation=invitation, to=InvitationState.SENT, now=now)
    if delivery.status is DeliveryStatus.PERMANENT:
        contacts.mark_bounced(
            session=session, contact_id=invitation.contact_id, reason=delivery.detail, now=now
        )
        transition(
            invitation=invitation, to=InvitationState.FAILED, now=now, reason=delivery.detail
        )
        # the address is dead: nothing else waiting for it can arrive either
        cancel_pending(
            session=session,
            contact_id=invitation.contact_id,
            reason=f"the address bounced: {delivery.detail}",
            now=now,
        )
        return invitation
    delay = retry.retry_delay(
        attempts=invitation.attempts, max_attempts=max_attempts, invitation_id=invitation.id
    )
    if delay is None:
        return transition(
            invitation=invitation,
            to=InvitationState.FAILED,
            now=now,
            reason=f"gave up after {invitation.attempts} attempts: {delivery.detail}",
        )
    invitation.due_at = now + delay
    return transition(
        invitation=invitation, to=InvitationState.SCHEDULED, now=now, reason=delivery.detail
    )


def release(*, session: Session, invitation_ids: Sequence[int], worker_id: str) -> int:
    """Hand back claimed invitations this worker will not get to (it is stopping).

    They return to ``scheduled`` at once instead of waiting for the lease to expire, and
    the claim does not count as an attempt.
    """
    if not invitation_ids:
        return 0
    result = session.execute(
        update(Invitation)
        .where(
            Invitation.id.in_(invitation_ids),
            Invitation.state == InvitationState.SENDING,
            Invitation.lease_owner == worker_id,
        )
        .values(
            state=InvitationState.SCHEDULED.value,
            lease_owner=None,
            lease_expires_at=None,
            attempts=Invitation.attempts - 1,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
