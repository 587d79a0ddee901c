"""How the dashboard shows figures, times and stored messages."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.analytics.nps import Category, NpsSummary
from closeloop.web import display

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "–"), (28.4, "+28"), (0.4, "0"), (-0.4, "0"), (-12.6, "−13"), (100.0, "+100")],
)
def test_signed_number(value: float | None, expected: str) -> None:
    assert display.signed_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(None, ""), (7.4, "±7"), (6.5, "±6"), (0.2, "±1"), (41.0, "±41")]
)
def test_margin(value: float | None, expected: str) -> None:
    assert display.margin(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(None, "–"), (47.4, "47 %"), (0.0, "0 %"), (100.0, "100 %")]
)
def test_percent(value: float | None, expected: str) -> None:
    assert display.percent(value) == expected


def test_day_has_no_leading_zero() -> None:
    assert display.day(datetime(2026, 3, 3, tzinfo=UTC)) == "3 Mar 2026"


def test_stacked_bar_orders_and_places_the_bands() -> None:
    bar = display.stacked_bar(NpsSummary(promoters=5, passives=3, detractors=2))
    assert [(s.category, s.count, s.share, s.start) for s in bar] == [
        (Category.PROMOTER, 5, 50.0, 0.0),
        (Category.PASSIVE, 3, 30.0, 50.0),
        (Category.DETRACTOR, 2, 20.0, 80.0),
    ]
    assert [s.label for s in bar] == ["Promoters", "Passives", "Detractors"]


def test_stacked_bar_is_empty_without_answers() -> None:
    assert display.stacked_bar(NpsSummary(0, 0, 0)) == []


@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500))
def test_stacked_bar_fills_exactly_the_axis(promoters: int, passives: int, detractors: int) -> None:
    bar = display.stacked_bar(NpsSummary(promoters, passives, detractors))
    if promoters + passives + detractors == 0:
        assert bar == []
        return
    assert bar[0].start == 0
    for left, right in itertools.pairwise(bar):
        assert right.start == pytest.approx(left.start + left.share)
    assert bar[-1].start + bar[-1].share == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("ago", "expected"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=1), "1 min ago"),
        (timedelta(minutes=59), "59 min ago"),
        (timedelta(hours=1), "1 h ago"),
        (timedelta(hours=23, minutes=59), "23 h ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=2, hours=5), "2 days ago"),
        (timedelta(days=7), "1 week ago"),
        (timedelta(days=29), "4 weeks ago"),
        (timedelta(days=45), "1 month ago"),
        (timedelta(days=200), "6 months ago"),
        (timedelta(days=365), "1 year ago"),
        (timedelta(days=800), "2 years ago"),
        (-timedelta(minutes=5), "in the future"),
    ],
)
def test_time_ago(ago: timedelta, expected: str) -> None:
    assert display.time_ago(NOW - ago, now=NOW) == expected


@pytest.mark.parametrize(
    ("page", "total", "pages", "offset", "previous", "following"),
    [
        (1, 0, 1, 0, False, False),
        (1, 25, 1, 0, False, False),
        (1, 26, 2, 0, False, True),
        (2, 26, 2, 25, True, False),
        (9, 26, 2, 200, True, False),
    ],
)
def test_pagination(
    page: int, total: int, pages: int, offset: int, previous: bool, following: bool
) -> None:
    pagination = display.Pagination(page=page, per_page=25, total=total)
    assert (pagination.pages, pagination.offset) == (pages, offset)
    assert (pagination.has_previous, pagination.has_next) == (previous, following)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>Hi</p>", '<base target="_blank"><p>Hi</p>'),
        (
            "<html><head><title>x</title></head><body>Hi</body></html>",
            '<html><head><base target="_blank"><title>x</title></head><body>Hi</body></html>',
        ),
        (
            '<HTML><HEAD lang="en"></HEAD></HTML>',
            '<HTML><HEAD lang="en"><base target="_blank"></HEAD></HTML>',
        ),
        ("<header>x</header>", '<base target="_blank"><header>x</header>'),
    ],
)
def test_links_open_in_new_tab(html: str, expected: str) -> None:
    assert display.links_open_in_new_tab(html) == expected


def test_linkify_makes_links_and_escapes_everything_else() -> None:
    text = 'Rate us: https://x.example/r/abc/10. <b>"bold"</b> & more'
    assert str(display.linkify(text)) == (
        'Rate us: <a href="https://x.example/r/abc/10" target="_blank" '
        'rel="noopener noreferrer">https://x.example/r/abc/10</a>. '
        "&lt;b&gt;&#34;bold&#34;&lt;/b&gt; &amp; more"
    )


def test_linkify_ignores_other_schemes() -> None:
    assert str(display.linkify("javascript:alert(1)")) == "javascript:alert(1)"


@given(st.text(max_size=200))
def test_linkify_never_lets_markup_through(text: str) -> None:
    rendered = str(display.linkify(text))
    without_links = rendered.replace('<a href="', "").replace("</a>", "")
    without_links = without_links.replace('" target="_blank" rel="noopener noreferrer">', "")
    assert "<" not in without_links


def test_message_headers_skip_mime_plumbing() -> None:
    raw = (
        "From: FacturaPlus <surveys@facturaplus.test>\r\n"
        "To: ana@example.com\r\n"
        "Subject: A quick question\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "List-Unsubscribe: <https://x.example/r/u/t>\r\n"
        "\r\n"
        "Hello\r\n"
    )
    assert display.message_headers(raw) == [
        ("From", "FacturaPlus <surveys@facturaplus.test>"),
        ("To", "ana@example.com"),
        ("Subject", "A quick question"),
        ("List-Unsubscribe", "<https://x.example/r/u/t>"),
    ]


def test_message_headers_of_something_that_is_not_an_email() -> None:
    assert display.message_headers("just an SMS text") == []


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("email", ("message/rfc822", "outbox-4.eml")),
        ("sms", ("text/plain; charset=utf-8", "outbox-4.txt")),
    ],
)
def test_raw_download(channel: str, expected: tuple[str, str]) -> None:
    assert display.raw_download(channel=channel, message_id=4) == expected
