"""What a survey says to one person. Pure: templates and values in, text out.

Wording is written by people in the dashboard or the API, so placeholders are filled
narrowly: only ``{name}`` and ``{product}``, in one pass (a name that itself contains
``{product}`` stays as typed), never through ``str.format`` (which would let a template
reach attributes such as ``{product.__class__}``). Control characters and runs of
whitespace in the values are collapsed, so a name cannot break an email header.

The defaults (our questions and subject, in the respondent's language) are templates
like any other: they come from ``closeloop.i18n`` and are filled here the same way.
"""

from __future__ import annotations

import re

PLACEHOLDERS = frozenset({"name", "product"})
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NAME_GAP = re.compile(r"[ \t]*\{name\}")
_LEADING_PUNCTUATION = re.compile(r"^[\s,;:.!-]+")
# no-break spaces are kept: French puts one before "?" so the mark never starts a line
_WHITESPACE = re.compile(r"(?:[^\S\u00a0\u202f]|[\x00-\x1f\x7f])+")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def clean(value: str | None) -> str:
    """One line of text: control characters and runs of breaking whitespace become one space."""
    return _WHITESPACE.sub(" ", value or "").strip()


def unknown_placeholders(template: str) -> list[str]:
    """The ``{…}`` placeholders in a template that we would not fill, in order."""
    found = (match.group(1) for match in _PLACEHOLDER.finditer(template))
    return [name for name in dict.fromkeys(found) if name not in PLACEHOLDERS]


def fill(template: str, *, name: str | None, product: str) -> str:
    """The template with ``{name}`` and ``{product}`` filled; no name drops the gap.

    "Hi {name}, how likely…" becomes "Hi Ana, how likely…", or "Hi, how likely…" when we
    do not know the name; a sentence that starts with the name starts with what follows.
    """
    name = clean(name)
    if not name:
        template = _NAME_GAP.sub("", template)
        stripped = _LEADING_PUNCTUATION.sub("", template)
        if stripped != template:
            template = stripped[:1].upper() + stripped[1:]
    values = {"name": name, "product": clean(product)}
    return clean(
        _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), template)
    )
