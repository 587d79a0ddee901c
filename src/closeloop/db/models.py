"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from closeloop.auth.models import ApiKey, User
from closeloop.channels.models import OutboxMessage
from closeloop.contacts.models import Account, Contact
from closeloop.db.base import Base
from closeloop.events.models import Event
from closeloop.imports.models import Import, ImportRejection
from closeloop.invitations.models import Invitation
from closeloop.journeys.models import Stage, Touchpoint
from closeloop.responses.models import Response
from closeloop.surveys.models import Survey
from closeloop.triggers.models import (
    CampaignProgress,
    Decision,
    PlannerMark,
    RecurringSlot,
    Rule,
    RuleVersion,
)

__all__ = [
    "Account",
    "ApiKey",
    "Base",
    "CampaignProgress",
    "Contact",
    "Decision",
    "Event",
    "Import",
    "ImportRejection",
    "Invitation",
    "OutboxMessage",
    "PlannerMark",
    "RecurringSlot",
    "Response",
    "Rule",
    "RuleVersion",
    "Stage",
    "Survey",
    "Touchpoint",
    "User",
]
