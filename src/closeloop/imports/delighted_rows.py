"""Rows of a Delighted export: one NPS answer each, with its person and their properties. Pure.

Delighted's CSV export has a row per response: ``Response ID``, the date it was given,
``Score``, ``Comment``, the person's ``Email`` (or ``Phone number``) and ``Name``,
``Tags``, ``Notes``, ``Permalink``, and a column per person property. Column names are
matched whatever their case and spacing, with the few spellings the exports have used
(``Response Timestamp`` or ``Created At`` for the date). Properties become the person's
traits; those named ``Delighted …`` (Delighted Source, Delighted Device Type…) describe
the answer, not the person, and are kept with the answer only.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from closeloop.contacts import fields
from closeloop.imports import cells
from closeloop.imports.cells import RowRejected

MAX_COMMENT = 10_000
SCORES = range(11)
REQUIRED = ("response_id", "date", "score")
CHANNELS = frozenset({"email", "sms", "web", "link"})
# the column spellings of Delighted's exports, after ``cells.key_name``
_COLUMNS = {
    "response_id": "response_id",
    "id": "response_id",
    "date": "date",
    "response_timestamp": "date",
    "responded_at": "date",
    "created_at": "date",
    "created": "date",
    "timestamp": "date",
    "score": "score",
    "rating": "score",
    "comment": "comment",
    "comments": "comment",
    "email": "email",
    "email_address": "email",
    "person_email": "email",
    "name": "name",
    "person_name": "name",
    "phone_number": "phone",
    "phone": "phone",
    "tags": "tags",
    "notes": "notes",
    "note": "notes",
    "permalink": "permalink",
    "survey_type": "survey_type",
    "updated_at": "updated_at",
    "person_id": "person_id",
    "person": "person_id",
}
_KEPT_WITH_ANSWER = ("permalink", "updated_at", "person_id")
_SPECIAL_PREFIX = "delighted "
_SOURCE = "Delighted Source"
_RUBY_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ([+-]\d{4}|UTC)")
_EPOCH = re.compile(r"\d{9,11}")


@dataclass(frozen=True)
class DelightedAnswer:
    response_id: str
    responded_at: datetime
    score: int
    comment: str | None
    email: str | None
    phone: str | None
    name: str | None
    # the person's properties as this answer recorded them: their traits
    traits: dict[str, str]
    channel: str
    # tags, notes, permalink, the answer's own Delighted properties: kept with the answer
    details: dict[str, Any] = field(default_factory=dict)


def canonical_column(column: str) -> str:
    """``Response ID`` → ``response_id``; a property column keeps its name."""
    return _COLUMNS.get(cells.key_name(column), column.strip())


def missing_columns(names: Collection[str]) -> list[str]:
    """The columns every Delighted export has that these names lack."""
    return [name for name in REQUIRED if name not in names]


def parse_answer(row: Mapping[str, Any], *, now: datetime) -> DelightedAnswer:
    """One answer; ``RowRejected`` says why a row cannot be imported."""
    known: dict[str, str] = {}
    properties: dict[str, str] = {}
    for key, value in row.items():
        if value is None or value == "":
            continue
        if key in _COLUMNS.values():
            known[key] = value
        else:
            properties[key] = cells.text(value, key, max_length=MAX_COMMENT) or ""
    survey_type = known.get("survey_type", "nps")
    if cells.key_name(survey_type) not in {"nps", "net_promoter_score"}:
        raise RowRejected(f"survey_type: only NPS answers are imported, not {survey_type!r}")
    response_id = cells.text(known.get("response_id"), "response_id")
    if response_id is None:
        raise RowRejected("response_id: is empty")
    details: dict[str, Any] = {
        name: known[name] for name in _KEPT_WITH_ANSWER if known.get(name, "").strip()
    }
    tags = [tag.strip() for tag in known.get("tags", "").split(",") if tag.strip()]
    if tags:
        details["tags"] = tags
    notes = cells.text(known.get("notes"), "notes", max_length=MAX_COMMENT)
    if notes:
        details["notes"] = notes
    answer_properties = {k: v for k, v in properties.items() if k.lower().startswith("delighted")}
    if answer_properties:
        details["properties"] = answer_properties
    source = answer_properties.get(_SOURCE, "").strip().lower()
    return DelightedAnswer(
        response_id=response_id,
        responded_at=parse_time(known.get("date", ""), now=now),
        score=_score(known.get("score", "")),
        comment=cells.text(known.get("comment"), "comment", max_length=MAX_COMMENT),
        email=cells.email(known.get("email")),
        phone=cells.normalised(known.get("phone"), "phone", fields.normalise_phone),
        name=cells.text(known.get("name"), "name"),
        traits={k: v for k, v in properties.items() if k not in answer_properties and v},
        channel=source if source in CHANNELS else "import",
        details=details,
    )


def parse_time(value: str, *, now: datetime) -> datetime:
    """When the answer was given, in UTC.

    ISO 8601 (``2023-04-18T05:34:20Z``, with a space instead of the T, or with an
    offset), the ``2023-04-18 05:34:20 -0700`` and ``… UTC`` forms, a date alone, or Unix
    seconds. A time without an offset is taken as UTC. Never in the future.
    """
    text = value.strip()
    parsed: datetime | None = None
    if _EPOCH.fullmatch(text):
        parsed = datetime.fromtimestamp(int(text), tz=UTC)
    elif match := _RUBY_TIME.fullmatch(text):
        offset = "+0000" if match[3] == "UTC" else match[3]
        parsed = datetime.strptime(f"{match[1]} {match[2]} {offset}", "%Y-%m-%d %H:%M:%S %z")
    else:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            parsed = None
    if parsed is None:
        raise RowRejected(f"date: {value!r} is not a date and time such as 2023-04-18T05:34:20Z")
    try:
        parsed = parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)
    except OverflowError:
        raise RowRejected(f"date: {text} is outside the years 1–9999 in UTC") from None
    if parsed > now + timedelta(days=1):
        raise RowRejected(f"date: {text} is in the future")
    return parsed


def _score(value: str) -> int:
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        raise RowRejected(f"score: {value!r} is not a number from 0 to 10") from None
    if not number.is_integer() or int(number) not in SCORES:
        raise RowRejected(f"score: {value!r} is not a whole number from 0 to 10")
    return int(number)
