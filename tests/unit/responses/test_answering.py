"""What a respondent may send, and until when they may change it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.errors import Gone, InvalidInput
from closeloop.responses.answering import (
    MAX_COMMENT_LENGTH,
    can_change,
    check_can_change,
    check_score,
    clean_comment,
    day,
    parse_score,
)

NPS = range(0, 11)
CSAT = range(1, 6)
FIRST = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


@pytest.mark.parametrize(("raw", "score"), [("0", 0), ("10", 10), ("7", 7), (" 8 ", 8), ("05", 5)])
def test_scores_parse(raw: str, score: int) -> None:
    assert parse_score(raw, NPS) == score


@pytest.mark.parametrize("raw", ["abc", "-1", "1.5", "", "1e1", "١", "0x5", "10abc", "1000"])
def test_anything_but_a_whole_number_is_not_a_score(raw: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_score(raw, NPS)
    assert error.value.field == "score"
    assert "whole number" in error.value.detail


@pytest.mark.parametrize(("score", "scale"), [(11, NPS), (99, NPS), (0, CSAT), (6, CSAT)])
def test_scores_off_the_survey_scale_are_refused(score: int, scale: range) -> None:
    with pytest.raises(InvalidInput) as error:
        check_score(score, scale)
    assert error.value.field == "score"
    assert f"from {scale.start} to {scale.stop - 1}, not {score}" in error.value.detail


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  Great support  ", "Great support"),
        ("", None),
        ("   \n\t ", None),
        ("line one\r\nline two\rthree", "line one\nline two\nthree"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ],
)
def test_comments_are_trimmed_and_kept_as_written(raw: str, stored: str | None) -> None:
    assert clean_comment(raw) == stored


def test_a_comment_at_the_limit_is_kept_whole() -> None:
    text = "é" * MAX_COMMENT_LENGTH
    assert clean_comment(f"  {text}  ") == text


def test_a_comment_over_the_limit_is_refused_not_cut() -> None:
    with pytest.raises(InvalidInput) as error:
        clean_comment("x" * (MAX_COMMENT_LENGTH + 1))
    assert error.value.field == "comment"
    assert "5,001 characters; the limit is 5,000" in error.value.detail


def test_a_nul_character_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        clean_comment("bad\x00byte")
    assert error.value.field == "comment"


@given(st.text(max_size=MAX_COMMENT_LENGTH))
def test_short_comments_always_survive_cleaning(raw: str) -> None:
    if "\x00" in raw:
        return
    stored = clean_comment(raw)
    normalised = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    assert stored == (normalised or None)


@pytest.mark.parametrize(
    ("later", "allowed"),
    [
        (timedelta(0), True),
        (timedelta(days=6, hours=23, minutes=59), True),
        (timedelta(days=7), False),
        (timedelta(days=30), False),
    ],
)
def test_answers_change_only_within_the_window(later: timedelta, allowed: bool) -> None:
    assert can_change(first_answered_at=FIRST, now=FIRST + later, window=WEEK) is allowed


def test_after_the_window_the_error_says_when_they_answered() -> None:
    with pytest.raises(Gone) as error:
        check_can_change(first_answered_at=FIRST, now=FIRST + timedelta(days=8), window=WEEK)
    assert "you already answered on 3 March 2026" in error.value.detail
    assert "7 days" in error.value.detail


def test_a_zero_window_makes_the_first_answer_final() -> None:
    assert not can_change(first_answered_at=FIRST, now=FIRST, window=timedelta(0))


def test_days_read_as_people_write_them() -> None:
    assert day(datetime(2026, 3, 3, tzinfo=UTC)) == "3 March 2026"
