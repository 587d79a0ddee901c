"""Who may be sent an invitation, asked at scheduling and again just before sending."""

from __future__ import annotations

import pytest

from closeloop.invitations.eligibility import suppression_reason


@pytest.mark.parametrize(
    ("suppressed", "email", "channel", "survey_active", "reason"),
    [
        (None, "ana@example.com", "email", True, None),
        ("unsubscribed", "ana@example.com", "email", True, "unsubscribed"),
        ("bounced", "ana@example.com", "email", True, "bounced"),
        # the person's own choice wins over every other reason
        ("unsubscribed", None, "email", False, "unsubscribed"),
        (None, None, "email", True, "no email address"),
        (None, "   ", "email", True, "no email address"),
        (None, "ana@example.com", "email", False, "survey inactive"),
        (None, "ana@example.com", "sms", True, "channel 'sms' is not available"),
    ],
)
def test_suppression_reason(
    suppressed: str | None, email: str | None, channel: str, survey_active: bool, reason: str | None
) -> None:
    assert (
        suppression_reason(
            contact_suppressed=suppressed,
            contact_email=email,
            channel=channel,
            survey_active=survey_active,
        )
        == reason
    )
