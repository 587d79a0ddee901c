"""What a Segment message means in closeloop: a contact to upsert, or an event to store.

Pure: checked messages in, closeloop's own input shapes out (or ``Unmappable`` saying
why not). The rules, documented in docs/segment.md:

- ``userId`` is the contact's external id; a call with only an ``anonymousId`` is about
  the contact whose external id is ``anonymous:<anonymousId>``.
- identify traits ``email``, ``phone``, ``name``, ``locale``, ``timezone``/``time_zone``
  fill the contact's columns and are validated: a bad one rejects the message. Hints
  that may be free text (``language``, ``role``, ``firstName`` + ``lastName``,
  ``context.locale``, ``context.timezone``) are used when they fit and otherwise stay
  ordinary traits. Every other trait is a trait.
- group: ``groupId`` is the account's external id, trait ``name`` its name, the rest its
  traits.
- track stores the event as named; page and screen store "Viewed <category> <name> Page"
  (or Screen), or "Loaded a Page" when unnamed, as Segment's own destinations do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from closeloop.compat.segment.schemas import EventMessage, Group, Identify, Page, Track
from closeloop.contacts import fields
from closeloop.contacts.models import Role
from closeloop.contacts.schemas import ContactIn
from closeloop.events.schemas import EventIn
from closeloop.events.service import MAX_FUTURE

MAX_EVENT_NAME = 255

# trait names that fill a column, strictly: a bad value is the client's mistake to hear of
_STRICT_TRAITS: dict[str, tuple[str, ...]] = {
    "email": ("email",),
    "phone": ("phone",),
    "name": ("name",),
    "locale": ("locale",),
    "time_zone": ("time_zone", "timezone"),
}
_ROLES = {role.value for role in Role}


class Unmappable(Exception):
    """The message is valid Segment but cannot be stored; the text says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def contact_of_identify(message: Identify) -> ContactIn:
    """The contact an identify describes: columns from known traits, the rest as traits."""
    traits = dict(message.traits)
    data: dict[str, Any] = {"external_id": message.external_id}
    sources: dict[str, str] = {"external_id": "userId" if message.user_id else "anonymousId"}
    for column, names in _STRICT_TRAITS.items():
        for name in names:
            value = traits.pop(name, None)
            if column not in data and value not in (None, ""):
                data[column] = str(value) if column == "phone" and _is_number(value) else value
                sources[column] = f"traits.{name}"
    _use_hints(data, traits, message.context)
    data["traits"] = traits
    sources["traits"] = "traits"
    return _validated(data, sources)


def contact_of_group(message: Group) -> ContactIn:
    """The person, now in the company the group call names."""
    traits = dict(message.traits)
    account: dict[str, Any] = {"external_id": message.group_id, "traits": traits}
    name = traits.pop("name", None)
    if name not in (None, ""):
        account["name"] = name
    data = {"external_id": message.external_id, "account": account}
    sources = {
        "external_id": "userId" if message.user_id else "anonymousId",
        "account.external_id": "groupId",
        "account.name": "traits.name",
        "account.traits": "traits",
    }
    return _validated(data, sources)


def event_of(
    message: EventMessage, *, batch_sent_at: datetime | None, received_at: datetime
) -> EventIn:
    """The journey event a track, page or screen call is, at its skew-corrected time."""
    name = event_name(message)
    if len(name) > MAX_EVENT_NAME:
        raise Unmappable(f"the event name {name[:40]!r}… is over {MAX_EVENT_NAME} characters")
    properties = message.properties
    if not isinstance(message, Track):
        named = {"name": message.name, "category": message.category}
        properties = {**{k: v for k, v in named.items() if v is not None}, **properties}
    happened = occurred_at(
        timestamp=message.timestamp,
        original_timestamp=message.original_timestamp,
        sent_at=message.sent_at or batch_sent_at,
        received_at=received_at,
    )
    if happened > received_at + MAX_FUTURE:
        raise Unmappable(f"timestamp: is more than {MAX_FUTURE.days} day in the future")
    try:
        return EventIn.model_validate(
            {
                "message_id": message.message_id,
                "name": name,
                "contact": {"external_id": message.external_id},
                "properties": properties,
                "timestamp": happened,
            }
        )
    except ValidationError as error:
        raise Unmappable(_reason(error, {"name": "event"})) from None


def event_name(message: EventMessage) -> str:
    if isinstance(message, Track):
        return message.event
    noun = "Page" if isinstance(message, Page) else "Screen"
    title = " ".join(part for part in (message.category, message.name) if part)
    return f"Viewed {title} {noun}" if title else f"Loaded a {noun}"


def occurred_at(
    *,
    timestamp: datetime | None,
    original_timestamp: datetime | None,
    sent_at: datetime | None,
    received_at: datetime,
) -> datetime:
    """When it happened, on our clock: Segment's ``receivedAt - (sentAt - timestamp)``.

    ``sentAt`` and our ``receivedAt`` are (nearly) the same instant, so their difference
    is the sender's clock error, taken back out of the time the sender gave. A timestamp
    given without ``sentAt`` is trusted as is (an import of past events); no timestamp
    at all means now.
    """
    happened = timestamp or original_timestamp
    if happened is None:
        return received_at
    if sent_at is None:
        return happened
    try:
        return received_at - (sent_at - happened)
    except OverflowError:
        raise Unmappable(
            "timestamp: is outside the years 1–9999 once corrected by sentAt"
        ) from None


def _use_hints(data: dict[str, Any], traits: dict[str, Any], context: dict[str, Any]) -> None:
    """Fill columns from values that may be free text, only when they fit."""
    if "name" not in data:
        parts = [traits.get("firstName"), traits.get("lastName")]
        full = " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())
        if full:
            data["name"] = full[:255]
    role = traits.get("role")
    if isinstance(role, str) and _role(role) in _ROLES:
        data["role"] = _role(traits.pop("role"))
    if "locale" not in data:
        language = _fitting(fields.normalise_locale, traits.get("language"))
        if language is not None:
            traits.pop("language")
        locale = language or _fitting(fields.normalise_locale, context.get("locale"))
        if locale is not None:
            data["locale"] = locale
    if "time_zone" not in data:
        zone = _fitting(fields.normalise_time_zone, context.get("timezone"))
        if zone is not None:
            data["time_zone"] = zone


def _validated(data: dict[str, Any], sources: dict[str, str]) -> ContactIn:
    try:
        return ContactIn.model_validate(data)
    except ValidationError as error:
        raise Unmappable(_reason(error, sources)) from None


def _reason(error: ValidationError, sources: dict[str, str]) -> str:
    problems = []
    for problem in error.errors():
        path = _segment_path(".".join(str(part) for part in problem["loc"]), sources)
        problems.append(f"{path}: {problem['msg']}" if path else problem["msg"])
    return "; ".join(problems)


def _segment_path(path: str, sources: dict[str, str]) -> str:
    """Name the field the client sent (``traits.timezone``), not closeloop's column."""
    for column, source in sources.items():
        if path == column or path.startswith(f"{column}."):
            return source + path[len(column) :]
    return path


def _fitting(normalise: Callable[[str], str], value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return normalise(value)
    except ValueError:
        return None


def _role(value: str) -> str:
    return value.strip().lower().replace(" ", "_").replace("-", "_")


def _is_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
