"""Example documents for the contact API shapes, shown in ``/docs``."""

from __future__ import annotations

from pydantic.config import JsonDict

ACCOUNT_EXAMPLE: JsonDict = {
    "id": 3,
    "external_id": "acct_42",
    "name": "Acme Logistics",
    "domain": "acme.example",
    "traits": {"plan": "enterprise"},
    "time_zone": "Europe/Madrid",
    "created_at": "2026-03-02T09:00:00Z",
    "updated_at": "2026-03-02T09:00:00Z",
}
CONTACT_EXAMPLE: JsonDict = {
    "id": 7,
    "external_id": "user_1001",
    "email": "ana@acme.example",
    "phone": None,
    "name": "Ana García",
    "locale": "es",
    "time_zone": "Europe/Madrid",
    "role": "decision_maker",
    "traits": {"plan": "pro"},
    "account": ACCOUNT_EXAMPLE,
    "unsubscribed_at": None,
    "bounced_at": None,
    "created_at": "2026-03-02T09:00:00Z",
    "updated_at": "2026-03-02T09:00:00Z",
}
EVENT_ENTRY_EXAMPLE: JsonDict = {
    "kind": "event",
    "at": "2026-03-02T16:45:00Z",
    "event_id": 501,
    "name": "Ticket Solved",
    "properties": {"ticket_id": 8812},
    "source": "api",
}
INVITATION_ENTRY_EXAMPLE: JsonDict = {
    "kind": "invitation",
    "at": "2026-03-02T16:45:01Z",
    "invitation_id": 88,
    "survey": "nps",
    "state": "sent",
    "channel": "email",
    "touchpoint": "support",
    "due_at": "2026-03-03T09:00:00Z",
    "sent_at": "2026-03-03T09:00:04Z",
    "answered_at": None,
    "reason": None,
}
DECISION_ENTRY_EXAMPLE: JsonDict = {
    "kind": "decision",
    "at": "2026-03-02T16:45:01Z",
    "decision_id": 412,
    "rule": "support-csat",
    "rule_version": 1,
    "event_name": "Ticket Solved",
    "outcome": "scheduled",
    "reason": None,
    "summary": "Scheduled by rule 'support-csat' v1 after 'Ticket Solved' for "
    "2026-03-03 09:00 UTC; sent on 2026-03-03 09:00 UTC.",
    "invitation_id": 88,
    "due_at": "2026-03-03T09:00:00Z",
    "until": None,
}
RESPONSE_ENTRY_EXAMPLE: JsonDict = {
    "kind": "response",
    "at": "2026-03-03T10:12:00Z",
    "response_id": 40,
    "survey": "nps",
    "score": 9,
    "comment": "Quick and friendly support",
    "channel": "email",
}
TIMELINE_EXAMPLE: JsonDict = {
    "entries": [
        RESPONSE_ENTRY_EXAMPLE,
        INVITATION_ENTRY_EXAMPLE,
        DECISION_ENTRY_EXAMPLE,
        EVENT_ENTRY_EXAMPLE,
    ],
    "truncated": False,
}
