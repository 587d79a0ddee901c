"""What a CX lead writes to define a rule: validated data, never code.

The same shape comes from the API (JSON) and from playbooks (YAML). A rule says *what*
fires it (an event, a date trait, a period, a campaign start), *whom* it may survey
(conditions, audience, sample), *with what* (survey, channel, touchpoint) and *when*
(delay, send window, priority against competing rules). Durations are written the way
people say them: ``14d``, ``2w``, ``3h``, ``-60d``.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated, Any, Final, Literal

import regex
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from closeloop.errors import InvalidInput
from closeloop.policy.windows import SendWindow
from closeloop.triggers.conditions import Condition, canonical_field, condition_path

KEY_PATTERN: Final = r"^[a-z0-9][a-z0-9_-]{0,63}$"
MAX_DELAY: Final = timedelta(days=730)
WEEKDAY_NAMES: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = regex.compile(r"^\s*(-)?\s*(\d{1,9})\s*(w|d|h|m|s)\s*$")
_UNITS: Final = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
# calendar months per period of a recurring rule
KINDS: Final = ("event", "date", "recurring", "campaign")
PERIOD_MONTHS: Final = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}


def parse_duration(value: object) -> timedelta:
    """``"14d"``, ``"-60d"``, ``"3h"``, ``"2w"``, ``0`` or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("a duration is written like 14d, 3h, 30m or 0")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    if isinstance(value, str):
        if value.strip() == "0":
            return timedelta(0)
        match = _DURATION.match(value)
        if match:
            sign, amount, unit = match.groups()
            duration = timedelta(**{_UNITS[unit]: int(amount)})
            return -duration if sign else duration
    raise ValueError(f"{value!r} is not a duration such as 14d, 3h, 30m or 0")


def format_duration(duration: timedelta) -> str:
    """The shortest exact spelling, so a stored rule reads like the one written."""
    seconds = int(duration.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    if seconds == 0:
        return "0"
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{sign}{seconds // size}{unit}"
    return f"{sign}{seconds}s"


Duration = Annotated[
    timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)
]
Key = Annotated[str, Field(pattern=KEY_PATTERN)]


class WindowSpec(BaseModel):
    """A send window on the recipient's clock.

    Written ``{days: [tue, wed, thu], start: "10:00", end: "16:00"}``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1)
    start: time
    end: time
    skip_holidays: bool = True

    @model_validator(mode="after")
    def _starts_before_end(self) -> WindowSpec:
        if not self.start < self.end:
            raise ValueError(f"a window starts before it ends, not {self.start}–{self.end}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("window times are wall-clock times: give them without a zone")
        return self

    def to_window(self) -> SendWindow:
        return SendWindow(
            days=frozenset(WEEKDAY_NAMES.index(day) for day in self.days),
            start=self.start,
            end=self.end,
        )


class CancelIf(BaseModel):
    """Cancel a pending invitation when a later event matches: ``Ticket Reopened`` for the
    same ``ticket_id`` as the event that fired the rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: str = Field(min_length=1, max_length=255)
    # event properties that must be equal on both events
    same: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=10
    )


class RuleCommon(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Key
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=2_000)
    survey: Key
    touchpoint: Key | None = None
    channel: Literal["email", "sms", "in_app"] = "email"
    enabled: bool = True
    # higher wins when several rules want the same person at once
    priority: int = Field(default=100, ge=0, le=1_000)
    sample_percent: float = Field(default=100, ge=0, le=100)
    # "default": the workspace's window; "none": send at once (support CSAT)
    send_window: Annotated[
        Annotated[WindowSpec, Tag("window")] | Annotated[Literal["default", "none"], Tag("choice")],
        Discriminator(
            lambda value: "choice" if isinstance(value, str) else "window",
            custom_error_type="send_window",
            custom_error_message='expected "default", "none" or {days, start, end}',
        ),
    ] = "default"


