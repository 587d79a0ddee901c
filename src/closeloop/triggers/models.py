"""Rules (versioned), the decisions they lead to, and the schedulers' durable state.

A rule's definition is stored as validated JSON (:mod:`closeloop.triggers.definitions`);
every change adds a :class:`RuleVersion`, and invitations name the version that made them,
so a report can say which rule version sent a survey.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from closeloop.db.base import Base, BigId


class RuleKind(enum.StrEnum):
    EVENT = "event"  # after an event, with a delay
    DATE = "date"  # relative to a date trait
    RECURRING = "recurring"  # relationship surveys, every period, per audience
    CAMPAIGN = "campaign"  # a one-off send to an audience at a throttled rate


class Rule(Base):
    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # the current version's definition, as RuleDefinition.model_dump(mode="json")
    definition: Mapped[dict[str, Any]]
    # where it came from: "api", or "playbook:b2b-saas"
    origin: Mapped[str] = mapped_column(String(64), default="api")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RuleVersion(Base):
    __tablename__ = "rule_versions"
    __table_args__ = (UniqueConstraint("rule_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(BigId, ForeignKey("rules.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class Outcome(enum.StrEnum):
    SCHEDULED = "scheduled"  # an invitation was made, due at ``due_at``
    SKIPPED = "skipped"  # the rule fired but nothing is sent; ``reason`` says why
    CANCELLED = "cancelled"  # a pending invitation was stopped; ``reason`` says why


class Reason(enum.StrEnum):
    """Why a rule that fired sends nothing (or stopped what it had scheduled)."""

    OUTSIDE_AUDIENCE = "outside_audience"
    SAMPLED_OUT = "sampled_out"
    FATIGUE = "fatigue"
    RECONTACT = "recontact"
    PENDING = "pending"
    SUPERSEDED = "superseded"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    NO_ADDRESS = "no_address"
    SURVEY_INACTIVE = "survey_inactive"
    TOO_LATE = "too_late"
    CANCELLED_BY_EVENT = "cancelled_by_event"
    ANSWERED = "answered"
    RESCHEDULED = "rescheduled"
    CHANNEL_UNAVAILABLE = "channel_unavailable"


class Decision(Base):
    """One answer to "did this rule survey this person, and if not, why?"."""

    __tablename__ = "decisions"
    __table_args__ = (
        Index("ix_decisions_contact_decided", "contact_id", "decided_at"),
        Index("ix_decisions_rule_decided", "rule_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id", ondelete="CASCADE"))
    rule_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("rules.id", ondelete="SET NULL"))
    # kept as text too: the decision still reads right after its rule is deleted
    rule_key: Mapped[str | None] = mapped_column(String(64))
    rule_version: Mapped[int | None] = mapped_column(Integer)
    # the event that fired the rule or cancelled the invitation (no foreign key: the event
    # log is pruned by time, the decision outlives it)
    event_id: Mapped[int | None] = mapped_column(BigId)
    event_name: Mapped[str | None] = mapped_column(String(255))
    invitation_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("invitations.id", ondelete="SET NULL")
    )
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    # a sentence for people: "fatigue: surveyed on 2026-03-01, may be asked from 2026-03-31"
    detail: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    # what the firing carried: the event's kept properties, a date rule's target …
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # the end of the block (fatigue, recontact): when the person could be asked again
    until: Mapped[datetime | None]
    decided_at: Mapped[datetime]


class RecurringSlot(Base):
    """One contact's planned moment in one period of a recurring rule.

    Planning a quarter writes a row per contact in the audience; the planner then turns
    due rows into invitations (through the policy) a batch at a time. The unique key makes
    planning idempotent: re-planning a period adds only the newcomers.
    """

    __tablename__ = "recurring_slots"
    __table_args__ = (
        UniqueConstraint("rule_id", "period_start", "contact_id"),
        Index("ix_recurring_slots_open_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(BigId, ForeignKey("rules.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id", ondelete="CASCADE"))
    period_start: Mapped[datetime]
    due_at: Mapped[datetime]
    # "planned" until the planner has decided it, then "done"
    state: Mapped[str] = mapped_column(String(16), default="planned")


class CampaignProgress(Base):
    """How far a campaign has gone through its audience, and its send budget.

    The budget refills at ``rate_per_hour`` while the campaign runs (and not while it is
    paused), so a campaign resumed after a pause does not burst.
    """

    __tablename__ = "campaign_progress"

    rule_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("rules.id", ondelete="CASCADE"), primary_key=True
    )
    # "running", "paused" or "finished"
    status: Mapped[str] = mapped_column(String(16), default="running")
    # the audience is walked in contact id order; everyone up to here is decided
    last_contact_id: Mapped[int] = mapped_column(BigId, default=0)
    enrolled: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    budget: Mapped[float] = mapped_column(Float, default=0.0)
    budget_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class PlannerMark(Base):
    """How far a periodic job (the date-trait sweep, recurring planning) has got, per rule."""

    __tablename__ = "planner_marks"

    rule_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("rules.id", ondelete="CASCADE"), primary_key=True
    )
    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    # the last period planned (recurring) or the horizon swept up to (date traits)
    reached: Mapped[datetime]
    detail: Mapped[str | None] = mapped_column(Text)
