"""API shapes for responses and NPS reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo

from closeloop.analytics.breakdown import Dimension, NpsGroup, NpsReport
from closeloop.analytics.nps import Category, NpsChange, NpsSummary, categorise
from closeloop.analytics.periods import BOUND_HINT, parse_bound
from closeloop.errors import InvalidInput
from closeloop.responses.cursors import MAX_ID
from closeloop.responses.models import Response
from closeloop.surveys.models import SurveyKind


def _bound(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str):
        try:
            return parse_bound(value, field=info.field_name or "period")
        except InvalidInput as error:
            raise ValueError(error.detail) from None
    return value


PeriodBound = Annotated[
    date | datetime,
    BeforeValidator(_bound),
    Field(description=f"An ISO date or datetime: {BOUND_HINT}; a date includes its whole day."),
]


class ResponseFilters(BaseModel):
    """Which responses to list; every filter is optional and they combine with AND."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    survey: str | None = Field(None, description="A survey key.", examples=["nps"])
    since: PeriodBound | None = Field(None, examples=["2026-03-01"])
    until: PeriodBound | None = Field(None, examples=["2026-03-31T23:59:59Z"])
    min_score: int | None = Field(None, ge=0, le=10, examples=[0])
    max_score: int | None = Field(None, ge=0, le=10, examples=[6])
    category: Category | None = Field(
        None, description="The NPS category (NPS surveys only).", examples=["detractor"]
    )
    contact_id: int | None = Field(None, ge=1, le=MAX_ID, examples=[42])
    has_comment: bool | None = Field(None, examples=[True])


class ResponseQuery(ResponseFilters):
    """The query string of ``GET /api/v1/responses``: filters, a page size and a cursor."""

    limit: int = Field(50, ge=1, le=200, description="Responses per page (at most 200).")
    cursor: str | None = Field(
        None, max_length=200, description="`next_cursor` from the previous page, unchanged."
    )

    def filters(self) -> ResponseFilters:
        return ResponseFilters.model_validate(self.model_dump(exclude={"limit", "cursor"}))


class ResponseOut(BaseModel):
    id: int
    survey: str = Field(description="The survey key.")
    invitation_id: int | None
    contact_id: int | None
    score: int
    category: Category | None = Field(description="The NPS category; null for CSAT and CES.")
    comment: str | None = Field(description="As the respondent wrote it: plain text, unescaped.")
    answers: dict[str, Any]
    channel: str
    touchpoint: str | None
    stage: str | None = Field(description="The journey stage of the touchpoint.")
    responded_at: datetime = Field(description="The first answer.")
    updated_at: datetime = Field(description="The last change (a new click or a comment).")

    @classmethod
    def from_row(cls, response: Response) -> ResponseOut:
        is_nps = response.survey.kind == SurveyKind.NPS.value and 0 <= response.score <= 10
        return cls(
            id=response.id,
            survey=response.survey.key,
            invitation_id=response.invitation_id,
            contact_id=response.contact_id,
            score=response.score,
            category=categorise(response.score) if is_nps else None,
            comment=response.comment,
            answers=response.answers,
            channel=response.channel,
            touchpoint=response.touchpoint,
            stage=response.stage,
            responded_at=response.responded_at,
            updated_at=response.updated_at,
        )


class ResponseList(BaseModel):
    data: list[ResponseOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": [
                        {
                            "id": 812,
                            "survey": "nps",
                            "invitation_id": 1040,
                            "contact_id": 42,
                            "score": 9,
                            "category": "promoter",
                            "comment": "Fast e-invoicing and great support",
                            "answers": {},
                            "channel": "email",
                            "touchpoint": "onboarding",
                            "stage": "purchase",
                            "responded_at": "2026-03-03T10:00:00Z",
                            "updated_at": "2026-03-03T10:02:11Z",
                        }
                    ],
                    "next_cursor": "WyIyMDI2LTAzLTAzVDEwOjAwOjAwKzAwOjAwIiw4MTJd",
                }
            ]
        }
    )


