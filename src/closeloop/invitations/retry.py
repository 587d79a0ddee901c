"""When to try a failed delivery again. Pure: numbers in, a delay (or a verdict) out.

Exponential backoff — 1 min, 2, 4 … capped at 1 h — so a mail server that is down for
an hour is not hammered, yet a brief hiccup costs a minute. Each delay is shortened by
up to a quarter, by an amount derived from the invitation id and the attempt, so a batch
that failed together does not come back together (a thundering herd) while the same
invitation always gets the same schedule (tests and logs stay reproducible).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)
JITTER = 0.25


def jitter_fraction(*, invitation_id: int, attempts: int) -> float:
    """A number in [0, 1) that depends only on the invitation and the attempt."""
    digest = hashlib.blake2b(f"{invitation_id}:{attempts}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def backoff(
    *,
    attempts: int,
    invitation_id: int,
    base: timedelta = BASE_DELAY,
    cap: timedelta = MAX_DELAY,
) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt (the first is 1)."""
    if attempts < 1:
        raise ValueError(f"attempts start at 1, not {attempts}")
    # doubling overflows timedelta long before the cap stops mattering: clamp first
    delay = min(cap, base * (1 << min(attempts - 1, 32)))
    shave = JITTER * jitter_fraction(invitation_id=invitation_id, attempts=attempts)
    return delay * (1 - shave)


def retry_delay(*, attempts: int, max_attempts: int, invitation_id: int) -> timedelta | None:
    """The wait before the next attempt, or None when the attempts are used up."""
    if attempts >= max_attempts:
        return None
    return backoff(attempts=attempts, invitation_id=invitation_id)
