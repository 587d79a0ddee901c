"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from closeloop.auth.models import ApiKey, User
from closeloop.channels.models import OutboxMessage
from closeloop.contacts.models import Account, Contact
from closeloop.db.base import Base
from closeloop.events.models import Event
from closeloop.invitations.models import Invitation
from closeloop.responses.models import Response
from closeloop.surveys.models import Survey

__all__ = [
    "Account",
    "ApiKey",
    "Base",
    "Contact",
    "Event",
    "Invitation",
    "OutboxMessage",
    "Response",
    "Survey",
    "User",
]
