"""The API shapes of contacts and accounts: what comes in, checked and normalised.

Every incoming shape forbids unknown fields, so a typo (``emial``) is an error that
names the field instead of data silently dropped. Values are normalised here, once
(see ``contacts.fields``), so services only ever see one spelling of an address.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from closeloop.contacts import examples, fields
from closeloop.contacts.models import Role
from closeloop.db.base import MAX_ID

MAX_JSON_DEPTH = 16


def _checked(normalise: Callable[[str], str], error_type: str) -> AfterValidator:
    """Run a ``fields`` normaliser, reporting its ``ValueError`` as a clean field error."""

    def validate(value: str) -> str:
        try:
            return normalise(value)
        except ValueError as error:
            raise PydanticCustomError(error_type, str(error)) from None

    return AfterValidator(validate)


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL, SQLite would store it: refuse it everywhere alike
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "must not contain the NUL character")
    return value


def _plain_json(value: dict[str, Any]) -> dict[str, Any]:
    """Only what every database stores alike: finite numbers, no NUL, bounded depth."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_JSON_DEPTH:
                raise PydanticCustomError("json_depth", f"nests deeper than {MAX_JSON_DEPTH}")
            for key, nested in item.items():
                _no_nul(key)
                stack.append((nested, depth + 1))
        elif isinstance(item, list):
            if depth > MAX_JSON_DEPTH:
                raise PydanticCustomError("json_depth", f"nests deeper than {MAX_JSON_DEPTH}")
            stack.extend((nested, depth + 1) for nested in item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise PydanticCustomError("json_number", "numbers must be finite (no NaN/Infinity)")
        elif isinstance(item, str):
            _no_nul(item)
    return value


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(_no_nul),
]
Email = Annotated[str, _checked(fields.normalise_email, "email")]
Phone = Annotated[str, _checked(fields.normalise_phone, "phone")]
Locale = Annotated[str, _checked(fields.normalise_locale, "locale")]
TimeZone = Annotated[str, _checked(fields.normalise_time_zone, "time_zone")]
JsonObject = Annotated[dict[str, Any], AfterValidator(_plain_json)]

_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}")


def _domain(value: str) -> str:
    domain = value.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not _DOMAIN.fullmatch(domain) or len(domain) > 253:
        raise PydanticCustomError("domain", "not a domain name such as 'acme.com'")
    return domain


Domain = Annotated[str, AfterValidator(_domain)]


def _require_identity(model: BaseModel, *names: str) -> None:
    """Fail on the first identity field when none is given, so the error names a field."""
    if all(getattr(model, name) is None for name in names):
        raise ValidationError.from_exception_data(
            type(model).__name__,
            [
                InitErrorDetails(
                    type=PydanticCustomError(
                        "identity", f"give at least one of {', '.join(names)}"
                    ),
                    loc=(names[0],),
                    input=None,
                )
            ],
        )


class AccountIn(BaseModel):
    """A company, found by ``external_id`` if given, else by ``name``, and updated."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "external_id": "acct_42",
                    "name": "Acme Logistics",
                    "domain": "acme.example",
                    "traits": {"plan": "enterprise", "industry": "logistics"},
                    "time_zone": "Europe/Madrid",
                }
            ]
        },
    )

    external_id: Text | None = None
    name: Text | None = None
    domain: Domain | None = None
    traits: JsonObject | None = None
    time_zone: TimeZone | None = None

    @model_validator(mode="after")
    def _identified(self) -> AccountIn:
        _require_identity(self, "external_id", "name")
        return self


class _Profile(BaseModel):
    """Who a person is, beyond how we find them."""

    phone: Phone | None = Field(default=None, examples=["+34 600 123 456"])
    name: Text | None = Field(default=None, examples=["Ana García"])
    locale: Locale | None = Field(default=None, examples=["es", "pt-BR"])
    time_zone: TimeZone | None = Field(default=None, examples=["Europe/Madrid"])
    role: Role | None = Field(default=None, examples=["decision_maker"])
    traits: JsonObject | None = Field(
        default=None,
        description="Merged into the stored traits; a null value removes that trait.",
        examples=[{"plan": "pro", "segment": "smb", "renewal_date": "2026-09-30"}],
    )


PROFILE_FIELDS = frozenset(_Profile.model_fields)
# the profile fields written as they come; traits merge key by key instead
PROFILE_COLUMNS = tuple(name for name in _Profile.model_fields if name != "traits")


class ContactIn(_Profile):
    """A person to create or update: matched by ``external_id``, then ``email``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "external_id": "user_1001",
                    "email": "ana@acme.example",
                    "name": "Ana García",
                    "locale": "es",
                    "time_zone": "Europe/Madrid",
                    "role": "decision_maker",
                    "traits": {"plan": "pro", "seats": 25},
                    "account": {"external_id": "acct_42", "name": "Acme Logistics"},
                }
            ]
        },
    )

    email: Email | None = Field(default=None, examples=["ana@acme.example"])
    external_id: Text | None = Field(default=None, examples=["user_1001"])
    account: AccountIn | None = None

    @model_validator(mode="after")
    def _identified(self) -> ContactIn:
        _require_identity(self, "email", "phone", "external_id")
        return self


