"""The survey API's shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from closeloop.surveys import wording
from closeloop.surveys.models import SurveyKind

KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class SurveyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "key": "onboarding-nps",
                    "name": "Onboarding NPS",
                    "kind": "nps",
                    "product_name": "FacturaPlus",
                    "question": "Hi {name}, how likely are you to recommend {product} "
                    "to other businesses?",
                    "follow_up_question": "What is the main reason for your score?",
                    "email_subject": "{name}, a quick question about {product}",
                }
            ]
        },
    )

    key: str = Field(
        pattern=KEY_PATTERN,
        description="Lower-case letters, digits, '-' and '_'; used by the API and triggers.",
    )
    name: str = Field(min_length=1, max_length=255)
    kind: SurveyKind = Field(
        default=SurveyKind.NPS, description="nps (0–10), csat (1–5) or ces (1–7)."
    )
    product_name: str | None = Field(default=None, min_length=1, max_length=255)
    question: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description=(
            "The main question; {name} and {product} are filled per recipient. Sent as "
            "written, in one language (one language per survey for now); left out, the "
            "kind's standard question is used in the respondent's language."
        ),
    )
    follow_up_question: str | None = Field(default=None, min_length=1, max_length=500)
    email_subject: str | None = Field(default=None, min_length=1, max_length=255)
    active: bool = True

    @field_validator("name", "product_name", "question", "follow_up_question", "email_subject")
    @classmethod
    def _one_line_known_placeholders(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if wording.CONTROL_CHARACTERS.search(value):
            raise ValueError("must be one line of text (no line breaks or control characters)")
        unknown = wording.unknown_placeholders(value)
        if unknown:
            allowed = ", ".join(f"{{{name}}}" for name in sorted(wording.PLACEHOLDERS))
            raise ValueError(f"unknown placeholder {{{unknown[0]}}}; use {allowed}")
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class SurveyRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "key": "onboarding-nps",
                    "name": "Onboarding NPS",
                    "kind": "nps",
                    "product_name": "FacturaPlus",
                    "question": "Hi {name}, how likely are you to recommend {product} "
                    "to other businesses?",
                    "follow_up_question": "What is the main reason for your score?",
                    "email_subject": "{name}, a quick question about {product}",
                    "active": True,
                    "created_at": "2026-03-03T10:00:00Z",
                }
            ]
        },
    )

    id: int
    key: str
    name: str
    kind: SurveyKind
    product_name: str | None
    question: str | None
    follow_up_question: str | None
    email_subject: str | None
    active: bool
    created_at: datetime
