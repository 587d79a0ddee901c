"""Every built-in text exists in every language we ship, with the same placeholders."""

from __future__ import annotations

import re

import pytest

from closeloop.i18n.catalogs import CATALOGS, FALLBACK_LANGUAGE
from closeloop.i18n.texts import placeholders
from closeloop.surveys.models import SurveyKind

ENGLISH = CATALOGS[FALLBACK_LANGUAGE]
TRANSLATIONS = sorted(set(CATALOGS) - {FALLBACK_LANGUAGE})
# texts that may read the same as in English (month names such as "April", "August")
MAY_MATCH_ENGLISH = re.compile(r"month\.\d+|date\..+|number\..+")


def test_we_ship_the_five_languages_of_the_issue() -> None:
    assert set(CATALOGS) == {"en", "es", "de", "fr", "pt"}


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_every_language_has_exactly_the_english_keys(language: str) -> None:
    catalog = CATALOGS[language]
    assert sorted(set(ENGLISH) - set(catalog)) == [], "missing"
    assert sorted(set(catalog) - set(ENGLISH)) == [], "not in English"


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_placeholders_are_the_same_in_every_language(language: str) -> None:
    different = {
        key: (placeholders(ENGLISH[key]), placeholders(text))
        for key, text in CATALOGS[language].items()
        if placeholders(text) != placeholders(ENGLISH[key])
    }
    assert different == {}


@pytest.mark.parametrize("language", sorted(CATALOGS))
def test_texts_are_clean_single_lines(language: str) -> None:
    for key, text in CATALOGS[language].items():
        if key == "number.group_separator":
            continue  # a space, for French
        assert text.strip() == text and text, key
        assert "\n" not in text and "  " not in text, key
        # braces only as placeholders: a stray one would reach the respondent as typed
        assert re.sub(r"\{[a-z_]+\}", "", text).count("{") == 0, key
        assert "}" not in re.sub(r"\{[a-z_]+\}", "", text), key


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translations_are_translated_not_copied(language: str) -> None:
    copied = [
        key
        for key, text in CATALOGS[language].items()
        if text == ENGLISH[key] and not MAY_MATCH_ENGLISH.fullmatch(key)
    ]
    assert copied == []


@pytest.mark.parametrize("language", sorted(CATALOGS))
@pytest.mark.parametrize("kind", list(SurveyKind))
def test_every_survey_kind_has_its_questions_and_scale_labels(
    language: str, kind: SurveyKind
) -> None:
    catalog = CATALOGS[language]
    assert placeholders(catalog[f"{kind}.question"]) == {"product"}
    assert placeholders(catalog[f"{kind}.email_question"]) == {"name", "product"}
    assert catalog[f"{kind}.low"] != catalog[f"{kind}.high"]


@pytest.mark.parametrize("language", sorted(CATALOGS))
def test_the_email_greeting_comes_first_so_a_missing_name_drops_cleanly(language: str) -> None:
    """``wording.fill`` drops "{name}" and its space: "Hallo {name}, wie" → "Hallo, wie"."""
    for kind in SurveyKind:
        assert re.match(r"\w+ \{name\}, ", CATALOGS[language][f"{kind}.email_question"])


def test_french_typography() -> None:
    """A no-break space before ``? ! : ;`` (never alone at a line's start), and ’ not '."""
    for key, text in CATALOGS["fr"].items():
        assert not re.search(r"(?: |\w)[?!:;]", text), key
        assert "'" not in text, key
