"""``--map FIELD=COLUMN``: parsed once, applied to the header, refused when it cannot apply."""

from __future__ import annotations

import pytest

from closeloop.imports.mapping import InvalidMapping, apply_to_header, parse


def test_specs_read_field_from_column() -> None:
    assert parse(["email=E-mail", " name = Full name "]) == {"E-mail": "email", "Full name": "name"}


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        (["email"], "is not FIELD=COLUMN"),
        (["=E-mail"], "is not FIELD=COLUMN"),
        (["email="], "is not FIELD=COLUMN"),
        (["email=A", "name=A"], "the column 'A' is mapped twice"),
        (["email=A", "email=B"], "the field 'email' is mapped twice"),
    ],
)
def test_bad_specs_say_why(specs: list[str], message: str) -> None:
    with pytest.raises(InvalidMapping, match=message):
        parse(specs)


def test_the_header_is_renamed() -> None:
    assert apply_to_header(["E-mail", "Plan"], {"E-mail": "email"}) == ["email", "Plan"]


def test_a_mapped_column_must_exist() -> None:
    with pytest.raises(InvalidMapping, match="the file has no column 'Mail'"):
        apply_to_header(["E-mail", "Plan"], {"Mail": "email"})


def test_two_columns_cannot_end_up_with_one_name() -> None:
    with pytest.raises(InvalidMapping, match="two columns would both be 'email'"):
        apply_to_header(["E-mail", "email"], {"E-mail": "email"})
    with pytest.raises(InvalidMapping, match="the column 'plan' appears twice"):
        apply_to_header(["plan", "plan"], {})
