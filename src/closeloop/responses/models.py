"""Responses: one per invitation; a new click within the answer window updates it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closeloop.contacts.models import Contact
from closeloop.db.base import Base, BigId
from closeloop.surveys.models import Survey


class Response(Base):
    __tablename__ = "responses"
    __table_args__ = (
        Index("ix_responses_survey_responded", "survey_id", "responded_at"),
        Index("ix_responses_responded", "responded_at", "id"),
        Index("ix_responses_contact_id", "contact_id"),
        # an answer brought from another system is stored once (history imports re-run)
        Index("ux_responses_survey_external_id", "survey_id", "external_id", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    invitation_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("invitations.id", ondelete="CASCADE"), unique=True
    )
    survey_id: Mapped[int] = mapped_column(BigId, ForeignKey("surveys.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("contacts.id", ondelete="CASCADE")
    )
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    channel: Mapped[str] = mapped_column(String(16))
    touchpoint: Mapped[str | None] = mapped_column(String(64))
    stage: Mapped[str | None] = mapped_column(String(64))
    # its id in the system it came from (a Delighted export's Response ID); None for ours
    external_id: Mapped[str | None] = mapped_column(String(255))
    responded_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    survey: Mapped[Survey] = relationship()
    contact: Mapped[Contact | None] = relationship()
