"""What Delighted's clients send: the parameters of each endpoint, checked and normalised.

Delighted ignored parameters it did not know, and its clients send whole resources back
(``SurveyResponse.save()`` PUTs every field it read), so unknown fields are ignored here
rather than refused. Form bodies carry every value as text: the models read ``"60"`` as
a number and ``"false"`` as a boolean, and an empty text as a missing value. Times are
Unix seconds, ids are our ids (sent as strings or numbers).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from closeloop.compat.delighted.errors import Invalid
from closeloop.contacts.schemas import Email, Phone, Text
from closeloop.db.base import MAX_ID

# the latest instant every database stores (the last second of the year 9999)
MAX_UNIX: Final = 253_402_300_799
MAX_DELAY_SECONDS: Final = 730 * 86_400
MAX_PER_PAGE: Final = 100
DEFAULT_PER_PAGE: Final = 20
# a page number past this is a mistake, and its OFFSET would make the database count rows
MAX_PAGE: Final = 100_000


def _blank_is_missing(value: object) -> object:
    """A form's empty field (``name=``) means "not given", as it did for Delighted."""
    return None if isinstance(value, str) and not value.strip() else value


def _as_list(value: object) -> object:
    """``expand=person`` without brackets is a list of one."""
    return [value] if isinstance(value, str) else value


