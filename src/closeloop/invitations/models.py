"""The invitation table is the work queue: the dispatcher claims due rows under a lease."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closeloop.contacts.models import Contact
from closeloop.db.base import Base, BigId
from closeloop.surveys.models import Survey
from closeloop.triggers.models import Rule


class InvitationState(enum.StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    ANSWERED = "answered"
    CANCELLED = "cancelled"
    SUPPRESSED = "suppressed"
    FAILED = "failed"


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (
        # the dispatcher's hot query: due work, oldest first
        Index("ix_invitations_state_due", "state", "due_at"),
        Index("ix_invitations_contact_id", "contact_id"),
        Index("ix_invitations_rule_state", "rule_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(BigId, ForeignKey("surveys.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16), default="email")
    state: Mapped[str] = mapped_column(String(16), default=InvitationState.SCHEDULED.value)
    # why it ended as cancelled / suppressed / failed, or why the last attempt failed
    reason: Mapped[str | None] = mapped_column(Text)
    # when it should go out; also the retry time after a failed attempt
    due_at: Mapped[datetime]
    # the lease of the worker that claimed it: an expired lease makes it claimable again
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # the journey context and the source that asked for it
    touchpoint: Mapped[str | None] = mapped_column(String(64))
    stage: Mapped[str | None] = mapped_column(String(64))
    # the rule version that made it (None: an explicit request), and what it kept of the
    # event that fired it, for cancel-if ("same ticket_id")
    rule_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("rules.id", ondelete="SET NULL"))
    rule_version: Mapped[int | None] = mapped_column(Integer)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(String(32), default="api")
    message_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    sent_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    survey: Mapped[Survey] = relationship()
    contact: Mapped[Contact] = relationship()
    rule: Mapped[Rule | None] = relationship()
