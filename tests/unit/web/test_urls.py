"""Where the login form may send people afterwards: only to our own pages."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.web.urls import login_url, safe_next


@pytest.mark.parametrize(
    "value",
    ["/", "/outbox", "/outbox?page=2", "/outbox/7", "/outbox/7/raw", "/?tab=a%2Fb#top"],
)
def test_local_paths_are_kept(value: str) -> None:
    assert safe_next(value) == value


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "outbox",
        "https://evil.example/",
        "http://evil.example",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        " /outbox",
        "javascript:alert(1)",
        "/login",
        "/login?next=/outbox",
        "/logout",
        "/" + "a" * 2001,
        "/out\x00box",
    ],
)
def test_anything_else_goes_home(value: str | None) -> None:
    assert safe_next(value) == "/"


@given(st.text(max_size=80))
def test_a_kept_value_never_leaves_the_site(value: str) -> None:
    result = safe_next(value)
    parts = urlsplit(result)
    assert result.startswith("/")
    assert not result.startswith(("//", "/\\"))
    assert not parts.scheme and not parts.netloc
    assert all(ch.isprintable() and not ch.isspace() for ch in result)


@given(st.text(max_size=80))
def test_a_kept_value_is_kept_unchanged_or_replaced_by_home(value: str) -> None:
    assert safe_next(value) in {value, "/"}


@pytest.mark.parametrize(
    ("next_path", "expected"),
    [
        (None, "/login"),
        ("/", "/login"),
        ("https://evil.example", "/login"),
        ("/outbox", "/login?next=%2Foutbox"),
    ],
)
def test_login_url(next_path: str | None, expected: str) -> None:
    assert login_url(next_path) == expected


def test_login_url_round_trips_a_query() -> None:
    url = login_url("/outbox?page=3")
    assert parse_qs(urlsplit(url).query) == {"next": ["/outbox?page=3"]}
