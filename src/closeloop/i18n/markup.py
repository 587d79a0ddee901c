"""Our texts for HTML: isolated in their own direction when the page runs the other way.

A right-to-left person whose language we do not ship reads our English fallback on a
mirrored page. Set right to left, "Thanks, Ana! You answered 3." shows its full stop on
the wrong side; so each of our texts is wrapped in ``<span dir="ltr">`` (an isolate): it
reads left to right while its block stays aligned with the page. On every other page a
text is returned as it is, and Jinja escapes it like any other value.
"""

from __future__ import annotations

import datetime

from markupsafe import Markup

from closeloop.i18n.locales import Direction, direction
from closeloop.i18n.texts import Texts


class HtmlTexts:
    """``Texts`` for HTML templates: ``t("thanks.heading")`` as text or as an isolate."""

    def __init__(self, texts: Texts) -> None:
        self.texts = texts
        own = direction(texts.locale.language)
        self._isolate_as: Direction | None = None if own == texts.locale.direction else own

    def __call__(self, key: str, /, **values: str | int) -> str | Markup:
        return self.isolate(self.texts(key, **values))

    def isolate(self, text: str) -> str | Markup:
        """One of our texts, wrapped when its direction is not the page's; escaped either way."""
        if self._isolate_as is None:
            return text
        return Markup('<span dir="{}">{}</span>').format(self._isolate_as, text)

    def date(self, day: datetime.date) -> str:
        return self.texts.date(day)

    def number(self, value: int) -> str:
        return self.texts.number(value)
