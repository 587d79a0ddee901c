"""When a date-trait rule is due: the trait plus the offset, on the recipient's calendar
for a date, exactly for an instant; and the text range that finds it in the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.triggers.definitions import parse_duration
from closeloop.triggers.targets import parse_moment, target_of, trait_day_bounds

MADRID = ZoneInfo("Europe/Madrid")


@pytest.mark.parametrize(
    ("value", "offset", "zone", "expected"),
    [
        # a date is midnight on the recipient's calendar: 00:00 in Madrid is 23:00 UTC in winter
        ("2026-05-04", "-60d", MADRID, "2026-03-04T23:00:00+00:00"),
        # ... and 22:00 UTC in summer: 60 calendar days across the clock change
        ("2026-05-29", "-60d", MADRID, "2026-03-29T22:00:00+00:00"),
        ("2026-05-04", "0", ZoneInfo("Asia/Kolkata"), "2026-05-03T18:30:00+00:00"),
        # an instant moves by the offset exactly
        ("2026-02-17T15:30:00Z", "14d", MADRID, "2026-03-03T15:30:00+00:00"),
        ("2026-02-17T15:30:00+05:00", "-3h", MADRID, "2026-02-17T07:30:00+00:00"),
        # a date-time without a zone is read on the recipient's clock
        ("2026-02-17T15:30:00", "0", MADRID, "2026-02-17T14:30:00+00:00"),
    ],
)
def test_the_target_is_the_trait_moved_by_the_offset(
    value: str, offset: str, zone: ZoneInfo, expected: str
) -> None:
    assert target_of(value, offset=parse_duration(offset), zone=zone) == datetime.fromisoformat(
        expected
    )


@pytest.mark.parametrize(
    "value",
    [None, 20260504, "", "soon", "04/05/2026", "2026-13-01", "2026-05-04 and more", ["2026-05-04"]],
)
def test_what_is_no_date_has_no_target(value: object) -> None:
    assert parse_moment(value) is None
    assert target_of(value, offset=timedelta(0), zone=MADRID) is None


ZONES = st.sampled_from(
    ["UTC", "Europe/Madrid", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu"]
).map(ZoneInfo)
DAYS = st.dates(min_value=date(2001, 1, 1), max_value=date(2098, 12, 31))
OFFSETS = st.integers(min_value=-730, max_value=730).map(lambda days: timedelta(days=days))


@given(DAYS, ZONES, OFFSETS, st.integers(min_value=0, max_value=3 * 86_400))
def test_the_day_range_holds_every_trait_whose_target_is_in_range(
    day: date, zone: ZoneInfo, offset: timedelta, width: int
) -> None:
    value = day.isoformat()
    target = target_of(value, offset=offset, zone=zone)
    assert target is not None
    earliest = target - timedelta(seconds=width)
    low, high = trait_day_bounds(earliest=earliest, latest=target, offset=offset)
    assert low <= value <= high


@given(st.datetimes(timezones=st.just(UTC), min_value=datetime(2001, 1, 1)), ZONES, OFFSETS)
def test_the_day_range_holds_instants_too(
    instant: datetime, zone: ZoneInfo, offset: timedelta
) -> None:
    value = instant.astimezone(zone).isoformat()
    target = target_of(value, offset=offset, zone=zone)
    assert target == instant + offset
    low, high = trait_day_bounds(earliest=target, latest=target, offset=offset)
    assert low <= value[:10] <= high