class EventRule(RuleCommon):
    """After an event, with a delay: "14 days after Signed Up"."""

    kind: Literal["event"] = "event"
    event: str = Field(min_length=1, max_length=255)
    delay: Duration = timedelta(0)
    conditions: Condition | None = None
    cancel_if: list[CancelIf] = Field(default_factory=list, max_length=20)

    @field_validator("delay")
    @classmethod
    def _forward(cls, delay: timedelta) -> timedelta:
        if delay < timedelta(0) or delay > MAX_DELAY:
            raise ValueError(f"a delay is 0 to {MAX_DELAY.days} days after the event")
        return delay


class DateRule(RuleCommon):
    """Relative to a date trait: "60 days before account.renewal_date" is offset ``-60d``."""

    kind: Literal["date"] = "date"
    trait: str
    offset: Duration = timedelta(0)
    conditions: Condition | None = None
    cancel_if: list[CancelIf] = Field(default_factory=list, max_length=20)

    @field_validator("trait")
    @classmethod
    def _a_trait(cls, trait: str) -> str:
        path = canonical_field(trait)
        if not path.startswith(("contact.traits.", "account.traits.")):
            raise ValueError("a date rule reads a trait: contact.<trait> or account.<trait>")
        return path

    @field_validator("offset")
    @classmethod
    def _bounded(cls, offset: timedelta) -> timedelta:
        if abs(offset) > MAX_DELAY:
            raise ValueError(f"an offset is at most {MAX_DELAY.days} days either way")
        return offset


class RecurringRule(RuleCommon):
    """A relationship survey every period for an audience, each contact at its own slot."""

    kind: Literal["recurring"] = "recurring"
    every: Literal["month", "quarter", "half_year", "year"]
    audience: Condition | None = None


class CampaignRule(RuleCommon):
    """A one-off send to an audience, at most ``rate_per_hour``, between two dates."""

    kind: Literal["campaign"] = "campaign"
    audience: Condition | None = None
    rate_per_hour: int = Field(ge=1, le=1_000_000)
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> CampaignRule:
        if self.ends_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


AnyRule = EventRule | DateRule | RecurringRule | CampaignRule
RuleDefinition = Annotated[
    EventRule | DateRule | RecurringRule | CampaignRule, Field(discriminator="kind")
]
_ADAPTER: TypeAdapter[AnyRule] = TypeAdapter(RuleDefinition)


class RuleProblem(InvalidInput):
    """A rule is not valid; ``problems`` lists each (path, message) found."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        path, message = problems[0]
        summary = "; ".join(f"{p or '(rule)'}: {m}" for p, m in problems)
        super().__init__(summary if len(problems) > 1 else message, field=path or None)


def parse_rule(data: object) -> AnyRule:
    """A validated rule, or :class:`RuleProblem` naming every bad field by its path."""
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as error:
        raise RuleProblem(rule_problems(error)) from None


def rule_problems(error: ValidationError) -> list[tuple[str, str]]:
    """Pydantic's errors as (dotted path, message); the ``kind`` tag is left out of paths."""
    problems = []
    for detail in error.errors():
        loc = detail["loc"]
        if detail["type"] in ("union_tag_invalid", "union_tag_not_found") and not loc:
            loc = ("kind",)
            detail["msg"] = f"expected one of {', '.join(KINDS)}"
        if loc and loc[0] in KINDS:
            loc = loc[1:]
        if len(loc) > 1 and loc[0] == "send_window" and loc[1] in ("window", "choice"):
            loc = (loc[0], *loc[2:])
        for index, part in enumerate(loc):
            if part in ("conditions", "audience"):
                inner = condition_path(loc[index + 1 :])
                head = ".".join(str(item) for item in loc[: index + 1])
                path = f"{head}.{inner}" if inner else head
                break
        else:
            path = ".".join(str(item) for item in loc)
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "condition_limit":
            path, message = f"{path}.{detail['ctx']['path']}".rstrip("."), detail["ctx"]["message"]
        problems.append((path, message))
    return problems


def dump_rule(rule: AnyRule) -> dict[str, Any]:
    """The JSON stored for a rule version; parsing it again gives the same rule."""
    return rule.model_dump(mode="json", by_alias=True, exclude_none=True)


def period_months(every: str) -> int:
    return PERIOD_MONTHS[every]
