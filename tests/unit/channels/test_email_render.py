"""The invitation email: two parts, every score a link, the headers mail clients need."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from closeloop.channels.email import InvitationEmail, message_id, render
from closeloop.config import Settings
from closeloop.responses.tokens import Purpose, verify
from closeloop.surveys.models import SurveyKind

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
SECRET = "unit-test-secret-key-with-enough-entropy-0123456789"


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


BASE = InvitationEmail(
    invitation_id=41,
    to_email="ana@example.com",
    to_name="Ana Souza",
    first_name="Ana",
    kind=SurveyKind.NPS,
    product_name=None,
    question=None,
    email_subject=None,
)


def invitation(**overrides: Any) -> InvitationEmail:
    return replace(BASE, **overrides)


def parse(message: EmailMessage) -> EmailMessage:
    """What a receiving server gets: the bytes on the wire, parsed again."""
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def text_of(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    content = part.get_content()
    assert isinstance(content, str)
    return content


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.hrefs += [value for name, value in attrs if name == "href" and value]


def html_links(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def score_links(urls: list[str], settings: Settings) -> dict[int, int]:
    """score → invitation id, for every answer link, checking each token is genuine."""
    found = {}
    for url in urls:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == settings.base_url
        _, r, token, score = parts.path.split("/")
        assert r == "r"
        claims = verify(secret=SECRET, token=token, purpose=Purpose.ANSWER, now=NOW)
        found[int(score)] = claims.invitation_id
    return found


def test_a_multipart_alternative_message_with_text_then_html(settings: Settings) -> None:
    message = parse(render(settings=settings, invitation=invitation(), now=NOW))
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]


def test_the_question_names_the_person_and_the_product(settings: Settings) -> None:
    message = parse(render(settings=settings, invitation=invitation(), now=NOW))
    question = "Hi Ana, how likely are you to recommend FacturaPlus to a friend or colleague?"
    assert question in text_of(message, "plain")
    assert question in text_of(message, "html")


def test_without_a_name_the_greeting_is_plain(settings: Settings) -> None:
    message = render(
        settings=settings, invitation=invitation(to_name=None, first_name=None), now=NOW
    )
    assert text_of(message, "plain").startswith(
        "Hi, how likely are you to recommend FacturaPlus to a friend or colleague?"
    )
    assert message["To"] == "ana@example.com"


def test_the_survey_wording_and_product_win_over_the_defaults(settings: Settings) -> None:
    custom = invitation(
        product_name="Cargo Cloud",
        question="{name}, would you recommend {product} to other businesses?",
        email_subject="{name}, 10 seconds for {product}?",
    )
    message = parse(render(settings=settings, invitation=custom, now=NOW))
    assert message["Subject"] == "Ana, 10 seconds for Cargo Cloud?"
    assert "Ana, would you recommend Cargo Cloud to other businesses?" in text_of(message, "plain")


def test_eleven_score_links_in_both_parts(settings: Settings) -> None:
    message = parse(render(settings=settings, invitation=invitation(), now=NOW))
    links = html_links(text_of(message, "html"))
    answer_urls = [href for href in links.hrefs if "/r/u/" not in href]
    assert score_links(answer_urls, settings) == dict.fromkeys(range(11), 41)
    assert len(answer_urls) == 11
    text = text_of(message, "plain")
    text_urls = [
        word for word in text.split() if word.startswith("https://") and "/r/u/" not in word
    ]
    assert text_urls == answer_urls
    for part in (text, text_of(message, "html")):
        assert "Not at all likely" in part
        assert "Extremely likely" in part


def test_csat_has_its_own_scale_and_labels(settings: Settings) -> None:
    message = render(settings=settings, invitation=invitation(kind=SurveyKind.CSAT), now=NOW)
    html = text_of(message, "html")
    urls = [href for href in html_links(html).hrefs if "/r/u/" not in href]
    assert sorted(score_links(urls, settings)) == [1, 2, 3, 4, 5]
    assert "how satisfied are you with FacturaPlus?" in html
    assert "Very dissatisfied" in html and "Very satisfied" in html


def test_headers(settings: Settings) -> None:
    message = parse(render(settings=settings, invitation=invitation(), now=NOW))
    assert message["From"] == "FacturaPlus Team <surveys@facturaplus.test>"
    assert message["To"] == "Ana Souza <ana@example.com>"
    assert message["Subject"] == "A quick question about FacturaPlus"
    assert message["Date"].datetime == NOW
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://nps.facturaplus.test/r/u/") and unsubscribe.endswith(
        ">"
    )
    token = unsubscribe[1:-1].rsplit("/", 1)[1]
    claims = verify(secret=SECRET, token=token, purpose=Purpose.UNSUBSCRIBE, now=NOW)
    assert claims.invitation_id == 41
    assert claims.expires_at > NOW + timedelta(days=300)
    # the footer carries the same one-click link
    assert unsubscribe[1:-1] in html_links(text_of(message, "html")).hrefs
    assert unsubscribe[1:-1] in text_of(message, "plain")


def test_the_message_id_is_stable_per_invitation_and_opaque(settings: Settings) -> None:
    first = render(settings=settings, invitation=invitation(), now=NOW)
    again = render(settings=settings, invitation=invitation(), now=NOW + timedelta(hours=2))
    other = render(settings=settings, invitation=invitation(invitation_id=42), now=NOW)
    assert (
        first["Message-ID"]
        == again["Message-ID"]
        == message_id(settings=settings, invitation_id=41)
    )
    assert first["Message-ID"] != other["Message-ID"]
    assert first["Message-ID"].endswith("@facturaplus.test>")
    local_part = first["Message-ID"].removeprefix("<").split("@")[0]
    assert len(local_part) == 32 and int(local_part, 16) >= 0  # an HMAC, not the row id


def test_names_in_other_scripts_are_encoded_in_headers(settings: Settings) -> None:
    message = render(
        settings=settings,
        invitation=invitation(to_name="José Müller-Łukasz", first_name="José"),
        now=NOW,
    )
    raw = message.as_bytes()
    assert raw.isascii()
    parsed = parse(message)
    assert parsed["To"].addresses[0].display_name == "José Müller-Łukasz"
    assert "Hi José, how likely" in text_of(parsed, "plain")


def test_a_hostile_name_cannot_add_headers_or_markup(settings: Settings) -> None:
    name = 'Eve <script>alert(1)</script>\r\nBcc: all@example.com "'
    message = render(
        settings=settings, invitation=invitation(to_name=name, first_name=name), now=NOW
    )
    parsed = parse(message)
    assert parsed["Bcc"] is None
    assert parsed["To"].addresses[0].addr_spec == "ana@example.com"
    html = text_of(parsed, "html")
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_the_html_is_built_for_mail_clients(settings: Settings) -> None:
    html = text_of(render(settings=settings, invitation=invitation(), now=NOW), "html")
    tags = html_links(html).tags
    assert {"img", "script", "link", "style", "iframe", "form"}.isdisjoint(tags)
    assert "table" in tags
    assert 'name="color-scheme" content="light dark"' in html


def test_the_raw_source_keeps_lines_short_enough_for_smtp(settings: Settings) -> None:
    raw = render(settings=settings, invitation=invitation(), now=NOW).as_bytes()
    assert raw.isascii()
    assert max(len(line) for line in raw.splitlines()) <= 998
