"""Surveys. NPS ships first; the kind fixes the scale so CSAT and CES fit the same row."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from closeloop.db.base import Base, BigId


class SurveyKind(enum.StrEnum):
    NPS = "nps"
    CSAT = "csat"
    CES = "ces"

    @property
    def scale(self) -> range:
        """The scores a respondent can give, lowest first."""
        return {SurveyKind.NPS: range(0, 11), SurveyKind.CSAT: range(1, 6)}.get(self, range(1, 8))


class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8), default=SurveyKind.NPS.value)
    # wording; ``{product}``-style placeholders are filled per recipient
    product_name: Mapped[str | None] = mapped_column(String(255))
    question: Mapped[str | None] = mapped_column(Text)
    follow_up_question: Mapped[str | None] = mapped_column(Text)
    email_subject: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    @property
    def survey_kind(self) -> SurveyKind:
        return SurveyKind(self.kind)
