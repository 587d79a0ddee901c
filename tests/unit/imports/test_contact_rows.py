"""Contact and account rows: what a row says, and every way a row is refused."""

from __future__ import annotations

from typing import Any

import pytest

from closeloop.imports.cells import RowRejected
from closeloop.imports.contact_rows import (
    ContactRow,
    canonical_account_column,
    canonical_contact_column,
    parse_account,
    parse_contact,
)


@pytest.mark.parametrize(
    ("column", "field"),
    [
        ("Email", "email"),
        ("E-Mail", "email"),
        ("Email address", "email"),
        ("External ID", "external_id"),
        ("Time Zone", "time_zone"),
        ("timezone", "time_zone"),
        ("Phone number", "phone"),
        ("Account", "account"),
        ("Plan ", "Plan"),
    ],
)
def test_contact_columns_match_whatever_their_spelling(column: str, field: str) -> None:
    assert canonical_contact_column(column) == field


def test_account_columns_keep_their_own_known_fields() -> None:
    assert canonical_account_column("Domain") == "domain"
    assert canonical_account_column("Email") == "Email"


def test_a_full_row() -> None:
    row = parse_contact(
        {
            "email": " Ana@Acme.Example ",
            "external_id": "u-1",
            "name": "Ana García",
            "phone": "+34 600 12 34 56",
            "locale": "es_es",
            "time_zone": "europe/madrid",
            "role": "Decision maker",
            "account": "acme",
            "Plan": "pro",
            "Seats": "",
        }
    )
    assert row == ContactRow(
        email="ana@acme.example",
        external_id="u-1",
        values={
            "name": "Ana García",
            "phone": "+34600123456",
            "locale": "es-ES",
            "time_zone": "Europe/Madrid",
            "role": "decision_maker",
        },
        traits={"Plan": "pro"},
        account="acme",
    )


def test_jsonl_values_keep_their_types_and_traits_merge() -> None:
    row = parse_contact(
        {"external_id": 1001, "seats": 25, "traits": {"plan": "pro", "trial": None}, "name": None}
    )
    assert row == ContactRow(None, "1001", {}, {"seats": 25, "plan": "pro", "trial": None}, None)


def test_an_account_given_as_the_apis_object() -> None:
    assert (
        parse_contact({"email": "a@x.test", "account": {"external_id": "acme"}}).account == "acme"
    )


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"name": "Nobody", "Plan": "pro"}, "needs an email or an external_id"),
        ({"email": "", "external_id": "  "}, "needs an email or an external_id"),
        ({"phone": "+34600123456"}, "needs an email or an external_id"),
        ({"email": "not-an-address"}, "email: not a valid email address"),
        ({"email": "a@x.test", "time_zone": "Mars/Olympus"}, "time_zone: not an IANA time zone"),
        ({"email": "a@x.test", "locale": "klingon!"}, "locale: not a BCP 47 language tag"),
        ({"email": "a@x.test", "role": "boss"}, "role: must be one of decision_maker"),
        ({"email": "a@x.test", "phone": "call me"}, "phone: a phone number is 4–20 digits"),
        ({"email": "a@x.test", "name": "x" * 300}, "name: is longer than 255 characters"),
        ({"email": "a@x.test", "Plan": "p\x00"}, "Plan: contains the NUL character"),
        ({"email": "a@x.test", "traits": "pro"}, "traits: must be a JSON object"),
        ({"email": "a@x.test", "nested": {"deep": float("nan")}}, "nested: .*finite"),
    ],
)
def test_bad_rows_are_refused_with_the_reason(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(RowRejected, match=reason):
        parse_contact(fields)


def test_an_account_row() -> None:
    account = parse_account(
        {"external_id": "acme", "name": "Acme", "domain": "https://Acme.Example/", "Tier": "gold"}
    )
    assert (account.external_id, account.name, account.domain, account.traits) == (
        "acme",
        "Acme",
        "acme.example",
        {"Tier": "gold"},
    )


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"Tier": "gold"}, "external_id: give at least one of external_id, name"),
        ({"name": "Acme", "time_zone": "Nowhere"}, "time_zone: not an IANA time zone"),
        ({"name": "Acme", "domain": "not a domain"}, "domain: not a domain name"),
    ],
)
def test_bad_account_rows_are_refused(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(RowRejected, match=reason):
        parse_account(fields)