UnixTime = Annotated[int, Field(ge=0, le=MAX_UNIX)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
BlankIsNone = BeforeValidator(_blank_is_missing)
ModelT = TypeVar("ModelT", bound=BaseModel)


def instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def unix(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def parse(model: type[ModelT], params: dict[str, Any]) -> ModelT:
    """The endpoint's parameters, or :class:`Invalid` naming every bad one, Delighted-style."""
    try:
        return model.model_validate(params)
    except ValidationError as error:
        raise Invalid(field_errors(error)) from None


def field_errors(error: ValidationError) -> dict[str, list[str]]:
    """``{"email": ["can't be blank"]}``: Delighted's spelling of a validation failure."""
    errors: dict[str, list[str]] = {}
    for detail in error.errors():
        field = ".".join(str(part) for part in detail["loc"]) or "base"
        message = "can't be blank" if detail["type"] == "missing" else detail["msg"]
        errors.setdefault(field, []).append(message.removeprefix("Value error, "))
    return errors


def _require(model: BaseModel, field: str, message: str) -> None:
    raise ValidationError.from_exception_data(
        type(model).__name__,
        [InitErrorDetails(type=PydanticCustomError("required", message), loc=(field,), input=None)],
    )


class _Params(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class PersonIn(_Params):
    """``POST /people``: create or update a person and, unless ``send`` is false, survey them."""

    email: Annotated[Email | None, BlankIsNone] = None
    phone_number: Annotated[Phone | None, BlankIsNone] = None
    channel: Annotated[Literal["email", "sms"], BlankIsNone] = "email"
    name: Annotated[Text | None, BlankIsNone] = None
    delay: Annotated[int, BlankIsNone, Field(ge=0, le=MAX_DELAY_SECONDS)] = 0
    properties: dict[str, Any] = Field(default_factory=dict)
    send: Annotated[bool, BlankIsNone] = True
    last_sent_at: Annotated[UnixTime | None, BlankIsNone] = None
    email_update: Annotated[Email | None, BlankIsNone] = None
    phone_number_update: Annotated[Phone | None, BlankIsNone] = None

    @model_validator(mode="after")
    def _addressed(self) -> PersonIn:
        if self.channel == "sms" and self.phone_number is None:
            _require(self, "phone_number", "can't be blank for the sms channel")
        if self.email is None and (self.channel == "email" or self.phone_number is None):
            _require(self, "email", "can't be blank")
        return self


class PeopleQuery(_Params):
    """``GET /people``: oldest first, a page at a time; ``page_info`` is the next page."""

    per_page: Annotated[int, BlankIsNone, Field(ge=1, le=MAX_PER_PAGE)] = DEFAULT_PER_PAGE
    since: Annotated[UnixTime | None, BlankIsNone] = None
    until: Annotated[UnixTime | None, BlankIsNone] = None
    email: Annotated[str | None, BlankIsNone] = None
    phone_number: Annotated[str | None, BlankIsNone] = None
    page_info: Annotated[str | None, BlankIsNone] = Field(default=None, max_length=200)


class SurveyResponseIn(_Params):
    """``POST /survey_responses``: an answer given outside closeloop's own surveys."""

    person: Id
    score: int
    comment: Annotated[str | None, BlankIsNone] = None
    person_properties: dict[str, Any] | None = None
    created_at: Annotated[UnixTime | None, BlankIsNone] = None


class SurveyResponseChange(_Params):
    """``PUT /survey_responses/{id}``: the fields that may change; the rest is read-only."""

    score: Annotated[int | None, BlankIsNone] = None
    comment: str | None = None
    person_properties: dict[str, Any] | None = None
    tags: list[str] | None = None


Order = Literal["asc", "desc", "asc:updated_at", "desc:updated_at"]
Expand = Annotated[list[Literal["person", "notes"]], BeforeValidator(_as_list)]


class SurveyResponsesQuery(_Params):
    """``GET /survey_responses``: numbered pages, filtered, oldest first by default."""

    per_page: Annotated[int, BlankIsNone, Field(ge=1, le=MAX_PER_PAGE)] = DEFAULT_PER_PAGE
    page: Annotated[int, BlankIsNone, Field(ge=1, le=MAX_PAGE)] = 1
    since: Annotated[UnixTime | None, BlankIsNone] = None
    until: Annotated[UnixTime | None, BlankIsNone] = None
    updated_since: Annotated[UnixTime | None, BlankIsNone] = None
    updated_until: Annotated[UnixTime | None, BlankIsNone] = None
    trend: Annotated[str | None, BlankIsNone] = None
    person_id: Annotated[Id | None, BlankIsNone] = None
    person_email: Annotated[str | None, BlankIsNone] = None
    order: Annotated[Order, BlankIsNone] = "asc"
    expand: Expand = Field(default_factory=list)


class ExpandQuery(_Params):
    """``GET /survey_responses/{id}``: the person may be expanded."""

    expand: Expand = Field(default_factory=list)


class MetricsQuery(_Params):
    """``GET /metrics``: the period (by default the last 30 days) and the survey."""

    since: Annotated[UnixTime | None, BlankIsNone] = None
    until: Annotated[UnixTime | None, BlankIsNone] = None
    trend: Annotated[str | None, BlankIsNone] = None


class PageQuery(_Params):
    """``GET /unsubscribes`` and ``GET /bounces``: numbered pages, oldest first."""

    per_page: Annotated[int, BlankIsNone, Field(ge=1, le=MAX_PER_PAGE)] = DEFAULT_PER_PAGE
    page: Annotated[int, BlankIsNone, Field(ge=1, le=MAX_PAGE)] = 1
    since: Annotated[UnixTime | None, BlankIsNone] = None
    until: Annotated[UnixTime | None, BlankIsNone] = None


class UnsubscribeIn(_Params):
    person_email: Email


class PersonRef(_Params):
    """One way to name a person: our id, their email or their phone number."""

    person_id: Annotated[Id | None, BlankIsNone] = None
    person_email: Annotated[Email | None, BlankIsNone] = None
    person_phone_number: Annotated[Phone | None, BlankIsNone] = None

    @model_validator(mode="after")
    def _named(self) -> PersonRef:
        if (self.person_id, self.person_email, self.person_phone_number) == (None, None, None):
            _require(self, "person_email", "can't be blank (or give person_id)")
        return self


class MembershipIn(PersonRef):
    """``POST /autopilot/{platform}/memberships``."""

    person_name: Annotated[Text | None, BlankIsNone] = None
    properties: dict[str, Any] = Field(default_factory=dict)


class MembershipsQuery(_Params):
    """``GET /autopilot/{platform}/memberships``: oldest member first, a page at a time."""

    per_page: Annotated[int, BlankIsNone, Field(ge=1, le=MAX_PER_PAGE)] = DEFAULT_PER_PAGE
    person_id: Annotated[Id | None, BlankIsNone] = None
    person_email: Annotated[str | None, BlankIsNone] = None
    person_phone_number: Annotated[str | None, BlankIsNone] = None
    page_info: Annotated[str | None, BlankIsNone] = Field(default=None, max_length=200)
