"""Backoff: exponential from a minute, capped at an hour, jittered per invitation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.invitations.retry import (
    BASE_DELAY,
    JITTER,
    MAX_DELAY,
    backoff,
    jitter_fraction,
    retry_delay,
)


@pytest.mark.parametrize(
    ("attempts", "nominal"),
    [
        (1, timedelta(minutes=1)),
        (2, timedelta(minutes=2)),
        (3, timedelta(minutes=4)),
        (4, timedelta(minutes=8)),
        (6, timedelta(minutes=32)),
        (7, timedelta(hours=1)),
        (20, timedelta(hours=1)),
        (10_000, timedelta(hours=1)),
    ],
)
def test_the_delay_doubles_up_to_the_cap_less_at_most_a_quarter(
    attempts: int, nominal: timedelta
) -> None:
    delay = backoff(attempts=attempts, invitation_id=17)
    assert nominal * (1 - JITTER) < delay <= nominal


def test_the_same_invitation_always_gets_the_same_delay() -> None:
    assert backoff(attempts=3, invitation_id=5) == backoff(attempts=3, invitation_id=5)


def test_a_batch_that_failed_together_does_not_come_back_together() -> None:
    delays = {backoff(attempts=2, invitation_id=n) for n in range(1, 101)}
    assert len(delays) > 90


@given(
    attempts=st.integers(min_value=1, max_value=500),
    invitation_id=st.integers(min_value=1, max_value=2**63 - 1),
)
def test_every_delay_is_positive_and_within_the_cap(attempts: int, invitation_id: int) -> None:
    delay = backoff(attempts=attempts, invitation_id=invitation_id)
    assert BASE_DELAY * (1 - JITTER) < delay <= MAX_DELAY
    assert 0 <= jitter_fraction(invitation_id=invitation_id, attempts=attempts) < 1


@given(attempts=st.integers(min_value=1, max_value=40), invitation_id=st.integers(1, 10**6))
def test_a_later_attempt_never_waits_much_less(attempts: int, invitation_id: int) -> None:
    earlier = backoff(attempts=attempts, invitation_id=invitation_id)
    later = backoff(attempts=attempts + 1, invitation_id=invitation_id)
    assert later > earlier * (1 - JITTER)


@pytest.mark.parametrize("attempts", [0, -1])
def test_attempts_start_at_one(attempts: int) -> None:
    with pytest.raises(ValueError, match="attempts start at 1"):
        backoff(attempts=attempts, invitation_id=1)


@pytest.mark.parametrize(
    ("attempts", "max_attempts", "gives_up"),
    [(1, 8, False), (7, 8, False), (8, 8, True), (9, 8, True), (1, 1, True)],
)
def test_retry_delay_gives_up_when_the_attempts_are_used(
    attempts: int, max_attempts: int, gives_up: bool
) -> None:
    delay = retry_delay(attempts=attempts, max_attempts=max_attempts, invitation_id=3)
    assert (delay is None) is gives_up
