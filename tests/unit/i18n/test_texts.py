"""Our texts in one language: placeholders, dates and numbers as each language writes them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from closeloop.i18n.locales import negotiate
from closeloop.i18n.texts import Texts


def texts(tag: str) -> Texts:
    return Texts(negotiate([tag], default="en"))


@pytest.mark.parametrize(
    ("tag", "third", "first"),
    [
        ("en", "3 March 2026", "1 March 2026"),
        ("es", "3 de marzo de 2026", "1 de marzo de 2026"),
        ("de", "3. März 2026", "1. März 2026"),
        ("fr", "3 mars 2026", "1er mars 2026"),
        ("pt-BR", "3 de março de 2026", "1º de março de 2026"),
    ],
)
def test_dates(tag: str, third: str, first: str) -> None:
    assert texts(tag).date(date(2026, 3, 3)) == third
    assert texts(tag).date(datetime(2026, 3, 1, 23, 59, tzinfo=UTC)) == first


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("en", "5,000"), ("es", "5.000"), ("de", "5.000"), ("fr", "5\u202f000"), ("pt", "5.000")],
)
def test_numbers(tag: str, expected: str) -> None:
    assert texts(tag).number(5_000) == expected
    assert texts(tag).number(999) == "999"


def test_placeholders_are_filled_by_name() -> None:
    assert texts("de")("thanks.heading_named", name="Ana") == "Vielen Dank, Ana!"
    assert texts("es")("follow_up.you_answered", score=7) == "¡Gracias! Su respuesta: 7."


def test_a_value_is_never_read_as_a_template() -> None:
    assert texts("en")("thanks.heading_named", name="{name} {0}") == "Thank you, {name} {0}!"


def test_a_missing_value_is_an_error_not_a_brace_shown_to_a_customer() -> None:
    with pytest.raises(KeyError):
        texts("en")("thanks.heading_named")


def test_questions_and_scale_ends_by_survey_kind() -> None:
    german = texts("de")
    assert german.question("csat") == "Wie zufrieden sind Sie mit {product}?"
    assert german.email_question("nps").startswith("Hallo {name}, wie wahrscheinlich")
    assert german.scale_ends("ces") == ("Sehr schwierig", "Sehr einfach")
