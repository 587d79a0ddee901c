"""Contact and account rows: from a file's fields to values ready to store. Pure.

The columns a contact import knows are ``email``, ``external_id``, ``phone``, ``name``,
``locale``, ``time_zone``, ``role`` and ``account`` (the company's external id); a CSV
header matches them whatever its case or spacing (``Time Zone``). Every other column is
a trait, named as its header says. An empty cell says nothing: it neither sets nor
clears. A JSONL line may also carry ``traits`` as an object, merged like the API's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache, partial
from typing import Any, NamedTuple

from pydantic import ValidationError

from closeloop.contacts import fields
from closeloop.contacts.models import Role
from closeloop.contacts.schemas import AccountIn
from closeloop.imports import cells
from closeloop.imports.cells import RowRejected

CONTACT_FIELDS = frozenset(
    {"email", "external_id", "phone", "name", "locale", "time_zone", "role", "account", "traits"}
)
ACCOUNT_FIELDS = frozenset({"external_id", "name", "domain", "time_zone", "traits"})
# header spellings seen in CRM exports, after ``cells.key_name``
_ALIASES = {
    "e_mail": "email",
    "email_address": "email",
    "timezone": "time_zone",
    "phone_number": "phone",
    "account_external_id": "account",
}
_ROLES = ", ".join(role.value for role in Role)
VALUE_CACHE_SIZE = 4096


class ContactRow(NamedTuple):
    """One person as a row describes them; only what the row says is in ``values``."""

    email: str | None
    external_id: str | None
    # phone, name, locale, time_zone, role: the ones the row gives
    values: dict[str, Any]
    traits: dict[str, Any]
    account: str | None


def canonical_contact_column(column: str) -> str:
    """``E-mail`` → ``email``; a column that is no known field keeps its name (a trait)."""
    return _canonical(column, CONTACT_FIELDS)


def canonical_account_column(column: str) -> str:
    return _canonical(column, ACCOUNT_FIELDS)


def _canonical(column: str, known: frozenset[str]) -> str:
    key = cells.key_name(column)
    key = _ALIASES.get(key, key)
    return key if key in known else column.strip()


def _role(value: str) -> str:
    try:
        return Role(cells.key_name(value)).value
    except ValueError:
        raise ValueError(f"must be one of {_ROLES}") from None


def _checked(name: str, normalise: Callable[[str], str]) -> Callable[[Any], str | None]:
    return partial(cells.normalised, name=name, normalise=normalise)


def _remembered(name: str, normalise: Callable[[str], str]) -> Callable[[Any], str | None]:
    """``_checked`` for columns with few distinct values (zones, locales, roles).

    A list of a million people has a few hundred time zones: each is checked once.
    """
    checked = _checked(name, normalise)
    remembered = lru_cache(maxsize=VALUE_CACHE_SIZE)(checked)

    def read(value: Any) -> str | None:
        return remembered(value) if value.__class__ is str else checked(value)

    return read


def _account_key(value: Any) -> str | None:
    """A company's external id, given plainly or as the API's ``{"external_id": …}``."""
    if isinstance(value, dict):
        value = value.get("external_id")
    return cells.text(value, "account")


# how each known column is read; a cell that reads as None (blank) is left out
_READERS: dict[str, Callable[[Any], Any]] = {
    "email": cells.email,
    "external_id": partial(cells.text, name="external_id"),
    "phone": _checked("phone", fields.normalise_phone),
    "name": partial(cells.text, name="name"),
    "locale": _remembered("locale", fields.normalise_locale),
    "time_zone": _remembered("time_zone", fields.normalise_time_zone),
    "role": _remembered("role", _role),
    "account": _account_key,
    "traits": partial(cells.json_object, name="traits"),
}


def parse_contact(row: Mapping[str, Any]) -> ContactRow:
    """The person a row describes; ``RowRejected`` says why it cannot be imported."""
    known: dict[str, Any] = {}
    traits: dict[str, Any] = {}
    for key, value in row.items():
        if value is None or value == "":
            continue
        read = _READERS.get(key)
        if read is None:
            if value.__class__ is str and "\x00" not in value and "\x00" not in key:
                traits[key] = value  # the common case, checked inline: most columns are traits
            else:
                traits[key] = _trait(key, value)
        elif key == "traits":
            traits.update(read(value))
        elif (cleaned := read(value)) is not None:
            known[key] = cleaned
    email = known.pop("email", None)
    external_id = known.pop("external_id", None)
    if email is None and external_id is None:
        raise RowRejected("needs an email or an external_id")
    return ContactRow(email, external_id, known, traits, known.pop("account", None))


def parse_account(row: Mapping[str, Any]) -> AccountIn:
    """A company, checked as the API checks one: by ``external_id`` or ``name``."""
    data: dict[str, Any] = {}
    traits: dict[str, Any] = {}
    for key, value in row.items():
        if value is None or value == "":
            continue
        if key == "traits":
            traits.update(cells.json_object(value, "traits"))
        elif key in ACCOUNT_FIELDS:
            data[key] = value
        else:
            traits[key] = _trait(key, value)
    if traits:
        data["traits"] = traits
    try:
        return AccountIn.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise RowRejected(f"{where}: {first['msg']}" if where else first["msg"]) from None


def _trait(key: str, value: Any) -> Any:
    if "\x00" in key:
        raise RowRejected("a column name contains the NUL character")
    if isinstance(value, str):
        if "\x00" in value:
            raise RowRejected(f"{key}: contains the NUL character")
        return value
    return cells.json_object({key: value}, key)[key]
