"""Sampling: N % of the matches, decided by a stable hash of (rule, contact)."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closeloop.policy.sampling import sampled_in, stable_fraction

KEYS = [f"contact-{n}" for n in range(20_000)]


@pytest.mark.parametrize("percent", [1, 10, 25, 33.3, 50, 90, 99])
def test_about_n_percent_of_contacts_are_sampled_in(percent: float) -> None:
    share = 100 * sum(sampled_in(contact_key=k, rule_key="nps-q", percent=percent) for k in KEYS)
    assert abs(share / len(KEYS) - percent) < 1.5


@pytest.mark.parametrize(("percent", "expected"), [(0, False), (0.0, False), (100, True)])
def test_zero_is_never_and_a_hundred_is_always(percent: float, expected: bool) -> None:
    assert {sampled_in(contact_key=k, rule_key="r", percent=percent) for k in KEYS[:2000]} == {
        expected
    }


@pytest.mark.parametrize("percent", [-0.1, 100.01, math.nan, math.inf, -math.inf])
def test_a_percent_outside_0_to_100_is_refused(percent: float) -> None:
    with pytest.raises(ValueError, match="0–100"):
        sampled_in(contact_key="c", rule_key="r", percent=percent)


def test_each_rule_samples_its_own_contacts() -> None:
    a = {k for k in KEYS if sampled_in(contact_key=k, rule_key="onboarding", percent=50)}
    b = {k for k in KEYS if sampled_in(contact_key=k, rule_key="renewal", percent=50)}
    assert 0.4 < len(a & b) / len(a) < 0.6  # independent, not the same half


def test_the_hash_is_the_same_in_another_process() -> None:
    # Python's own hash() is salted per process; ours must not be
    code = "from closeloop.policy.sampling import stable_fraction; print(stable_fraction('a', 'b'))"
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert float(other) == stable_fraction("a", "b")


def test_keys_are_not_confused_across_the_separator() -> None:
    assert stable_fraction("ab", "c") != stable_fraction("a", "bc")


@settings(max_examples=200)
@given(
    contact=st.text(max_size=40),
    rule=st.text(max_size=40),
    low=st.floats(min_value=0, max_value=100),
    high=st.floats(min_value=0, max_value=100),
)
def test_deterministic_and_monotonic_in_the_percent(
    contact: str, rule: str, low: float, high: float
) -> None:
    low, high = min(low, high), max(low, high)
    first = sampled_in(contact_key=contact, rule_key=rule, percent=low)
    assert first == sampled_in(contact_key=contact, rule_key=rule, percent=low)
    # raising the percent only adds contacts: nobody sampled in drops out
    if first:
        assert sampled_in(contact_key=contact, rule_key=rule, percent=high)
    assert 0 <= stable_fraction(contact, rule) < 1
