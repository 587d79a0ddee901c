"""The respondent URLs put in messages; the pages under /r/ verify what these sign.

- ``/r/{token}/{score}``  — one click records the score (token: purpose ANSWER)
- ``/r/{token}``          — the follow-up page (why this score?)
- ``/r/u/{token}``        — unsubscribe (token: purpose UNSUBSCRIBE; also RFC 8058 POST)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from closeloop.config import Settings
from closeloop.responses.tokens import Purpose, issue

UNSUBSCRIBE_TTL = timedelta(days=365)


def answer_token(*, settings: Settings, invitation_id: int, now: datetime) -> str:
    return issue(
        secret=settings.signing_key,
        invitation_id=invitation_id,
        purpose=Purpose.ANSWER,
        now=now,
        ttl=timedelta(days=settings.token_ttl_days),
    )


def answer_url(*, settings: Settings, token: str, score: int) -> str:
    return f"{settings.base_url}/r/{token}/{score}"


def unsubscribe_url(*, settings: Settings, invitation_id: int, now: datetime) -> str:
    token = issue(
        secret=settings.signing_key,
        invitation_id=invitation_id,
        purpose=Purpose.UNSUBSCRIBE,
        now=now,
        ttl=UNSUBSCRIBE_TTL,
    )
    return f"{settings.base_url}/r/u/{token}"
