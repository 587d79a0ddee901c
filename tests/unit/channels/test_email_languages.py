"""The invitation email in the person's language: our words translated, theirs kept."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from closeloop.channels.email import render
from closeloop.config import Settings
from closeloop.surveys.models import SurveyKind
from tests.unit.channels.test_email_render import BASE, NOW, SECRET, parse, text_of


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        secret_key=SECRET,
        base_url="https://nps.facturaplus.test",
        from_email="surveys@facturaplus.test",
        from_name="FacturaPlus Team",
        product_name="FacturaPlus",
    )


def test_a_german_contact_gets_a_german_email(settings: Settings) -> None:
    message = parse(render(settings=settings, invitation=replace(BASE, locales=("de",)), now=NOW))
    assert message["Subject"] == "Eine kurze Frage zu FacturaPlus"
    assert message["Content-Language"] == "de"
    html, text = text_of(message, "html"), text_of(message, "plain")
    question = (
        "Hallo Ana, wie wahrscheinlich ist es, dass Sie FacturaPlus einem Freund oder "
        "Kollegen empfehlen würden?"
    )
    for part in (html, text):
        assert question in part
        assert "Überhaupt nicht wahrscheinlich" in part and "Äußerst wahrscheinlich" in part
        assert "Ein Klick speichert Ihre Antwort" in part
        assert "Sie erhalten diese E-Mail, weil FacturaPlus Team Kundinnen und Kunden" in part
        assert "likely" not in part and "Unsubscribe" not in part
    assert "Klicken Sie auf die Zahl, die am besten passt (0 = Überhaupt" in text
    assert "Mit einem Klick abmelden: https://nps.facturaplus.test/r/u/" in text
    assert re.search(r'<a href="https://nps\.facturaplus\.test/r/u/[^"]+"[^>]*>Abmelden</a>', html)
    assert '<html lang="de" dir="ltr">' in html


@pytest.mark.parametrize(
    ("locales", "subject", "language"),
    [
        (("pt-BR",), "Uma pergunta rápida sobre FacturaPlus", "pt-BR"),
        (("es-MX",), "Una pregunta rápida sobre FacturaPlus", "es-MX"),
        (("fr",), "Une petite question sur FacturaPlus", "fr"),
        (("xx",), "A quick question about FacturaPlus", "en"),
        (("xx", "es"), "Una pregunta rápida sobre FacturaPlus", "es"),
        ((), "A quick question about FacturaPlus", "en"),
    ],
)
def test_the_language_falls_back_from_region_to_language_to_english(
    settings: Settings, locales: tuple[str, ...], subject: str, language: str
) -> None:
    message = parse(render(settings=settings, invitation=replace(BASE, locales=locales), now=NOW))
    assert message["Subject"] == subject
    assert message["Content-Language"] == language
    assert f'<html lang="{language}" dir="ltr">' in text_of(message, "html")


def test_without_a_language_of_their_own_people_get_the_workspace_default(
    settings: Settings,
) -> None:
    french = settings.model_copy(update={"default_locale": "fr"})
    message = parse(render(settings=french, invitation=BASE, now=NOW))
    assert message["Subject"] == "Une petite question sur FacturaPlus"
    assert "Bonjour Ana, quelle est la probabilité" in text_of(message, "plain")


def test_the_default_locale_setting_must_be_a_language_tag(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path, default_locale="pt_br").default_locale == "pt-BR"
    with pytest.raises(ValueError, match="BCP 47"):
        Settings(data_dir=tmp_path, default_locale="portuguese please")


@pytest.mark.parametrize(
    ("kind", "question", "low", "high"),
    [
        (SurveyKind.CSAT, "Hola, ¿cuál es su grado de satisfacción", "Muy insatisfecho", None),
        (SurveyKind.CES, "Hola, ¿hasta qué punto le resultó fácil", "Muy difícil", "Muy fácil"),
    ],
)
def test_every_survey_kind_is_translated(
    settings: Settings, kind: SurveyKind, question: str, low: str, high: str | None
) -> None:
    nameless = replace(BASE, kind=kind, locales=("es",), first_name=None, to_name=None)
    text = text_of(parse(render(settings=settings, invitation=nameless, now=NOW)), "plain")
    assert text.startswith(question)
    assert low in text and (high is None or high in text)


def test_a_surveys_own_wording_is_sent_as_written(settings: Settings) -> None:
    custom = replace(
        BASE,
        locales=("de",),
        question="{name}, would you recommend {product}?",
        email_subject="Ten seconds for {product}?",
    )
    message = parse(render(settings=settings, invitation=custom, now=NOW))
    assert message["Subject"] == "Ten seconds for FacturaPlus?"
    text = text_of(message, "plain")
    assert text.startswith("Ana, would you recommend FacturaPlus?")
    assert "Mit einem Klick abmelden:" in text, "the frame around it is still German"


def test_a_right_to_left_language_turns_the_layout_around(settings: Settings) -> None:
    message = parse(render(settings=settings, invitation=replace(BASE, locales=("ar",)), now=NOW))
    html = text_of(message, "html")
    assert '<html lang="en" dir="rtl">' in html, "English words, laid out right to left"
    assert '<body dir="rtl"' in html
    assert (
        '<td align="right" style="font-family:Helvetica, Arial, sans-serif; font-size:13px;'
        in (html.split("0 = Not at all likely")[0])
    ), "the lowest score's label sits on the right"
    assert message["Content-Language"] == "en"
    assert '<span dir="ltr">One click records your answer;' in html, "English reads left to right"
    assert "<span" not in text_of(message, "plain")


def test_french_keeps_its_no_break_spaces_through_the_wording(settings: Settings) -> None:
    message = parse(render(settings=settings, invitation=replace(BASE, locales=("fr",)), now=NOW))
    assert "à un ami ou à un collègue\u00a0?" in text_of(message, "plain")
