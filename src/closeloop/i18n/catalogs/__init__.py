"""Our texts, one module per language, each a flat mapping of key to text.

Plain Python data: nothing to compile, checked by mypy, and the unit tests hold every
language to the English key set and the same ``{placeholders}`` per key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from closeloop.i18n.catalogs import de, en, es, fr, pt

FALLBACK_LANGUAGE: Final = "en"
CATALOGS: Final[Mapping[str, Mapping[str, str]]] = {
    "en": en.MESSAGES,
    "es": es.MESSAGES,
    "de": de.MESSAGES,
    "fr": fr.MESSAGES,
    "pt": pt.MESSAGES,
}
