"""Rows of a Delighted export: dates in every form it used, scores, people and properties."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from closeloop.imports.cells import RowRejected
from closeloop.imports.delighted_rows import (
    canonical_column,
    missing_columns,
    parse_answer,
    parse_time,
)

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("column", "field"),
    [
        ("Response ID", "response_id"),
        ("Response Timestamp", "date"),
        ("Created At", "date"),
        ("Score", "score"),
        ("Email", "email"),
        ("Phone number", "phone"),
        ("Purchase Experience", "Purchase Experience"),
    ],
)
def test_export_columns(column: str, field: str) -> None:
    assert canonical_column(column) == field


def test_an_export_needs_its_id_date_and_score() -> None:
    assert missing_columns(["response_id", "date", "score", "email"]) == []
    assert missing_columns(["date", "email"]) == ["response_id", "score"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-04-18T05:34:20Z", datetime(2023, 4, 18, 5, 34, 20, tzinfo=UTC)),
        ("2023-04-18 05:34:20 -0700", datetime(2023, 4, 18, 12, 34, 20, tzinfo=UTC)),
        ("2023-04-18 05:34:20 UTC", datetime(2023, 4, 18, 5, 34, 20, tzinfo=UTC)),
        ("2023-04-18 05:34:20", datetime(2023, 4, 18, 5, 34, 20, tzinfo=UTC)),
        ("2023-04-18", datetime(2023, 4, 18, tzinfo=UTC)),
        ("1681796060", datetime(2023, 4, 18, 5, 34, 20, tzinfo=UTC)),
    ],
)
def test_dates_in_every_form_the_exports_used(text: str, expected: datetime) -> None:
    assert parse_time(text, now=NOW) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("18/04/2023", "is not a date and time"),
        ("2027-01-01", "is in the future"),
        ("0001-01-01T00:00:00+01:00", "outside the years"),
    ],
)
def test_dates_that_are_refused(text: str, reason: str) -> None:
    with pytest.raises(RowRejected, match=reason):
        parse_time(text, now=NOW)


def _row(**fields: Any) -> dict[str, Any]:
    return {"response_id": "1001", "date": "2024-05-01T10:00:00Z", "score": "9", **fields}


def test_an_answer_with_its_person_tags_notes_and_properties() -> None:
    answer = parse_answer(
        _row(
            comment=" Great ",
            email="Ana@Acme.Example",
            name="Ana",
            tags="billing, support,",
            notes="called back",
            permalink="https://app.delighted.com/r/abc",
            **{"Delighted Source": "Email", "Plan": "pro", "Country": ""},
        ),
        now=NOW,
    )
    assert (answer.response_id, answer.score, answer.comment) == ("1001", 9, "Great")
    assert (answer.email, answer.name, answer.channel) == ("ana@acme.example", "Ana", "email")
    assert answer.traits == {"Plan": "pro"}
    assert answer.details == {
        "permalink": "https://app.delighted.com/r/abc",
        "tags": ["billing", "support"],
        "notes": "called back",
        "properties": {"Delighted Source": "Email"},
    }


def test_an_anonymous_answer_has_no_person() -> None:
    answer = parse_answer(_row(), now=NOW)
    assert (answer.email, answer.phone, answer.channel) == (None, None, "import")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"score": "11"}, "score: '11' is not a whole number from 0 to 10"),
        ({"score": "9.5"}, "is not a whole number"),
        ({"score": "nine"}, "is not a number from 0 to 10"),
        ({"response_id": " "}, "response_id: is empty"),
        ({"survey_type": "csat"}, "only NPS answers are imported, not 'csat'"),
        ({"email": "nope"}, "email: not a valid email address"),
        ({"date": "yesterday"}, "date: 'yesterday' is not a date and time"),
    ],
)
def test_bad_answers_say_why(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(RowRejected, match=reason):
        parse_answer(_row(**fields), now=NOW)
