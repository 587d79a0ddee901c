"""How contact fields are normalised: one spelling per address, locale and time zone."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.contacts.fields import (
    merge_traits,
    normalise_email,
    normalise_locale,
    normalise_phone,
    normalise_time_zone,
)


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        ("ana@acme.example", "ana@acme.example"),
        ("  Ana.Garcia@ACME.Example  ", "ana.garcia@acme.example"),
        ("BOB+nps@Sub.Acme.co.uk", "bob+nps@sub.acme.co.uk"),
        ("dev@facturaplus.test", "dev@facturaplus.test"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(given_: str, expected: str) -> None:
    assert normalise_email(given_) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "ana",
        "ana@",
        "@acme.example",
        "ana@acme",
        "ana acme@example.com",
        "a@b@c.com",
        "ana@host.local",
        "x" * 310 + "@acme.example",
    ],
)
def test_malformed_emails_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="email"):
        normalise_email(bad)


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        ("+34 600 123 456", "+34600123456"),
        ("(555) 010-9999", "5550109999"),
        ("+1.415.555.0100", "+14155550100"),
    ],
)
def test_phones_keep_digits_and_a_leading_plus(given_: str, expected: str) -> None:
    assert normalise_phone(given_) == expected


@pytest.mark.parametrize("bad", ["", "123", "call me", "+34 600 abc", "++3460012345", "1" * 21])
def test_malformed_phones_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="phone"):
        normalise_phone(bad)


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("pt-BR", "pt-BR"),
        ("pt_br", "pt-BR"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("sl-rozaj", "sl-rozaj"),
        ("de-CH-1996", "de-CH-1996"),
    ],
)
def test_locales_take_their_canonical_case(given_: str, expected: str) -> None:
    assert normalise_locale(given_) == expected


@pytest.mark.parametrize("bad", ["", "e", "english!", "pt-BRA-", "en--US", "12", "pt-B", "a" * 40])
def test_malformed_locales_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="BCP 47"):
        normalise_locale(bad)


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        ("Europe/Madrid", "Europe/Madrid"),
        ("europe/madrid", "Europe/Madrid"),
        ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        (" UTC ", "UTC"),
    ],
)
def test_time_zones_are_iana_names(given_: str, expected: str) -> None:
    assert normalise_time_zone(given_) == expected


@pytest.mark.parametrize(
    "bad", ["", "Mars/Olympus", "GMT+25", "../../etc/passwd", "/etc/localtime"]
)
def test_unknown_time_zones_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="IANA"):
        normalise_time_zone(bad)


@pytest.mark.parametrize(
    ("current", "changes", "expected"),
    [
        ({}, {"plan": "pro"}, {"plan": "pro"}),
        ({"plan": "free", "seats": 3}, {"plan": "pro"}, {"plan": "pro", "seats": 3}),
        ({"plan": "free", "seats": 3}, {"seats": None}, {"plan": "free"}),
        ({"plan": "free"}, {"missing": None}, {"plan": "free"}),
        (
            {"address": {"city": "Madrid", "zip": "28001"}},
            {"address": {"city": "Lisboa"}},
            {"address": {"city": "Lisboa"}},
        ),
    ],
)
def test_traits_merge_key_by_key(
    current: dict[str, Any], changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert merge_traits(current, changes) == expected


_values = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.booleans())
_traits = st.dictionaries(st.text(max_size=4), _values, max_size=6)


@given(current=_traits, changes=_traits)
def test_a_merge_keeps_what_it_was_not_told_about_and_never_stores_null(
    current: dict[str, Any], changes: dict[str, Any]
) -> None:
    current = {key: value for key, value in current.items() if value is not None}
    before = dict(current)
    merged = merge_traits(current, changes)
    assert None not in merged.values()
    for key, value in current.items():
        if key not in changes:
            assert merged[key] == value
    for key, value in changes.items():
        assert merged.get(key) == value
    assert merge_traits(merged, changes) == merged  # replaying changes nothing
    assert current == before  # the input is not mutated


def test_remembered_addresses_answer_the_same_and_bad_ones_keep_failing() -> None:
    assert normalise_email(" Repeat@Acme.example") == normalise_email("repeat@acme.example ")
    for _ in range(2):
        with pytest.raises(ValueError, match="email"):
            normalise_email("repeat@")
