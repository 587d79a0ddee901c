"""Which language a respondent gets. Pure: language tags in, a ``Locale`` out.

We ship catalogs per language (``es``), not per region, so a tag is matched the RFC 4647
"lookup" way: ``es-MX`` tries ``es-MX``, then ``es``. The person's own choices are tried
in order (their contact record, then the request that asked them); when none has a
catalog, the workspace default serves, and English when even that has none.

Direction follows the person, not the catalog: someone whose language is Arabic gets a
right-to-left page even while its built-in texts fall back to English, because the
survey's own wording may well be written in Arabic.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

from closeloop.contacts.fields import normalise_locale
from closeloop.i18n.catalogs import CATALOGS, FALLBACK_LANGUAGE

Direction = Literal["ltr", "rtl"]

# languages written right to left, and the scripts that decide when a tag names one
RTL_LANGUAGES = frozenset({"ar", "he", "iw", "fa", "ur", "ps", "sd", "ug", "yi", "dv", "ckb"})
RTL_SCRIPTS = frozenset({"Arab", "Hebr", "Syrc", "Thaa", "Nkoo", "Adlm"})
# an Accept-Language header names a handful of languages; more is noise or abuse
MAX_ACCEPTED_LANGUAGES = 20
_QUALITY = re.compile(r"q\s*=\s*(?P<value>[01](?:\.[0-9]{0,3})?)", re.IGNORECASE)


@dataclass(frozen=True)
class Locale:
    """The language a page or an email is written in, and its direction."""

    # for ``<html lang>`` and Content-Language: the person's tag when its language is
    # the catalog's (``pt-BR``), else the catalog's own (``en``)
    tag: str
    # the catalog that supplies the texts
    language: str
    direction: Direction


ENGLISH = Locale(tag=FALLBACK_LANGUAGE, language=FALLBACK_LANGUAGE, direction="ltr")


def canonical(tag: str | None) -> str | None:
    """The tag in its canonical spelling (``pt_br`` → ``pt-BR``), or None if it is not one."""
    if not tag:
        return None
    try:
        return normalise_locale(tag)
    except ValueError:
        return None


def direction(tag: str) -> Direction:
    """``rtl`` for a right-to-left language or script (``ar``, ``he``, ``az-Arab``)."""
    subtags = tag.split("-")
    scripts = [part for part in subtags[1:] if len(part) == 4 and part.isalpha()]
    if scripts:
        return "rtl" if scripts[0] in RTL_SCRIPTS else "ltr"
    return "rtl" if subtags[0] in RTL_LANGUAGES else "ltr"


def catalog_for(tag: str, available: Collection[str] = CATALOGS.keys()) -> str | None:
    """The catalog serving a canonical tag: the longest prefix we have (``es-MX`` → ``es``)."""
    subtags = tag.split("-")
    for length in range(len(subtags), 0, -1):
        candidate = "-".join(subtags[:length])
        if candidate in available:
            return candidate
    return None


def negotiate(
    preferences: Iterable[str | None],
    *,
    default: str,
    available: Collection[str] = CATALOGS.keys(),
) -> Locale:
    """The first preference we have a catalog for; else the default's, else English.

    ``preferences`` are the person's tags, first choice first; empty or malformed ones
    are skipped. ``default`` is the workspace's language.
    """
    chosen = [tag for tag in map(canonical, preferences) if tag is not None]
    for tag in chosen:
        language = catalog_for(tag, available)
        if language is not None:
            return Locale(tag=tag, language=language, direction=direction(tag))
    fallback = canonical(default)
    language = catalog_for(fallback, available) if fallback else None
    own = chosen[0] if chosen else fallback
    writing: Direction = direction(own) if own else "ltr"
    if fallback is None or language is None:
        return Locale(tag=FALLBACK_LANGUAGE, language=FALLBACK_LANGUAGE, direction=writing)
    return Locale(tag=fallback, language=language, direction=writing)


def accept_language(header: str | None) -> list[str]:
    """The tags of an ``Accept-Language`` header, most wanted first (q=0 and ``*`` dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "").split(",")[:MAX_ACCEPTED_LANGUAGES]):
        tag, _, parameters = item.partition(";")
        tag = tag.strip()
        quality = 1.0
        match = _QUALITY.search(parameters)
        if match is not None:
            quality = float(match["value"])
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]
