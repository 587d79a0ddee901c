"""The respondent pages speak the person's language, the same as their email did."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from closeloop.api.app import create_app
from closeloop.clock import FrozenClock
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.runtime import Runtime
from closeloop.surveys.models import SurveyKind
from tests.integration.responses import factories


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), follow_redirects=False) as client:
        yield client


def _invitation(
    runtime: Runtime,
    *,
    locale: str | None,
    context: dict[str, Any] | None = None,
    kind: SurveyKind | None = None,
    state: InvitationState = InvitationState.SENT,
) -> int:
    """A sent invitation to Ana, whose contact record names ``locale``."""
    now = runtime.clock.now()
    with runtime.transaction() as session:
        contact = factories.contact(session, now=now)
        contact.locale = locale
        survey = factories.survey(session, now=now, key=kind.value, kind=kind) if kind else None
        row = factories.invitation(
            session, now=now, contact_row=contact, survey_row=survey, state=state
        )
        row.context = context or {}
        return row.id


def _language(page: httpx.Response) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', page.text)
    assert match is not None, page.text[:200]
    return match[1], match[2]


def test_a_german_contact_answers_on_german_pages(client: TestClient, runtime: Runtime) -> None:
    invitation_id = _invitation(runtime, locale="de")
    token = factories.token_for(runtime, invitation_id)

    page = client.get(f"/r/{token}/8")
    assert page.status_code == 200
    assert _language(page) == ("de", "ltr")
    for text in (
        "Danke, Ana! Sie haben mit 8 geantwortet.",
        "Wie wahrscheinlich ist es, dass Sie FacturaPlus einem Freund oder Kollegen",
        "Ihre Bewertung (Sie können sie ändern)",
        "0 = Überhaupt nicht wahrscheinlich",
        "10 = Äußerst wahrscheinlich",
        "Was ist der wichtigste Grund für Ihre Bewertung?",
        "Optional, bis zu 5.000 Zeichen.",
        ">Senden</button>",
        "Sie können Ihre Antwort bis zum 10. März 2026 ändern.",
        "Bereitgestellt mit closeloop",
    ):
        assert text in page.text, text

    too_long = client.post(f"/r/{token}", data={"comment": "w" * 5_001, "score": "8"})
    assert too_long.status_code == 400
    assert "Ihr Kommentar ist länger als 5.000 Zeichen." in too_long.text

    saved = client.post(f"/r/{token}", data={"comment": "Schnell", "score": "9"})
    thanks = client.get(saved.headers["location"])
    assert _language(thanks) == ("de", "ltr")
    assert "Vielen Dank, Ana!" in thanks.text
    assert "Wir haben Ihre Antwort erhalten: <strong>9</strong>" in thanks.text
    assert "Antwort ändern</a> (bis zum 10. März 2026)." in thanks.text


def test_once_final_the_answer_is_shown_in_the_persons_language(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    token = factories.token_for(runtime, _invitation(runtime, locale="fr-CA"))
    client.get(f"/r/{token}/9")
    clock.advance(days=runtime.settings.answer_window_days)

    page = client.get(f"/r/{token}")
    assert _language(page) == ("fr-CA", "ltr")
    assert "Merci, Ana\u00a0! Vous avez répondu 9 le 3 mars 2026." in page.text
    assert "ne peut plus être modifiée" in page.text

    again = client.get(f"/r/{token}/2")
    assert again.status_code == 410
    assert _language(again) == ("fr-CA", "ltr")
    assert "<h1>Votre réponse est définitive</h1>" in again.text


def test_unsubscribing_in_portuguese(client: TestClient, runtime: Runtime) -> None:
    invitation_id = _invitation(runtime, locale="pt-BR")
    path = factories.unsubscribe_path(runtime, invitation_id)
    page = client.get(path)
    assert _language(page) == ("pt-BR", "ltr")
    assert "<h1>Deixar de receber pesquisas?</h1>" in page.text
    assert f"Você não receberá mais pesquisas de {runtime.settings.workspace_name}." in page.text
    assert ">Cancelar inscrição</button>" in page.text

    done = client.post(path)
    assert done.status_code == 200
    assert _language(done) == ("pt-BR", "ltr")
    assert "<h1>Sua inscrição foi cancelada</h1>" in done.text
    assert "Obrigado pelas respostas que você nos deu." in done.text


@pytest.mark.parametrize(
    ("locale", "context", "language", "heading"),
    [
        # the contact has no language: the request that asked them names one
        (None, {"locale": "es-MX"}, ("es-MX", "ltr"), "¡Gracias, Ana! Su respuesta: 7."),
        # the contact's own language comes first
        ("de", {"locale": "es"}, ("de", "ltr"), "Danke, Ana! Sie haben mit 7 geantwortet."),
        # a language we do not ship: the contact's request, then English
        ("it", {"locale": "pt"}, ("pt", "ltr"), "Obrigado, Ana! Você respondeu 7."),
        ("xx", None, ("en", "ltr"), "Thanks, Ana! You answered 7."),
        (None, None, ("en", "ltr"), "Thanks, Ana! You answered 7."),
    ],
)
def test_the_language_comes_from_the_contact_then_the_request(
    client: TestClient,
    runtime: Runtime,
    locale: str | None,
    context: dict[str, Any] | None,
    language: tuple[str, str],
    heading: str,
) -> None:
    token = factories.token_for(runtime, _invitation(runtime, locale=locale, context=context))
    page = client.get(f"/r/{token}/7")
    assert _language(page) == language
    assert f"<h1>{heading}</h1>" in page.text


def test_the_workspace_default_serves_people_without_a_language(
    runtime: Runtime, clock: FrozenClock
) -> None:
    settings = runtime.settings.model_copy(update={"default_locale": "es"})
    spanish = Runtime.create(settings, clock=clock)
    try:
        token = factories.token_for(spanish, _invitation(spanish, locale=None))
        with TestClient(create_app(spanish)) as client:
            page = client.get(f"/r/{token}")
        assert _language(page) == ("es", "ltr")
        assert "¿Qué probabilidad hay de que recomiende FacturaPlus a un amigo o colega?" in (
            page.text
        )
    finally:
        spanish.close()


def test_each_kind_asks_its_own_question_and_labels_its_scale(
    client: TestClient, runtime: Runtime
) -> None:
    token = factories.token_for(runtime, _invitation(runtime, locale="es", kind=SurveyKind.CES))
    page = client.get(f"/r/{token}")
    assert "¿Hasta qué punto le resultó fácil obtener lo que necesitaba de" in page.text
    assert "1 = Muy difícil" in page.text and "7 = Muy fácil" in page.text


def test_error_pages_for_a_known_person_speak_their_language(
    client: TestClient, runtime: Runtime
) -> None:
    closed = _invitation(runtime, locale="de", state=InvitationState.CANCELLED)
    page = client.get(f"/r/{factories.token_for(runtime, closed)}/9")
    assert page.status_code == 410
    assert _language(page) == ("de", "ltr")
    assert "<h1>Diese Umfrage ist beendet</h1>" in page.text

    bad_score = client.get(
        f"/r/{factories.token_for(runtime, _invitation(runtime, locale='de'))}/11"
    )
    assert bad_score.status_code == 400
    assert "<h1>Etwas stimmt nicht</h1>" in bad_score.text
    assert "Bitte klicken Sie auf eine der Zahlen in der E-Mail." in bad_score.text


def test_a_link_that_names_no_one_is_answered_in_the_browsers_language(
    client: TestClient,
) -> None:
    page = client.get("/r/not-a-token/8", headers={"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.8"})
    assert page.status_code == 404
    assert _language(page) == ("fr-CH", "ltr")
    assert "<h1>Ce lien n’est pas valide</h1>" in page.text

    english = client.get("/r/not-a-token/8", headers={"Accept-Language": "xx, *;q=0.1"})
    assert _language(english) == ("en", "ltr")
    assert "<h1>This link is not valid</h1>" in english.text


def test_an_expired_link_is_answered_in_the_browsers_language(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    token = factories.token_for(runtime, _invitation(runtime, locale="de"))
    clock.advance(days=runtime.settings.token_ttl_days, seconds=1)
    page = client.get(f"/r/{token}/9", headers={"Accept-Language": "es"})
    assert page.status_code == 410
    assert "<h1>Este enlace ha caducado</h1>" in page.text


# right to left


LOGICAL_ONLY = re.compile(
    r"(?:margin|padding|border)-(?:left|right)|text-align:\s*(?:left|right)|float:\s*(?:left|right)"
    r"|\b(?:left|right):"
)


@pytest.mark.parametrize("locale", ["ar", "he", "fa-IR", "ur"])
def test_a_right_to_left_person_gets_mirrored_pages_with_english_texts(
    client: TestClient, runtime: Runtime, locale: str
) -> None:
    invitation_id = _invitation(runtime, locale=locale)
    token = factories.token_for(runtime, invitation_id)
    pages = [
        client.get(f"/r/{token}/6"),
        client.get(f"/r/{token}/thanks"),
        client.get(factories.unsubscribe_path(runtime, invitation_id)),
        client.get(f"/r/{token}/99"),
    ]
    for page in pages:
        assert _language(page) == ("en", "rtl"), page.url
    # our English reads left to right inside the mirrored blocks, its "!" where it belongs
    assert '<h1><span dir="ltr">Thanks, Ana! You answered 6.</span></h1>' in pages[0].text
    assert '<span>0 = <span dir="ltr">Not at all likely</span></span>' in pages[0].text
    assert '<h1><span dir="ltr">Something is not right</span></h1>' in pages[3].text
    assert "<title>Something is not right</title>" in pages[3].text, "the tab title is text"


def test_the_respondent_css_uses_logical_properties_so_it_mirrors(
    client: TestClient, runtime: Runtime
) -> None:
    token = factories.token_for(runtime, _invitation(runtime, locale="ar"))
    page = client.get(f"/r/{token}/6")
    (css,) = re.findall(r"<style>(.*?)</style>", page.text, re.DOTALL)
    assert LOGICAL_ONLY.search(css) is None
    assert "border-inline-start" in css


def test_words_people_wrote_take_their_own_direction(client: TestClient, runtime: Runtime) -> None:
    """A survey written in Arabic reads right to left inside an English page, and back."""
    invitation_id = _invitation(runtime, locale=None)
    with runtime.transaction() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None
        invitation.survey.question = "ما مدى احتمال أن توصي بـ {product}؟"
    token = factories.token_for(runtime, invitation_id)
    client.get(f"/r/{token}/4")
    client.post(f"/r/{token}", data={"comment": "ممتاز"})
    page = client.get(f"/r/{token}")
    assert '<p class="muted"><bdi>ما مدى احتمال أن توصي بـ FacturaPlus؟</bdi></p>' in page.text
    thanks = client.get(f"/r/{token}/thanks")
    assert '<blockquote dir="auto">ممتاز</blockquote>' in thanks.text
    assert 'dir="auto"' in page.text.split('<textarea id="comment"')[1].split(">")[0]
