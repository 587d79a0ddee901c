"""The rules API's shapes. A rule comes in as its definition (the same JSON a playbook
writes in YAML, see :mod:`closeloop.triggers.definitions`) and goes out with its version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from closeloop.triggers.models import Rule, RuleKind

_ONBOARDING: dict[str, Any] = {
    "key": "onboarding",
    "kind": "event",
    "name": "Onboarding, two weeks after sign-up",
    "survey": "onboarding-ces",
    "touchpoint": "onboarding",
    "event": "Signed Up",
    "delay": "14d",
    "priority": 600,
}

# request examples for POST /api/v1/rules, one per kind of trigger
RULE_EXAMPLES: dict[str, dict[str, Any]] = {
    "event": {
        "summary": "After an event, with a delay",
        "value": _ONBOARDING,
    },
    "support": {
        "summary": "At once after an event, unless a later event cancels it",
        "value": {
            "key": "support-csat",
            "kind": "event",
            "name": "Support CSAT right after a solved ticket",
            "survey": "support-csat",
            "touchpoint": "support",
            "event": "Ticket Solved",
            "send_window": "none",
            "cancel_if": [{"event": "Ticket Reopened", "same": ["ticket_id"]}],
            "priority": 900,
        },
    },
    "date": {
        "summary": "Relative to a date trait",
        "value": {
            "key": "renewal",
            "kind": "date",
            "name": "Renewal NPS, 60 days before the renewal date",
            "survey": "renewal-nps",
            "touchpoint": "renewal",
            "trait": "account.renewal_date",
            "offset": "-60d",
            "conditions": {"field": "contact.role", "op": "eq", "value": "decision_maker"},
            "priority": 500,
        },
    },
    "recurring": {
        "summary": "Every period, for an audience",
        "value": {
            "key": "relationship-end-users",
            "kind": "recurring",
            "name": "Relationship NPS every quarter for end users",
            "survey": "relationship-nps",
            "touchpoint": "relationship",
            "every": "quarter",
            "audience": {"field": "contact.role", "op": "eq", "value": "end_user"},
            "priority": 100,
        },
    },
    "campaign": {
        "summary": "A one-off campaign at a throttled rate",
        "value": {
            "key": "bank-feed-launch",
            "kind": "campaign",
            "name": "Bank feed sync launch, to product users",
            "survey": "feature-csat",
            "audience": {
                "all": [
                    {"field": "contact.role", "op": "in", "value": ["end_user", "primary_contact"]},
                    {"field": "account.plan", "op": "neq", "value": "Starter"},
                ]
            },
            "rate_per_hour": 500,
            "starts_at": "2026-03-10T09:00:00Z",
            "ends_at": "2026-03-24T17:00:00Z",
        },
    },
}


class RuleRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key": "onboarding",
                    "kind": "event",
                    "name": "Onboarding, two weeks after sign-up",
                    "enabled": True,
                    "version": 2,
                    "origin": "playbook:b2b-saas",
                    "created_at": "2026-03-03T10:00:00Z",
                    "updated_at": "2026-03-05T16:20:00Z",
                    "definition": {**_ONBOARDING, "enabled": True},
                }
            ]
        }
    )

    key: str
    kind: RuleKind
    name: str
    enabled: bool
    version: int = Field(description="Raised by every change; invitations name theirs.")
    origin: str = Field(description='"api", or "playbook:<name>" for a playbook\'s rules.')
    created_at: datetime
    updated_at: datetime
    definition: dict[str, Any] = Field(description="The current version's definition.")

    @classmethod
    def of(cls, rule: Rule) -> RuleRead:
        return cls(
            key=rule.key,
            kind=RuleKind(rule.kind),
            name=str(rule.definition.get("name", rule.key)),
            enabled=rule.enabled,
            version=rule.version,
            origin=rule.origin,
            created_at=rule.created_at,
            updated_at=rule.updated_at,
            definition=rule.definition,
        )


class RuleVersionRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "version": 1,
                    "created_at": "2026-03-03T10:00:00Z",
                    "definition": {**_ONBOARDING, "delay": "30d", "enabled": True},
                }
            ]
        },
    )

    version: int
    created_at: datetime
    definition: dict[str, Any]
