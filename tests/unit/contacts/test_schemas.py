"""The contact shapes refuse what the database could not store the same way everywhere."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from closeloop.contacts.schemas import AccountIn, ContactIn, ContactPatch, ContactRef


def error_fields(error: ValidationError) -> list[str]:
    return [".".join(str(part) for part in item["loc"]) for item in error.errors()]


def test_a_contact_is_normalised_on_the_way_in() -> None:
    contact = ContactIn.model_validate(
        {
            "email": " Ana@ACME.example ",
            "phone": "+34 600 123 456",
            "locale": "pt_br",
            "time_zone": "europe/lisbon",
            "role": "decision_maker",
            "name": "  Ana  ",
            "account": {"name": "Acme", "domain": "HTTPS://Acme.Example/"},
        }
    )
    assert contact.email == "ana@acme.example"
    assert contact.phone == "+34600123456"
    assert contact.locale == "pt-BR"
    assert contact.time_zone == "Europe/Lisbon"
    assert contact.name == "Ana"
    assert contact.account is not None
    assert contact.account.domain == "acme.example"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Nobody"}, "email"),
        ({"email": None, "external_id": None}, "email"),
        ({"email": "ana@acme.example", "emial": "typo"}, "emial"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "ana@acme.example", "time_zone": "Mars/Base"}, "time_zone"),
        ({"email": "ana@acme.example", "locale": "english"}, "locale"),
        ({"email": "ana@acme.example", "role": "ceo"}, "role"),
        ({"email": "ana@acme.example", "traits": "plan=pro"}, "traits"),
        ({"email": "ana@acme.example", "traits": {"score": float("nan")}}, "traits"),
        ({"email": "ana@acme.example", "traits": {"x": "a\x00b"}}, "traits"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": "x" * 256}, "external_id"),
        (
            {"email": "ana@acme.example", "account": {"domain": "acme.example"}},
            "account.external_id",
        ),
        (
            {"email": "ana@acme.example", "account": {"name": "A", "domain": "not a domain"}},
            "account.domain",
        ),
        ({"email": "ana@acme.example", "account": {"name": "A", "plan": "pro"}}, "account.plan"),
    ],
)
def test_bad_contacts_name_the_field(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        ContactIn.model_validate(payload)
    assert field in error_fields(raised.value)


def test_deeply_nested_traits_are_refused() -> None:
    nested: dict[str, Any] = {}
    cursor = nested
    for _ in range(20):
        cursor["next"] = {}
        cursor = cursor["next"]
    with pytest.raises(ValidationError, match="nests deeper"):
        ContactIn.model_validate({"email": "ana@acme.example", "traits": nested})


def test_a_patch_may_be_empty_and_remembers_what_was_sent() -> None:
    assert ContactPatch.model_validate({}).model_fields_set == set()
    patch = ContactPatch.model_validate({"name": None, "traits": {"plan": None}})
    assert patch.model_fields_set == {"name", "traits"}


def test_a_patch_refuses_unknown_fields() -> None:
    with pytest.raises(ValidationError) as raised:
        ContactPatch.model_validate({"nickname": "A"})
    assert error_fields(raised.value) == ["nickname"]


@pytest.mark.parametrize(
    ("payload", "has_profile"),
    [
        ({"email": "ana@acme.example"}, False),
        ({"id": 4}, False),
        ({"external_id": "u-1", "traits": {"plan": "pro"}}, True),
        ({"external_id": "u-1", "name": None}, True),
    ],
)
def test_a_reference_knows_whether_it_carries_profile_fields(
    payload: dict[str, Any], has_profile: bool
) -> None:
    assert ContactRef.model_validate(payload).has_profile is has_profile


def test_a_reference_needs_an_identifier() -> None:
    with pytest.raises(ValidationError) as raised:
        ContactRef.model_validate({"traits": {"plan": "pro"}})
    assert error_fields(raised.value) == ["id"]
    with pytest.raises(ValidationError):
        ContactRef.model_validate({"id": 0})


def test_an_account_needs_a_key_or_a_name() -> None:
    assert AccountIn.model_validate({"name": "Acme"}).name == "Acme"
    with pytest.raises(ValidationError):
        AccountIn.model_validate({})
