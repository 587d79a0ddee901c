"""Delighted's person properties: which become traits, which steer the survey. Pure.

In Delighted, ``properties`` were the person's attributes for segmenting answers, except a
few "special properties" that changed that one survey: the product named in the question,
the email's subject, the thank-you page, the language. Ordinary properties become
closeloop traits. Special ones belong to the survey asked for, so they travel on the
invitation's ``context`` under closeloop's own names (``product_name``, ``email_subject``,
``thank_you_*``), which the email and the thank-you page read whoever scheduled the
invitation; the originals are kept there too, so nothing sent is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from closeloop.contacts.fields import normalise_locale
from closeloop.errors import InvalidInput

# Delighted's name → the invitation context key the product reads (None: kept, not used)
SPECIAL_PROPERTIES: Final[Mapping[str, str | None]] = {
    "question_product_name": "product_name",
    "delighted_email_subject": "email_subject",
    "thank_you_message": "thank_you_message",
    "thank_you_link_text": "thank_you_link_text",
    "thank_you_link_url": "thank_you_link_url",
    "thank_you_link": "thank_you_link_url",
    "locale": "locale",
    "delighted_intro_message": None,
    "delighted_intended_send_time": None,
}
MAX_LENGTHS: Final[Mapping[str, int]] = {
    "product_name": 255,
    "email_subject": 255,
    "thank_you_link_text": 255,
    "locale": 35,
}
MAX_TEXT_LENGTH: Final = 2_000
# where the original special properties are kept on the invitation context
ORIGINALS_KEY: Final = "delighted_properties"


@dataclass(frozen=True)
class SortedProperties:
    """A request's properties, sorted by what closeloop does with them."""

    # stored on the person (merged into their traits)
    traits: dict[str, Any]
    # the person's language, normalised (``pt_br`` → ``pt-BR``), when one was given
    locale: str | None
    # what the invitation keeps: closeloop's wording hooks plus the originals
    context: dict[str, Any]


def sort(properties: Mapping[str, Any]) -> SortedProperties:
    """Split ``properties`` into traits and the survey's special properties.

    A special property must be text (a number is taken as its digits); a thank-you link
    must be an http(s) URL, since it is shown to respondents as a link.
    """
    traits: dict[str, Any] = {}
    hooks: dict[str, str] = {}
    originals: dict[str, str] = {}
    for name, value in properties.items():
        if name not in SPECIAL_PROPERTIES:
            traits[name] = value
            continue
        if value is None or value == "":
            continue
        text = _text(name, value)
        originals[name] = text
        hook = SPECIAL_PROPERTIES[name]
        if hook is not None:
            hooks[hook] = _checked(name, hook, text)
    context: dict[str, Any] = dict(hooks)
    if originals:
        context[ORIGINALS_KEY] = originals
    return SortedProperties(traits=traits, locale=hooks.get("locale"), context=context)


def _text(name: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput("must be text", field=f"properties.{name}")
    text = str(value).strip()
    if "\x00" in text:
        raise InvalidInput("must not contain the NUL character", field=f"properties.{name}")
    return text


def _checked(name: str, hook: str, text: str) -> str:
    field = f"properties.{name}"
    limit = MAX_LENGTHS.get(hook, MAX_TEXT_LENGTH)
    if len(text) > limit:
        raise InvalidInput(f"is too long (at most {limit} characters)", field=field)
    if hook == "locale":
        try:
            return normalise_locale(text)
        except ValueError as error:
            raise InvalidInput(str(error), field=field) from None
    if hook == "thank_you_link_url":
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInput("must be an http:// or https:// URL", field=field)
    return text
