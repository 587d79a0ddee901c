"""Reading the values of one row: text, addresses, zones, JSON. Pure.

Every function takes what a file holds (a CSV cell is a string, a JSONL value any JSON)
and returns the value to store, or raises ``RowRejected`` with a reason that names the
field; the row is then rejected, with that reason, and the import goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from closeloop.contacts import fields
from closeloop.contacts.schemas import JsonObject

MAX_TEXT = 255
DOMAIN_CACHE_SIZE = 65_536
MAX_LOCAL_PART = 64
MAX_ADDRESS = 254

# the shape nearly every address has: ASCII atoms, a dotted domain with a letters-only TLD
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_COMMON_ADDRESS = re.compile(
    rf"({_ATOM}(?:\.{_ATOM})*)@((?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+[a-z]{{2,63}})"
)
_JSON_OBJECT: TypeAdapter[dict[str, Any]] = TypeAdapter(JsonObject)


class RowRejected(Exception):
    """A row that cannot be imported; the message is the reason the user reads."""


def text(value: Any, name: str, *, max_length: int = MAX_TEXT) -> str | None:
    """Trimmed text, or None for an empty cell; numbers in JSON read as their digits."""
    if value.__class__ is str:
        cleaned = value.strip()
    elif value is None:
        return None
    elif isinstance(value, bool) or not isinstance(value, int):
        raise RowRejected(f"{name}: must be text, not {type(value).__name__}")
    else:
        cleaned = str(value)
    if not cleaned:
        return None
    if len(cleaned) > max_length:
        raise RowRejected(f"{name}: is longer than {max_length} characters")
    if "\x00" in cleaned:
        raise RowRejected(f"{name}: contains the NUL character")
    return cleaned


def normalised(value: Any, name: str, normalise: Callable[[str], str]) -> str | None:
    """A ``contacts.fields`` normaliser applied to a cell; its ``ValueError`` rejects the row."""
    cleaned = text(value, name, max_length=fields.MAX_EMAIL_LENGTH)
    if cleaned is None:
        return None
    try:
        return normalise(cleaned)
    except ValueError as error:
        raise RowRejected(f"{name}: {error}") from None


def email(value: Any, name: str = "email") -> str | None:
    """The address as ``contacts.fields.normalise_email`` spells it, only much faster.

    Checking an address with email-validator takes about 30 µs, which alone would hold a
    contact import below 35,000 rows a second; and in a list of contacts nearly every
    address is new, so remembering answers does not help. An ASCII address of the common
    shape (dot-separated atoms, a domain of letters, digits and hyphens) is spelled by
    email-validator exactly as it came, lower-cased, once its domain is known to be
    acceptable; so only the domain is checked by email-validator, and remembered.
    Anything else (quoted or non-ASCII local parts, IDN domains, odd lengths) takes the
    full check. ``tests/unit/imports/test_cells.py`` holds the two to the same answers.
    """
    cleaned = text(value, name, max_length=fields.MAX_EMAIL_LENGTH)
    if cleaned is None:
        return None
    if cleaned.isascii():
        candidate = cleaned.lower()
        match = _COMMON_ADDRESS.fullmatch(candidate)
        if match and len(match[1]) <= MAX_LOCAL_PART and len(candidate) <= MAX_ADDRESS:
            try:
                domain = _checked_domain(match[2])
            except ValueError as error:
                raise RowRejected(f"{name}: {error}") from None
            return candidate if domain == match[2] else f"{match[1]}@{domain}"
    try:
        return fields.normalise_email(cleaned)
    except ValueError as error:
        raise RowRejected(f"{name}: {error}") from None


@lru_cache(maxsize=DOMAIN_CACHE_SIZE)
def _checked_domain(domain: str) -> str:
    # special-use names (.local, .invalid…) and the rest of email-validator's domain rules
    return fields.normalise_email(f"postmaster@{domain}").partition("@")[2]


def json_object(value: Any, name: str) -> dict[str, Any]:
    """A JSON object as the API would take it: finite numbers, no NUL, bounded depth."""
    if not isinstance(value, dict):
        raise RowRejected(f"{name}: must be a JSON object")
    try:
        return _JSON_OBJECT.validate_python(value)
    except ValidationError as error:
        raise RowRejected(f"{name}: {error.errors()[0]['msg']}") from None


def key_name(column: str) -> str:
    """A column name compared with field names: ``Time Zone`` and ``time-zone`` → ``time_zone``."""
    return re.sub(r"[\s\-]+", "_", column.strip().lower())
