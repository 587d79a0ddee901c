"""Stagger: each contact's stable slot inside a recurring period, spread evenly."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closeloop.policy.sampling import sampled_in
from closeloop.policy.stagger import next_slot, offset, slot

QUARTER = timedelta(days=91)
START = datetime(2026, 1, 1, tzinfo=UTC)
CONTACTS = [f"contact-{n}" for n in range(10_000)]


def test_slots_spread_evenly_over_the_period() -> None:
    tenths = [0] * 10
    for key in CONTACTS:
        at = slot(contact_key=key, rule_key="rel-nps", period_start=START, period=QUARTER)
        tenths[int((at - START) / QUARTER * 10)] += 1
    assert all(700 <= count <= 1300 for count in tenths), tenths


def test_a_contact_keeps_its_offset_period_after_period() -> None:
    firsts = [
        slot(
            contact_key="c-42", rule_key="rel-nps", period_start=START + n * QUARTER, period=QUARTER
        )
        for n in range(8)
    ]
    assert {b - a for a, b in itertools.pairwise(firsts)} == {QUARTER}


def test_the_sampled_in_are_not_the_early_slots() -> None:
    # sampling and staggering hash with different tags: a 20 % sample is spread over the period
    early = 0
    sampled = [k for k in CONTACTS if sampled_in(contact_key=k, rule_key="r", percent=20)]
    for key in sampled:
        at = slot(contact_key=key, rule_key="r", period_start=START, period=QUARTER)
        early += at - START < QUARTER / 5
    assert 0.15 < early / len(sampled) < 0.25


@pytest.mark.parametrize(
    ("after", "periods_from_anchor"),
    [
        (START - timedelta(days=1), 0),  # before the anchor's period: the anchor's period slot
        (START - QUARTER - timedelta(days=1), -1),
        (START + QUARTER * 3 + timedelta(days=1), 3),
    ],
)
def test_a_newcomer_joins_at_its_next_slot(after: datetime, periods_from_anchor: int) -> None:
    shift = offset(contact_key="new", rule_key="r", period=QUARTER)
    expected = START + periods_from_anchor * QUARTER + shift
    if expected <= after:
        expected += QUARTER
    assert next_slot(
        contact_key="new", rule_key="r", anchor=START, period=QUARTER, after=after
    ) == (expected)


def test_the_slot_itself_is_not_after_itself() -> None:
    at = slot(contact_key="c", rule_key="r", period_start=START, period=QUARTER)
    following = next_slot(contact_key="c", rule_key="r", anchor=START, period=QUARTER, after=at)
    assert following == at + QUARTER


@pytest.mark.parametrize("period", [timedelta(0), timedelta(days=-1)])
def test_a_period_must_be_positive(period: timedelta) -> None:
    with pytest.raises(ValueError, match="positive"):
        slot(contact_key="c", rule_key="r", period_start=START, period=period)


@settings(max_examples=200)
@given(
    contact=st.text(max_size=30),
    period=st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=400)),
    after=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
)
def test_next_slot_is_the_contacts_first_slot_after(
    contact: str, period: timedelta, after: datetime
) -> None:
    shift = offset(contact_key=contact, rule_key="r", period=period)
    assert timedelta(0) <= shift < period
    result = next_slot(contact_key=contact, rule_key="r", anchor=START, period=period, after=after)
    assert after < result <= after + period
    assert (result - START - shift) % period == timedelta(0)  # on the contact's grid
    assert result == next_slot(
        contact_key=contact, rule_key="r", anchor=START + 5 * period, period=period, after=after
    )
