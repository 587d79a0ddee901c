"""Choosing a respondent's language: region to language to the workspace's to English."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.i18n.catalogs import CATALOGS
from closeloop.i18n.locales import Direction, Locale, accept_language, direction, negotiate


def _locale(tag: str, language: str, writing: Direction = "ltr") -> Locale:
    return Locale(tag=tag, language=language, direction=writing)


@pytest.mark.parametrize(
    ("preferences", "default", "expected"),
    [
        (["de"], "en", _locale("de", "de")),
        (["pt-BR"], "en", _locale("pt-BR", "pt")),
        (["es-MX"], "en", _locale("es-MX", "es")),
        (["fr_ca"], "en", _locale("fr-CA", "fr")),
        (["EN-gb"], "de", _locale("en-GB", "en")),
        # an unknown language falls back to the workspace's, then to English
        (["xx"], "en", _locale("en", "en")),
        (["xx"], "de", _locale("de", "de")),
        (["xx"], "it", _locale("en", "en")),
        # the first choice we have wins; a later one is used when the first is missing
        (["es", "de"], "en", _locale("es", "es")),
        (["it", "pt"], "en", _locale("pt", "pt")),
        ([None, "", "fr"], "en", _locale("fr", "fr")),
        # malformed tags are skipped, never an error
        (["not a tag", "de"], "en", _locale("de", "de")),
        ([], "pt-BR", _locale("pt-BR", "pt")),
        ([], "!!", _locale("en", "en")),
        # right to left: the person's language sets the direction, even in English
        (["ar"], "en", _locale("en", "en", "rtl")),
        (["he-IL"], "de", _locale("de", "de", "rtl")),
        (["fa", "ur"], "en", _locale("en", "en", "rtl")),
        ([], "ar", _locale("en", "en", "rtl")),
        # …but not when a later choice of theirs has a catalog: that is what they read
        (["ar", "fr"], "en", _locale("fr", "fr")),
    ],
)
def test_negotiate(preferences: list[str | None], default: str, expected: Locale) -> None:
    assert negotiate(preferences, default=default) == expected


def test_a_regional_catalog_would_win_over_its_language() -> None:
    available = {"en", "pt", "pt-BR"}
    assert negotiate(["pt-BR"], default="en", available=available).language == "pt-BR"
    assert negotiate(["pt-PT"], default="en", available=available).language == "pt"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("ar", "rtl"),
        ("ar-EG", "rtl"),
        ("he", "rtl"),
        ("fa-IR", "rtl"),
        ("ur", "rtl"),
        ("ckb", "rtl"),
        ("az-Arab", "rtl"),
        ("pa-Arab-PK", "rtl"),
        ("ku-Latn", "ltr"),
        ("en", "ltr"),
        ("de-CH", "ltr"),
        ("zh-Hant-TW", "ltr"),
    ],
)
def test_direction(tag: str, expected: str) -> None:
    assert direction(tag) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-CH,de;q=0.9,en;q=0.8", ["de-CH", "de", "en"]),
        ("en;q=0.5, fr", ["fr", "en"]),
        ("es-MX, es;q=0.9, *;q=0.5", ["es-MX", "es"]),
        ("pt;q=0, en", ["en"]),
        ("fr;q=0.8, de;q=0.8", ["fr", "de"]),
        ("", []),
        (None, []),
        (" , ;q=1", []),
    ],
)
def test_accept_language(header: str | None, expected: list[str]) -> None:
    assert accept_language(header) == expected


def test_a_huge_accept_language_header_is_cut_short() -> None:
    assert len(accept_language(",".join(["de"] * 10_000))) == 20


@given(preferences=st.lists(st.one_of(st.none(), st.text(max_size=40))), default=st.text())
def test_any_input_gets_a_language_we_ship(preferences: list[str | None], default: str) -> None:
    locale = negotiate(preferences, default=default)
    assert locale.language in CATALOGS
    assert locale.tag.split("-")[0] == locale.language


@given(header=st.text(max_size=200))
def test_any_header_parses(header: str) -> None:
    assert all(tag.strip() == tag and tag for tag in accept_language(header))
