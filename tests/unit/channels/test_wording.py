"""Survey wording: placeholders are filled narrowly and safely."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.surveys.wording import clean, fill, unknown_placeholders

NPS = "Hi {name}, how likely are you to recommend {product} to a friend or colleague?"


@pytest.mark.parametrize(
    ("template", "name", "product", "expected"),
    [
        (
            NPS,
            "Ana",
            "FacturaPlus",
            "Hi Ana, how likely are you to recommend FacturaPlus to a friend or colleague?",
        ),
        (
            NPS,
            None,
            "FacturaPlus",
            "Hi, how likely are you to recommend FacturaPlus to a friend or colleague?",
        ),
        (NPS, "   ", "X", "Hi, how likely are you to recommend X to a friend or colleague?"),
        ("{name}, a quick question about {product}", "Ana", "X", "Ana, a quick question about X"),
        ("{name}, a quick question about {product}", None, "X", "A quick question about X"),
        ("Thanks {name}!", None, "X", "Thanks!"),
        # only our two placeholders are filled; anything else stays as written
        ("Rate {product} {company} {}", "Ana", "X", "Rate X {company} {}"),
        ("{product.__class__}", "Ana", "X", "{product.__class__}"),
        # values are not templates themselves
        ("Hi {name}, about {product}", "{product}", "X", "Hi {product}, about X"),
        # values cannot break a line (or an email header)
        ("Hi {name}", "Ana\r\nBcc: eve@example.com", "X", "Hi Ana Bcc: eve@example.com"),
        ("About {product}", "Ana", "Factura\tPlus\x00", "About Factura Plus"),
    ],
)
def test_fill(template: str, name: str | None, product: str, expected: str) -> None:
    assert fill(template, name=name, product=product) == expected


@pytest.mark.parametrize(
    ("template", "unknown"),
    [
        (NPS, []),
        ("How was {product} for {company} in {city}?", ["company", "city"]),
        ("{x} and {x}", ["x"]),
        ("{}", [""]),
        ("no placeholders", []),
    ],
)
def test_unknown_placeholders(template: str, unknown: list[str]) -> None:
    assert unknown_placeholders(template) == unknown


@given(name=st.text(), product=st.text())
def test_a_filled_template_is_always_one_clean_line(name: str, product: str) -> None:
    text = fill(NPS, name=name, product=product)
    assert "\n" not in text and "\r" not in text
    assert text == clean(text)
