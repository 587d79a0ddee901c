"""How the dashboard shows figures, times and messages. Pure: values in, values out."""

from __future__ import annotations

import email
import email.policy
import math
import re
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from closeloop.analytics.nps import Category, NpsSummary

MINUS = "\N{MINUS SIGN}"
_URL = re.compile(r"https?://[^\s<>\"']+")
_HEAD_TAG = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)
# a link in a message ends before trailing punctuation that belongs to the sentence
_TRAILING_PUNCTUATION = ".,;:!?)"
# top-level MIME plumbing says nothing a reader needs
_HIDDEN_HEADERS = frozenset({"mime-version", "content-type", "content-transfer-encoding"})


def signed_number(value: float | None) -> str:
    """An NPS as people write it: ``+28``, ``0``, ``−12`` (a real minus sign), ``–`` if none."""
    if value is None:
        return "–"
    rounded = round(value)
    if rounded > 0:
        return f"+{rounded}"
    if rounded < 0:
        return f"{MINUS}{-rounded}"
    return "0"


def margin(value: float | None) -> str:
    """The 95 % margin of error as ``±7``, or an empty string when it is unknown."""
    if value is None:
        return ""
    return f"±{max(1, round(value))}"


def day(value: datetime) -> str:
    """A date as people read it in a heading: ``3 Mar 2026``."""
    return f"{value.day} {value:%b %Y}"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value)} %"


@dataclass(frozen=True)
class BarSegment:
    """One band of the promoters / passives / detractors bar, on a 0–100 axis."""

    category: Category
    count: int
    share: float
    start: float

    @property
    def label(self) -> str:
        return f"{self.category.value.capitalize()}s"


def stacked_bar(summary: NpsSummary) -> list[BarSegment]:
    """Promoters, passives, detractors left to right; empty when nobody answered."""
    if not summary.responses:
        return []
    segments: list[BarSegment] = []
    start = 0.0
    counts = (
        (Category.PROMOTER, summary.promoters),
        (Category.PASSIVE, summary.passives),
        (Category.DETRACTOR, summary.detractors),
    )
    for category, count in counts:
        share = 100.0 * count / summary.responses
        segments.append(BarSegment(category=category, count=count, share=share, start=start))
        start += share
    return segments


_AGO_STEPS = (
    (60, 1, "min"),
    (24 * 60, 60, "h"),
    (7 * 24 * 60, 24 * 60, "day"),
    (31 * 24 * 60, 7 * 24 * 60, "week"),
    (365 * 24 * 60, 30 * 24 * 60, "month"),
)


def time_ago(then: datetime, *, now: datetime) -> str:
    """A short relative time: ``just now``, ``5 min ago``, ``3 h ago``, ``2 days ago``…"""
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 0:
        return "in the future"
    if minutes < 1:
        return "just now"
    for limit, unit_minutes, unit in _AGO_STEPS:
        if minutes < limit:
            amount = minutes // unit_minutes
            plural = "s" if amount != 1 and unit not in {"min", "h"} else ""
            return f"{amount} {unit}{plural} ago"
    years = minutes // (365 * 24 * 60)
    return f"{years} year{'s' if years != 1 else ''} ago"


@dataclass(frozen=True)
class Pagination:
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def links_open_in_new_tab(html: str) -> str:
    """The message's HTML with ``<base target="_blank">``, for a sandboxed preview.

    In a sandboxed ``srcdoc`` frame a plain link would load the respondent page inside the
    frame, where forms may not be submitted; a new tab gets the real page.
    """
    base = '<base target="_blank">'
    match = _HEAD_TAG.search(html)
    if match is None:
        return base + html
    return html[: match.end()] + base + html[match.end() :]


def linkify(text: str) -> Markup:
    """Plain text, escaped, with its http(s) URLs made into links that open a new tab."""
    pieces: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        end = match.start() + len(url)
        pieces.append(str(escape(text[position : match.start()])))
        pieces.append(
            f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">{escape(url)}</a>'
        )
        position = end
    pieces.append(str(escape(text[position:])))
    return Markup("".join(pieces))  # noqa: S704 - every piece above is escaped


def message_headers(raw: str) -> list[tuple[str, str]]:
    """The headers of a stored message worth showing, in their order."""
    message = email.message_from_string(raw, policy=email.policy.default)
    return [
        (name, str(value)) for name, value in message.items() if name.lower() not in _HIDDEN_HEADERS
    ]


def raw_download(*, channel: str, message_id: int) -> tuple[str, str]:
    """The media type and file name of a stored message: an ``.eml`` for email."""
    if channel == "email":
        return "message/rfc822", f"outbox-{message_id}.eml"
    return "text/plain; charset=utf-8", f"outbox-{message_id}.txt"
