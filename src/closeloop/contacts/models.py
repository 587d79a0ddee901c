"""Accounts (B2B companies) and contacts (the people we survey)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from closeloop.db.base import Base, BigId


class Role(enum.StrEnum):
    DECISION_MAKER = "decision_maker"
    END_USER = "end_user"
    PRIMARY_CONTACT = "primary_contact"
    INFLUENCER = "influencer"
    BILLING = "billing"
    OTHER = "other"


class Account(Base):
    __tablename__ = "accounts"
    # the schedulers find what changed since their last pass (date traits, newcomers)
    __table_args__ = (Index("ix_accounts_updated_at", "updated_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # identity
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    domain: Mapped[str | None] = mapped_column(String(255))
    # traits such as plan, industry, segment, renewal_date
    traits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    time_zone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())

    contacts: Mapped[list[Contact]] = relationship(back_populates="account")


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        CheckConstraint(
            "email IS NOT NULL OR phone IS NOT NULL OR external_id IS NOT NULL",
            name="identified",
        ),
        Index("ix_contacts_account_id", "account_id"),
        # a phone finds a person when it is all an upsert carries
        Index("ix_contacts_phone", "phone"),
        Index("ix_contacts_updated_at", "updated_at"),
        # the lists of unsubscribes and bounces (Delighted compat), newest first
        Index("ix_contacts_unsubscribed_at", "unsubscribed_at"),
        Index("ix_contacts_bounced_at", "bounced_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # identity: any one of these finds the person again
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    # who they are
    name: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(35))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32))
    traits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    account_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="SET NULL")
    )
    # consent and deliverability
    unsubscribed_at: Mapped[datetime | None]
    bounced_at: Mapped[datetime | None]
    bounce_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())

    account: Mapped[Account | None] = relationship(back_populates="contacts")

    @property
    def first_name(self) -> str | None:
        return self.name.split()[0] if self.name and self.name.strip() else None

    @property
    def suppressed_reason(self) -> str | None:
        """Why nothing may be sent to this person, or None when they may be surveyed."""
        if self.unsubscribed_at is not None:
            return "unsubscribed"
        if self.bounced_at is not None:
            return "bounced"
        return None
