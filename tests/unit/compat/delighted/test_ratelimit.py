"""The token bucket behind each key's rate limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from closeloop.compat.delighted.ratelimit import Bucket, KeyLimiter, take

T0 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def test_a_new_key_may_burst_a_minutes_allowance_then_waits() -> None:
    bucket = None
    for _ in range(60):
        bucket, allowance = take(bucket, now=T0, per_minute=60)
        assert allowance.allowed
    bucket, allowance = take(bucket, now=T0, per_minute=60)
    assert (allowance.allowed, allowance.retry_after) == (False, 1)


@pytest.mark.parametrize(
    ("tokens", "per_minute", "retry_after"),
    [(0.0, 60, 1), (0.0, 2, 30), (0.5, 2, 15), (0.99, 1, 1), (0.0, 1, 60)],
)
def test_retry_after_is_the_wait_for_one_token(
    tokens: float, per_minute: int, retry_after: int
) -> None:
    _, allowance = take(Bucket(tokens, T0), now=T0, per_minute=per_minute)
    assert (allowance.allowed, allowance.retry_after) == (False, retry_after)


def test_tokens_refill_with_time_up_to_the_cap() -> None:
    bucket, allowance = take(Bucket(0.0, T0), now=T0 + timedelta(seconds=30), per_minute=2)
    assert allowance.allowed and bucket.tokens == pytest.approx(0.0)
    bucket, _ = take(Bucket(0.0, T0), now=T0 + timedelta(days=1), per_minute=2)
    assert bucket.tokens == pytest.approx(1.0), "a full bucket holds one minute, less this one"


def test_a_clock_stepping_back_refills_nothing() -> None:
    bucket, allowance = take(Bucket(0.0, T0), now=T0 - timedelta(hours=1), per_minute=60)
    assert not allowance.allowed and bucket.tokens == 0.0


def test_each_key_has_its_own_bucket() -> None:
    limiter = KeyLimiter(per_minute=1)
    assert limiter.check(1, T0).allowed
    assert not limiter.check(1, T0).allowed
    assert limiter.check(2, T0).allowed


def test_a_limit_below_one_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="at least one"):
        take(None, now=T0, per_minute=0)
