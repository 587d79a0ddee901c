"""The multipart boundary is ours (fixed per message), so no text may ever break it."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from closeloop.channels.email import InvitationEmail, render
from closeloop.config import Settings
from closeloop.surveys.models import SurveyKind

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        secret_key="unit-test-secret-key-with-enough-entropy-0123456789",
        base_url="https://nps.facturaplus.test",
        from_email="surveys@facturaplus.test",
        product_name="FacturaPlus",
    )


def _invitation(question: str | None = None) -> InvitationEmail:
    return InvitationEmail(
        invitation_id=41,
        to_email="ana@example.com",
        to_name="Ana Souza",
        first_name="Ana",
        kind=SurveyKind.NPS,
        product_name=None,
        question=question,
        email_subject=None,
    )


def test_a_question_that_spells_the_boundary_leaves_the_message_whole(
    settings: Settings,
) -> None:
    boundary = render(settings=settings, invitation=_invitation(), now=NOW).get_boundary()
    assert boundary is not None and boundary.startswith("==")
    sneaky = f"Really? --{boundary} --{boundary}--"

    sent = render(settings=settings, invitation=_invitation(sneaky), now=NOW)
    raw = sent.as_bytes()
    received = email.message_from_bytes(raw, policy=email.policy.default)

    # two delimiters and the closing one, and nowhere else: not inside either part
    assert raw.count(f"--{boundary}".encode()) == 3
    assert isinstance(received, EmailMessage)
    parts = list(received.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert sneaky in parts[0].get_content()


def test_every_message_has_its_own_boundary(settings: Settings) -> None:
    first = render(settings=settings, invitation=_invitation(), now=NOW)
    other = render(
        settings=settings,
        invitation=InvitationEmail(
            invitation_id=42,
            to_email="bo@example.com",
            to_name=None,
            first_name=None,
            kind=SurveyKind.NPS,
            product_name=None,
            question=None,
            email_subject=None,
        ),
        now=NOW,
    )
    assert first.get_boundary() != other.get_boundary()
