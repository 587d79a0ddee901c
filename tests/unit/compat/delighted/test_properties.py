"""Delighted's properties: traits, and the special ones that steer one survey."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.compat.delighted.properties import sort
from closeloop.errors import InvalidInput


def test_ordinary_properties_are_traits_and_special_ones_go_to_the_invitation() -> None:
    found = sort(
        {
            "plan": "pro",
            "seats": 25,
            "Purchase Experience": "Mobile App",
            "question_product_name": " The London Trench ",
            "delighted_email_subject": "One question",
            "thank_you_message": "Thank you!",
            "thank_you_link_text": "Read our plans",
            "thank_you_link": "https://acme.test/plans",
            "locale": "zh_hant_tw",
            "delighted_intro_message": "Hello",
            "delighted_intended_send_time": 1772532000,
        }
    )
    assert found.traits == {"plan": "pro", "seats": 25, "Purchase Experience": "Mobile App"}
    assert found.locale == "zh-Hant-TW"
    assert found.context == {
        "product_name": "The London Trench",
        "email_subject": "One question",
        "thank_you_message": "Thank you!",
        "thank_you_link_text": "Read our plans",
        "thank_you_link_url": "https://acme.test/plans",
        "locale": "zh-Hant-TW",
        "delighted_properties": {
            "question_product_name": "The London Trench",
            "delighted_email_subject": "One question",
            "thank_you_message": "Thank you!",
            "thank_you_link_text": "Read our plans",
            "thank_you_link": "https://acme.test/plans",
            "locale": "zh_hant_tw",
            "delighted_intro_message": "Hello",
            "delighted_intended_send_time": "1772532000",
        },
    }


def test_empty_special_properties_are_left_out() -> None:
    found = sort({"question_product_name": "", "locale": None, "plan": None})
    assert (found.traits, found.locale, found.context) == ({"plan": None}, None, {})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("thank_you_link_url", "javascript:alert(1)"),
        ("thank_you_link_url", "//acme.test/plans"),
        ("thank_you_link_url", "mailto:help@acme.test"),
        ("locale", "not a language"),
        ("question_product_name", "x" * 256),
        ("thank_you_message", {"nested": "object"}),
        ("delighted_email_subject", True),
        ("thank_you_message", "nul\x00byte"),
    ],
)
def test_a_bad_special_property_names_itself(name: str, value: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        sort({name: value})
    assert refused.value.field == f"properties.{name}"