class NpsReportQuery(BaseModel):
    """The query string of ``GET /api/v1/reports/nps``; by default the 90 days up to today."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    since: PeriodBound | None = Field(None, examples=["2026-01-01"])
    until: PeriodBound | None = Field(None, examples=["2026-03-31"])
    survey: str | None = Field(None, description="A survey key.", examples=["nps"])
    by: Dimension | None = Field(None, description="Break the figures down.", examples=["month"])


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


class ChangeOut(BaseModel):
    delta: float = Field(description="NPS points since the previous period.")
    margin_of_error: float = Field(description="95 % margin of the change, in NPS points.")
    significant: bool

    @classmethod
    def from_change(cls, change: NpsChange) -> ChangeOut:
        return cls(
            delta=round(change.delta, 1),
            margin_of_error=round(change.margin_of_error, 1),
            significant=change.significant,
        )


class NpsFigures(BaseModel):
    nps: float | None = Field(description="−100…100; null with no responses.")
    promoters: int
    passives: int
    detractors: int
    responses: int
    promoter_share: float | None = Field(description="Percent of responses.")
    passive_share: float | None
    detractor_share: float | None
    margin_of_error: float | None = Field(
        description="Half-width of the 95 % confidence interval, in NPS points."
    )

    @staticmethod
    def figures(summary: NpsSummary) -> dict[str, Any]:
        return {
            "nps": _round(summary.nps),
            "promoters": summary.promoters,
            "passives": summary.passives,
            "detractors": summary.detractors,
            "responses": summary.responses,
            "promoter_share": _round(summary.share(Category.PROMOTER)),
            "passive_share": _round(summary.share(Category.PASSIVE)),
            "detractor_share": _round(summary.share(Category.DETRACTOR)),
            "margin_of_error": _round(summary.margin_of_error),
        }


class NpsGroupOut(NpsFigures):
    key: str | None = Field(description="The group: a survey key, a week's Monday, a month…")
    label: str
    change: ChangeOut | None = Field(
        None, description="Against the previous period (week and month breakdowns)."
    )

    @classmethod
    def from_group(cls, group: NpsGroup) -> NpsGroupOut:
        change = ChangeOut.from_change(group.change) if group.change else None
        return cls(key=group.key, label=group.label, change=change, **cls.figures(group.summary))


class NpsReportOut(NpsFigures):
    since: datetime
    until: datetime = Field(description="Exclusive.")
    survey: str | None
    by: Dimension | None
    groups: list[NpsGroupOut] = Field(description="One entry per group when `by` is given.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "nps": 31.0,
                    "promoters": 52,
                    "passives": 27,
                    "detractors": 21,
                    "responses": 100,
                    "promoter_share": 52.0,
                    "passive_share": 27.0,
                    "detractor_share": 21.0,
                    "margin_of_error": 15.6,
                    "since": "2026-01-01T00:00:00Z",
                    "until": "2026-04-01T00:00:00Z",
                    "survey": None,
                    "by": "touchpoint",
                    "groups": [
                        {
                            "key": "onboarding",
                            "label": "onboarding",
                            "nps": 40.0,
                            "promoters": 30,
                            "passives": 12,
                            "detractors": 8,
                            "responses": 50,
                            "promoter_share": 60.0,
                            "passive_share": 24.0,
                            "detractor_share": 16.0,
                            "margin_of_error": 20.7,
                            "change": None,
                        }
                    ],
                }
            ]
        }
    )

    @classmethod
    def from_report(cls, report: NpsReport) -> NpsReportOut:
        return cls(
            since=report.since,
            until=report.until,
            survey=report.survey,
            by=report.by,
            groups=[NpsGroupOut.from_group(group) for group in report.groups],
            **cls.figures(report.summary),
        )
