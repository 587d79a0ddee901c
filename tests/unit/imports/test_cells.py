"""Cell values: text rules, and the fast address check held to email-validator's answers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closeloop.contacts.fields import normalise_email
from closeloop.imports import cells
from closeloop.imports.cells import RowRejected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("  Ana  ", "Ana"), ("", None), ("   ", None), (None, None), (1001, "1001")],
)
def test_text_is_trimmed_and_blank_is_nothing(value: object, expected: str | None) -> None:
    assert cells.text(value, "name") == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x" * 256, "name: is longer than 255 characters"),
        ("a\x00b", "name: contains the NUL character"),
        (True, "name: must be text, not bool"),
        ([1], "name: must be text, not list"),
        (1.5, "name: must be text, not float"),
    ],
)
def test_text_refuses(value: object, message: str) -> None:
    with pytest.raises(RowRejected, match=message):
        cells.text(value, "name")


@pytest.mark.parametrize(
    "address",
    [
        "Ana@Acme.Example",
        " bo.x+tag@sub.acme.io ",
        "o'brien@example.com",
        "x@123.example",
        "a@b.test",
        "josé@example.com",
        "a@xn--bcher-kva.example",
    ],
)
def test_addresses_are_spelled_as_normalise_email_spells_them(address: str) -> None:
    assert cells.email(address) == normalise_email(address)


@pytest.mark.parametrize(
    "address",
    [
        "bad-email",
        "a..b@example.com",
        "a@b.local",
        "x@localhost",
        "a@-b.com",
        "a b@example.com",
        '"quoted"@example.com',
    ],
)
def test_invalid_addresses_are_refused_as_normalise_email_refuses_them(address: str) -> None:
    with pytest.raises(ValueError, match="not a valid email address"):
        normalise_email(address)
    with pytest.raises(RowRejected, match=r"^email: not a valid email address"):
        cells.email(address)


_ATOM = st.text(alphabet="abcXYZ019.-_+'", min_size=1, max_size=12)
_LABEL = st.text(alphabet="abz09-", min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(
    local=_ATOM,
    labels=st.lists(_LABEL, min_size=1, max_size=3),
    tld=st.sampled_from(["com", "example", "io", "local", "test", "c0m", "x"]),
)
def test_the_fast_path_never_disagrees_with_email_validator(
    local: str, labels: list[str], tld: str
) -> None:
    address = f"{local}@{'.'.join(labels)}.{tld}"
    try:
        expected: str | None = normalise_email(address)
    except ValueError:
        expected = None
    try:
        got: str | None = cells.email(address)
    except RowRejected:
        got = None
    assert got == expected


def test_json_objects_are_checked_as_the_api_checks_them() -> None:
    assert cells.json_object({"plan": "pro", "seats": 3}, "traits") == {"plan": "pro", "seats": 3}
    with pytest.raises(RowRejected, match="traits: must be a JSON object"):
        cells.json_object(["pro"], "traits")
    with pytest.raises(RowRejected, match=r"traits: .*NUL"):
        cells.json_object({"plan": "p\x00"}, "traits")


@pytest.mark.parametrize(
    ("column", "key"),
    [("Time Zone", "time_zone"), (" external-id ", "external_id"), ("EMAIL", "email")],
)
def test_column_names_compare_by_key(column: str, key: str) -> None:
    assert cells.key_name(column) == key
