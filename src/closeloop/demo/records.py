"""The demo as plain records: what ``story`` writes and ``service`` stores. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AccountSeed:
    external_id: str
    name: str
    domain: str
    time_zone: str
    traits: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class ContactSeed:
    external_id: str
    account: int  # index into Story.accounts
    name: str
    email: str
    role: str
    locale: str
    time_zone: str
    traits: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class EventSeed:
    name: str
    contact: int  # index into Story.contacts
    occurred_at: datetime
    properties: dict[str, Any]


@dataclass(frozen=True)
class AnswerSeed:
    contact: int
    score: int
    comment: str | None
    channel: str
    touchpoint: str
    responded_at: datetime


@dataclass(frozen=True)
class InvitationSeed:
    contact: int
    touchpoint: str
    state: str  # an InvitationState value
    due_at: datetime
    created_at: datetime
    sent_at: datetime | None = None
    ended_at: datetime | None = None
    reason: str | None = None
    answer: AnswerSeed | None = None


@dataclass
class Story:
    accounts: list[AccountSeed] = field(default_factory=list)
    contacts: list[ContactSeed] = field(default_factory=list)
    events: list[EventSeed] = field(default_factory=list)
    invitations: list[InvitationSeed] = field(default_factory=list)
    web_answers: list[AnswerSeed] = field(default_factory=list)

    @property
    def answers(self) -> list[AnswerSeed]:
        linked = [inv.answer for inv in self.invitations if inv.answer is not None]
        return linked + self.web_answers
