"""Stages and touchpoints. Invitations and responses copy their keys when they are made,
so a report reads the journey as it was, even after the map is edited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closeloop.db.base import Base, BigId, JSONType


class Stage(Base):
    __tablename__ = "journey_stages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    # the order of the journey: awareness before purchase before retention
    position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    touchpoints: Mapped[list[Touchpoint]] = relationship(back_populates="stage")


class Touchpoint(Base):
    __tablename__ = "journey_touchpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    stage_id: Mapped[int] = mapped_column(BigId, ForeignKey("journey_stages.id"))
    # the event names that mark this touchpoint ("Ticket Solved" marks support)
    events: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    stage: Mapped[Stage] = relationship(back_populates="touchpoints")
