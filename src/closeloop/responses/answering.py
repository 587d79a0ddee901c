"""What a respondent may send, and when they may change it. Pure: values in, values out.

A respondent answers with one click and may click again to change their mind for a
while (the answer window, counted from the first answer); after that the answer is
what the reports and the follow-up cases were built on, so it stays.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from closeloop.errors import Gone, InvalidInput

MAX_COMMENT_LENGTH = 5_000
_WHOLE_NUMBER = re.compile(r"[0-9]{1,3}")


def parse_score(raw: str, scale: range | None = None) -> int:
    """A score as typed in a URL or a form field; only plain whole numbers are scores."""
    text = raw.strip()
    if _WHOLE_NUMBER.fullmatch(text) is None:
        span = f" from {scale.start} to {scale.stop - 1}" if scale else ""
        raise InvalidInput(f"{raw[:20]!r} is not a score: use a whole number{span}", field="score")
    score = int(text)
    if scale is not None:
        check_score(score, scale)
    return score


def check_score(score: int, scale: range) -> int:
    if score not in scale:
        raise InvalidInput(
            f"this survey takes a score from {scale.start} to {scale.stop - 1}, not {score}",
            field="score",
        )
    return score


def clean_comment(raw: str) -> str | None:
    """The comment as stored: trimmed, line breaks unified, None when empty.

    Too long is an error, never a silent cut: the respondent's words are kept whole or
    they are told. NUL cannot be stored in PostgreSQL text and no keyboard types it.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if "\x00" in text:
        raise InvalidInput("the comment contains a NUL character", field="comment")
    if len(text) > MAX_COMMENT_LENGTH:
        raise InvalidInput(
            f"the comment has {len(text):,} characters; the limit is {MAX_COMMENT_LENGTH:,}",
            field="comment",
        )
    return text or None


def change_deadline(first_answered_at: datetime, window: timedelta) -> datetime:
    """The first instant an answer can no longer be changed."""
    return first_answered_at + window


def can_change(*, first_answered_at: datetime, now: datetime, window: timedelta) -> bool:
    return now < change_deadline(first_answered_at, window)


def check_can_change(*, first_answered_at: datetime, now: datetime, window: timedelta) -> None:
    if not can_change(first_answered_at=first_answered_at, now=now, window=window):
        raise Gone(
            f"you already answered on {day(first_answered_at)}; answers can be changed "
            f"for {_days(window)} after the first answer",
            field="score",
        )


def day(instant: datetime) -> str:
    """A date as people write it: ``3 March 2026``."""
    return f"{instant.day} {instant:%B %Y}"


def _days(window: timedelta) -> str:
    return "1 day" if window.days == 1 else f"{window.days} days"
