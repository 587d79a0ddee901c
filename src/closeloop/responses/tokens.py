"""Signed respondent tokens: not guessable, not enumerable, tamper-evident, expiring.

A token names one invitation and one purpose (answering or unsubscribing) and carries its
own expiry, checked against the injected clock rather than the wall clock so that tests
can move time. The HMAC comes from ``itsdangerous``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "closeloop.respondent"


class Purpose(enum.StrEnum):
    ANSWER = "a"
    UNSUBSCRIBE = "u"


class TokenError(Exception):
    """The link is not valid."""


class TokenExpired(TokenError):
    """The link has expired."""


@dataclass(frozen=True)
class TokenClaims:
    invitation_id: int
    purpose: Purpose
    expires_at: datetime


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def issue(
    *, secret: str, invitation_id: int, purpose: Purpose, now: datetime, ttl: timedelta
) -> str:
    expires = int((now + ttl).timestamp())
    return str(_serializer(secret).dumps([invitation_id, purpose.value, expires]))


def verify(*, secret: str, token: str, purpose: Purpose, now: datetime) -> TokenClaims:
    """The claims of a valid token, or ``TokenError`` saying why it is not."""
    try:
        payload = _serializer(secret).loads(token)
    except BadSignature:
        raise TokenError("this link is not valid: it may have been copied incompletely") from None
    if (
        not isinstance(payload, list)
        or len(payload) != 3
        or not all(isinstance(part, int | str) for part in payload)
    ):
        raise TokenError("this link is not valid")
    invitation_id, purpose_code, expires = payload
    if not isinstance(invitation_id, int) or not isinstance(expires, int):
        raise TokenError("this link is not valid")
    if purpose_code != purpose.value:
        raise TokenError("this link is not meant for this page")
    expires_at = datetime.fromtimestamp(expires, tz=now.tzinfo)
    if now >= expires_at:
        raise TokenExpired("this link has expired")
    return TokenClaims(invitation_id=invitation_id, purpose=purpose, expires_at=expires_at)