class ContactPatch(_Profile):
    """Only the fields sent change; ``null`` clears a field, ``account: null`` unlinks."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"role": "end_user", "traits": {"plan": "enterprise", "trial": None}}]
        },
    )

    email: Email | None = None
    external_id: Text | None = None
    account: AccountIn | None = None


class ContactRef(_Profile):
    """The person an event is about: an identifier, plus anything to update on them."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": "ana@acme.example"}, {"external_id": "user_1001"}, {"id": 7}]
        },
    )

    id: int | None = Field(default=None, ge=1, le=MAX_ID, examples=[7])
    email: Email | None = Field(default=None, examples=["ana@acme.example"])
    external_id: Text | None = Field(default=None, examples=["user_1001"])

    @model_validator(mode="after")
    def _identified(self) -> ContactRef:
        _require_identity(self, "id", "email", "external_id")
        return self

    @property
    def has_profile(self) -> bool:
        """Whether the reference also carries fields to write on the person."""
        return not self.model_fields_set.isdisjoint(PROFILE_FIELDS)


class AccountOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [examples.ACCOUNT_EXAMPLE]}
    )

    id: int
    external_id: str | None
    name: str
    domain: str | None
    traits: dict[str, Any]
    time_zone: str | None
    created_at: datetime
    updated_at: datetime


class ContactOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [examples.CONTACT_EXAMPLE]}
    )

    id: int
    external_id: str | None
    email: str | None
    phone: str | None
    name: str | None
    locale: str | None
    time_zone: str | None
    role: Role | None
    traits: dict[str, Any]
    account: AccountOut | None
    unsubscribed_at: datetime | None
    bounced_at: datetime | None
    created_at: datetime
    updated_at: datetime


class EventEntry(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.EVENT_ENTRY_EXAMPLE]})

    kind: Literal["event"] = "event"
    at: datetime
    event_id: int
    name: str
    properties: dict[str, Any]
    source: str


class InvitationEntry(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.INVITATION_ENTRY_EXAMPLE]})

    kind: Literal["invitation"] = "invitation"
    at: datetime = Field(description="When the invitation was created (scheduled).")
    invitation_id: int
    survey: str
    state: str
    channel: str
    touchpoint: str | None
    due_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None
    reason: str | None


class ResponseEntry(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RESPONSE_ENTRY_EXAMPLE]})

    kind: Literal["response"] = "response"
    at: datetime
    response_id: int
    survey: str
    score: int
    comment: str | None
    channel: str


class DecisionEntry(BaseModel):
    """What a rule decided about the person; ``summary`` adds what became of it since."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.DECISION_ENTRY_EXAMPLE]})

    kind: Literal["decision"] = "decision"
    at: datetime
    decision_id: int
    rule: str | None
    rule_version: int | None
    event_name: str | None
    outcome: str
    reason: str | None
    summary: str
    invitation_id: int | None
    due_at: datetime | None
    until: datetime | None


TimelineEntry = Annotated[
    EventEntry | DecisionEntry | InvitationEntry | ResponseEntry, Field(discriminator="kind")
]


class Timeline(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.TIMELINE_EXAMPLE]})

    entries: list[TimelineEntry] = Field(description="Newest first.")
    truncated: bool = Field(description="True when older entries were left out.")


class ContactDetail(ContactOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**examples.CONTACT_EXAMPLE, "timeline": examples.TIMELINE_EXAMPLE}]
        }
    )

    timeline: Timeline


class ContactPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [examples.CONTACT_EXAMPLE], "next_cursor": "YzE6Nw"}]
        }
    )

    items: list[ContactOut]
    next_cursor: str | None = Field(
        description="Pass as ``cursor`` for the next page; null on the last page."
    )
