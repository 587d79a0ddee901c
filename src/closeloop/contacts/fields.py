"""How contact fields are written down: one spelling per address, locale and zone.

Pure: strings in, strings out (or ``ValueError`` saying why not). Normalising on the way
in is what makes ``Ana@Example.com`` and ``ana@example.com `` the same person, and lets
the send-window code trust that a stored time zone exists.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

from email_validator import EmailNotValidError, validate_email

MAX_EMAIL_LENGTH = 320
MAX_LOCALE_LENGTH = 35
EMAIL_CACHE_SIZE = 16_384

_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")
_PHONE = re.compile(r"\+?[0-9]{4,20}")
# BCP 47 tags as people use them: language[-script][-region](-variant)*, where the
# language is an ISO 639 code (no 5–8 letter language subtag has ever been registered)
_LOCALE = re.compile(
    r"(?P<language>[a-z]{2,3})"
    r"(?:-(?P<script>[a-z]{4}))?"
    r"(?:-(?P<region>[a-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*)",
    re.IGNORECASE,
)


def normalise_email(value: str) -> str:
    """Trimmed, lower-cased and syntactically valid; deliverability is not checked.

    The ``.test`` domain is accepted (``test_environment``) so that development setups
    with a local mail sink work; other reserved names such as ``.local`` are not.
    """
    candidate = value.strip()
    if len(candidate) > MAX_EMAIL_LENGTH:
        raise ValueError(f"an email address has at most {MAX_EMAIL_LENGTH} characters")
    return _checked_email(candidate)


@lru_cache(maxsize=EMAIL_CACHE_SIZE)
def _checked_email(candidate: str) -> str:
    # email-validator takes ~25 µs an address; a batch of events names the same people
    # again and again, so the answer is remembered (a pure function: safe to forget)
    try:
        checked = validate_email(candidate, check_deliverability=False, test_environment=True)
    except EmailNotValidError as error:
        raise ValueError(f"not a valid email address: {error}") from None
    return checked.normalized.lower()


def normalise_phone(value: str) -> str:
    """Digits with an optional leading ``+``; spaces, dots, dashes and brackets dropped."""
    compact = _PHONE_PUNCTUATION.sub("", value)
    if not _PHONE.fullmatch(compact):
        raise ValueError("a phone number is 4–20 digits, optionally starting with +")
    return compact


def normalise_locale(value: str) -> str:
    """A BCP 47 tag in its canonical case: ``pt_br`` → ``pt-BR``, ``zh-hant`` → ``zh-Hant``."""
    candidate = value.strip().replace("_", "-")
    match = _LOCALE.fullmatch(candidate)
    if match is None or len(candidate) > MAX_LOCALE_LENGTH:
        raise ValueError("not a BCP 47 language tag such as 'en', 'pt-BR' or 'zh-Hant-TW'")
    parts = [match["language"].lower()]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    if match["variants"]:
        parts.append(match["variants"].strip("-").lower())
    return "-".join(parts)


@cache
def _zones_by_lower_name() -> dict[str, str]:
    # the installed IANA database, read once per process
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def normalise_time_zone(value: str) -> str:
    """An IANA zone name in its canonical spelling (``europe/madrid`` → ``Europe/Madrid``)."""
    name = _zones_by_lower_name().get(value.strip().lower())
    if name is None:
        raise ValueError("not an IANA time zone such as 'Europe/Madrid' or 'America/New_York'")
    return name


def merge_traits(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A new traits dict: ``changes`` set keys, a ``None`` value removes one.

    Only the top level merges; a nested object is replaced whole, so a caller can
    always say exactly what a trait holds.
    """
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
