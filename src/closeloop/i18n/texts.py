"""Our texts in one respondent's language, with their dates and numbers. Pure.

A text's ``{placeholders}`` are filled by name in one pass: a value is never read as a
template itself, and a missing value is a bug we want to hear about (``KeyError``), not
a ``{name}`` shown to a customer. Escaping is the caller's: Jinja autoescapes the pages
and the email's HTML part.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping

from closeloop.i18n.catalogs import CATALOGS
from closeloop.i18n.locales import Locale

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def placeholders(text: str) -> frozenset[str]:
    """The names a text expects to be filled in."""
    return frozenset(PLACEHOLDER.findall(text))


class Texts:
    """The built-in texts of one language: ``texts("thanks.heading_named", name="Ana")``."""

    def __init__(self, locale: Locale) -> None:
        self.locale = locale
        self._messages: Mapping[str, str] = CATALOGS[locale.language]

    def __call__(self, key: str, /, **values: str | int) -> str:
        return PLACEHOLDER.sub(lambda match: str(values[match[1]]), self._messages[key])

    def template(self, key: str) -> str:
        """The text with its placeholders unfilled, for wording that fills its own."""
        return self._messages[key]

    def question(self, kind: str) -> str:
        """The default question of a survey kind (``nps``), as a ``{product}`` template."""
        return self.template(f"{kind}.question")

    def email_question(self, kind: str) -> str:
        """The default question as the email asks it: ``{name}`` greeted first."""
        return self.template(f"{kind}.email_question")

    def scale_ends(self, kind: str) -> tuple[str, str]:
        """The words under the lowest and the highest score of a survey kind."""
        return self._messages[f"{kind}.low"], self._messages[f"{kind}.high"]

    def date(self, day: datetime.date) -> str:
        """A date as people write it in this language: ``3 March 2026``, ``3. März 2026``."""
        number = self("date.first_day") if day.day == 1 else str(day.day)
        return self("date.format", day=number, month=self(f"month.{day.month}"), year=day.year)

    def number(self, value: int) -> str:
        """A whole number with this language's thousands separator: ``5,000``, ``5.000``."""
        return f"{value:,}".replace(",", self("number.group_separator"))
