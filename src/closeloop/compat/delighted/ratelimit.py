"""Each API key's request budget on the Delighted-compatible API: a token bucket.

Delighted answered a client that went too fast with 429 and ``Retry-After``, and its
clients wait and retry (``auto_handle_rate_limits``). A bucket holds up to a minute's
allowance and refills continuously, so a burst is served at once and a steady stream is
held to the limit. The arithmetic is pure (:func:`take`); :class:`KeyLimiter` keeps one
bucket per key in this process's memory. Several processes each limit separately: the
limit protects a process from one noisy key, it is not a quota, and losing the buckets
on a restart is harmless (see docs/delighted-migration.md).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Bucket:
    tokens: float
    at: datetime


@dataclass(frozen=True)
class Allowance:
    allowed: bool
    # whole seconds until one request is allowed again (0 when allowed now)
    retry_after: int


def take(bucket: Bucket | None, *, now: datetime, per_minute: int) -> tuple[Bucket, Allowance]:
    """Spend one token if there is one; the bucket after, and whether the request may go.

    A new key starts full. A clock that steps back refills nothing rather than draining.
    """
    if per_minute < 1:
        raise ValueError(f"a rate limit allows at least one request a minute, not {per_minute}")
    per_second = per_minute / 60
    if bucket is None:
        tokens = float(per_minute)
    else:
        elapsed = max((now - bucket.at).total_seconds(), 0.0)
        tokens = min(float(per_minute), bucket.tokens + elapsed * per_second)
    if tokens >= 1:
        return Bucket(tokens - 1, now), Allowance(allowed=True, retry_after=0)
    wait = max(math.ceil((1 - tokens) / per_second), 1)
    return Bucket(tokens, now), Allowance(allowed=False, retry_after=wait)


class KeyLimiter:
    """One bucket per API key id, shared by the threads of one process."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[int, Bucket] = {}
        self._lock = threading.Lock()

    def check(self, key_id: int, now: datetime) -> Allowance:
        with self._lock:
            bucket, allowance = take(self._buckets.get(key_id), now=now, per_minute=self.per_minute)
            self._buckets[key_id] = bucket
        return allowance
