"""Send windows: the first allowed moment on the recipient's clock, across DST and odd offsets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closeloop.policy.windows import (
    MAX_DAYS_AHEAD,
    SendWindow,
    holiday_checker,
    is_allowed,
    next_allowed,
    resolve_zone,
)

EVERY_DAY = frozenset(range(7))
TUE_THU_10_16 = SendWindow(days=frozenset({1, 2, 3}), start=time(10), end=time(16))
WEEKDAYS_10_16 = SendWindow(days=frozenset(range(5)), start=time(10), end=time(16))


def every_day(start: time, end: time) -> SendWindow:
    return SendWindow(days=EVERY_DAY, start=start, end=end)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "window", "earliest", "expected"),
    [
        # Europe/Madrid springs forward 02:00 → 03:00 on 2026-03-29: a 02:30 start opens at 03:00
        (
            "Europe/Madrid",
            every_day(time(2, 30), time(4)),
            utc(2026, 3, 28, 12),
            "2026-03-29T03:00:00+02:00",
        ),
        # … and a window wholly inside the gap does not open that day
        (
            "Europe/Madrid",
            every_day(time(2), time(2, 45)),
            utc(2026, 3, 28, 12),
            "2026-03-30T02:00:00+02:00",
        ),
        # Europe/Madrid falls back 03:00 → 02:00 on 2026-10-25: the first 02:30 opens the window
        (
            "Europe/Madrid",
            every_day(time(2, 30), time(4)),
            utc(2026, 10, 24, 12),
            "2026-10-25T02:30:00+02:00",
        ),
        # from inside the repeated hour, before its second 02:30: that second 02:30
        (
            "Europe/Madrid",
            every_day(time(2, 30), time(4)),
            utc(2026, 10, 25, 1, 10),
            "2026-10-25T02:30:00+01:00",
        ),
        # the fall-back carries the clock from 03:00 back to 02:00, into a 01:00–02:30 window
        (
            "Europe/Madrid",
            every_day(time(1), time(2, 30)),
            utc(2026, 10, 25, 0, 40),
            "2026-10-25T02:00:00+01:00",
        ),
        # Tue–Thu across New York's spring-forward weekend (2026-03-08)
        ("America/New_York", TUE_THU_10_16, utc(2026, 3, 6, 18), "2026-03-10T10:00:00-04:00"),
        (
            "America/New_York",
            every_day(time(2, 15), time(3, 30)),
            utc(2026, 3, 8, 5),
            "2026-03-08T03:00:00-04:00",
        ),
        # New York falls back on 2026-11-01: 01:30 comes twice, the first (EDT) counts
        (
            "America/New_York",
            every_day(time(1, 30), time(5)),
            utc(2026, 11, 1, 4),
            "2026-11-01T01:30:00-04:00",
        ),
        # half-hour and 45-minute offsets
        ("Asia/Kolkata", TUE_THU_10_16, utc(2026, 11, 23, 12), "2026-11-24T10:00:00+05:30"),
        ("Asia/Kolkata", TUE_THU_10_16, utc(2026, 11, 24, 10, 29), "2026-11-24T15:59:00+05:30"),
        ("Asia/Kolkata", TUE_THU_10_16, utc(2026, 11, 24, 10, 30), "2026-11-25T10:00:00+05:30"),
        ("Asia/Kathmandu", TUE_THU_10_16, utc(2026, 11, 24, 4), "2026-11-24T10:00:00+05:45"),
        ("Asia/Kathmandu", TUE_THU_10_16, utc(2026, 11, 24, 4, 20), "2026-11-24T10:05:00+05:45"),
        # Adelaide (+09:30 → +10:30 on 2026-10-04 at 02:00)
        (
            "Australia/Adelaide",
            every_day(time(2, 15), time(5)),
            utc(2026, 10, 3, 12),
            "2026-10-04T03:00:00+10:30",
        ),
        ("Australia/Adelaide", WEEKDAYS_10_16, utc(2026, 10, 3, 12), "2026-10-05T10:00:00+10:30"),
        # Chatham (+12:45 → +13:45 on 2026-09-27 at 02:45)
        (
            "Pacific/Chatham",
            every_day(time(3), time(4)),
            utc(2026, 9, 26, 0),
            "2026-09-27T03:45:00+13:45",
        ),
        ("Pacific/Chatham", TUE_THU_10_16, utc(2026, 11, 23, 20), "2026-11-24T10:00:00+13:45"),
        # a window ending at midnight's doorstep still excludes its end
        (
            "Europe/Madrid",
            every_day(time(9), time(23, 59)),
            utc(2026, 6, 1, 21, 59),
            "2026-06-02T09:00:00+02:00",
        ),
    ],
)
def test_the_first_allowed_moment_on_the_recipients_clock(
    zone: str, window: SendWindow, earliest: datetime, expected: str
) -> None:
    result = next_allowed(earliest=earliest, window=window, zone=ZoneInfo(zone))
    assert result.tzinfo is UTC
    assert result == datetime.fromisoformat(expected)
    assert result.astimezone(ZoneInfo(zone)).isoformat() == expected


def test_public_holidays_of_the_recipients_country_are_skipped() -> None:
    # Friday 2027-01-01 is New Year's Day in Spain: the next weekday window is Monday's
    result = next_allowed(
        earliest=utc(2026, 12, 31, 16),
        window=WEEKDAYS_10_16,
        zone=ZoneInfo("Europe/Madrid"),
        holidays=holiday_checker("ES"),
    )
    assert result.astimezone(ZoneInfo("Europe/Madrid")).isoformat() == "2027-01-04T10:00:00+01:00"


def test_a_trigger_without_a_window_goes_at_once() -> None:
    earliest = datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Madrid"))
    result = next_allowed(earliest=earliest, window=None, zone=ZoneInfo("Asia/Kolkata"))
    assert result == earliest
    assert result.tzinfo is UTC


def test_a_calendar_of_holidays_fails_instead_of_looping() -> None:
    with pytest.raises(ValueError, match=f"within {MAX_DAYS_AHEAD} days.*holiday"):
        next_allowed(
            earliest=utc(2026, 1, 1),
            window=TUE_THU_10_16,
            zone=ZoneInfo("UTC"),
            holidays=lambda day: True,
        )


def test_a_naive_earliest_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_allowed(earliest=datetime(2026, 1, 1), window=None, zone=ZoneInfo("UTC"))


@pytest.mark.parametrize(
    ("days", "start", "end", "message"),
    [
        (frozenset(), time(10), time(16), "at least one day"),
        (frozenset({7}), time(10), time(16), "0 \\(Monday\\)"),
        (frozenset({-1, 2}), time(10), time(16), "0 \\(Monday\\)"),
        (frozenset({1}), time(16), time(10), "starts before it ends"),
        (frozenset({1}), time(10), time(10), "starts before it ends"),
        (frozenset({1}), time(10, tzinfo=UTC), time(16), "without a zone"),
    ],
)
def test_an_impossible_window_is_refused(
    days: frozenset[int], start: time, end: time, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SendWindow(days=days, start=start, end=end)


@pytest.mark.parametrize(
    ("contact", "account", "workspace", "expected"),
    [
        ("Asia/Kathmandu", "Europe/Madrid", "UTC", "Asia/Kathmandu"),
        (None, "Europe/Madrid", "UTC", "Europe/Madrid"),
        ("", "  ", "America/New_York", "America/New_York"),
        ("Mars/Olympus_Mons", "Europe/Madrid", "UTC", "Europe/Madrid"),
        ("../../etc/passwd", None, "Australia/Adelaide", "Australia/Adelaide"),
        (" Asia/Kolkata ", None, None, "Asia/Kolkata"),
        (None, None, None, "UTC"),
        ("nope", "nope", "nope", "UTC"),
    ],
)
def test_the_zone_falls_back_from_contact_to_account_to_workspace(
    contact: str | None, account: str | None, workspace: str | None, expected: str
) -> None:
    assert resolve_zone(contact, account, workspace).key == expected


@pytest.mark.parametrize(
    ("country", "day", "expected"),
    [
        ("ES", date(2026, 1, 1), True),
        ("es", date(2026, 10, 12), True),  # Fiesta Nacional de España
        ("ES", date(2026, 10, 13), False),
        ("US", date(2026, 7, 4), True),
        ("IN", date(2026, 1, 26), True),  # Republic Day
        ("ZZ", date(2026, 1, 1), False),  # unknown country: no holidays
        ("", date(2026, 1, 1), False),
        (None, date(2026, 12, 25), False),
    ],
)
def test_holidays_come_from_the_recipients_country(
    country: str | None, day: date, expected: bool
) -> None:
    assert holiday_checker(country)(day) is expected


ZONES = [
    "UTC",
    "Europe/Madrid",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Adelaide",
    "Pacific/Chatham",
    "America/St_Johns",
    "Australia/Lord_Howe",  # a 30-minute DST shift
]
# days near the 2026 offset changes of the zones above, where the search is most likely wrong
CHANGE_DAYS = [
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 4, 5),
    date(2026, 9, 27),
    date(2026, 10, 4),
    date(2026, 10, 25),
    date(2026, 11, 1),
]
minutes_of_day = st.integers(min_value=0, max_value=24 * 60 - 1)


# starts around the small hours, where clocks change, come up often
starts = st.one_of(st.integers(min_value=60, max_value=240), minutes_of_day)


@st.composite
def windows(draw: st.DrawFn) -> SendWindow:
    days = draw(st.one_of(st.just(EVERY_DAY), st.frozensets(st.integers(0, 6), min_size=1)))
    start = min(draw(starts), 24 * 60 - 2)
    end = draw(st.integers(min_value=start + 1, max_value=24 * 60 - 1))
    return SendWindow(days=days, start=time(start // 60, start % 60), end=time(end // 60, end % 60))


near_a_change = st.builds(
    lambda day, seconds: datetime.combine(day, time(), tzinfo=UTC) + timedelta(seconds=seconds),
    st.sampled_from(CHANGE_DAYS),
    st.integers(min_value=-2 * 86400, max_value=2 * 86400),
)
anywhere = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


def sparse_holidays(modulus: int) -> Callable[[date], bool]:
    return lambda day: modulus > 0 and day.toordinal() % modulus == 0


@settings(max_examples=150, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    window=windows(),
    earliest=st.one_of(near_a_change, anywhere),
    modulus=st.sampled_from([0, 3, 5, 11]),
)
def test_the_answer_is_the_first_allowed_minute(
    zone_name: str, window: SendWindow, earliest: datetime, modulus: int
) -> None:
    zone = ZoneInfo(zone_name)
    holidays = sparse_holidays(modulus)
    result = next_allowed(earliest=earliest, window=window, zone=zone, holidays=holidays)

    assert result >= earliest
    local = result.astimezone(zone)
    assert local.weekday() in window.days
    assert not holidays(local.date())
    assert window.start <= local.time() < window.end

    def inside(instant: datetime) -> bool:
        wall = instant.astimezone(zone)
        return (
            wall.weekday() in window.days
            and not holidays(wall.date())
            and window.start <= wall.time() < window.end
        )

    assert inside(result)
    assert is_allowed(result, window=window, zone=zone, holidays=holidays)
    # nothing allowed in between, checked minute by minute over (up to) the first three days
    minute = earliest.replace(second=0, microsecond=0)
    if minute < earliest:
        minute += timedelta(minutes=1)
    stop = min(result, earliest + timedelta(days=3))
    while minute < stop:
        assert not inside(minute), minute
        minute += timedelta(minutes=1)


# each zone with a 2026 change day of its own, for a search that starts just before the change
CHANGES = [
    ("Europe/Madrid", date(2026, 3, 29)),
    ("Europe/Madrid", date(2026, 10, 25)),
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
    ("America/St_Johns", date(2026, 3, 8)),
    ("Australia/Adelaide", date(2026, 4, 5)),
    ("Australia/Adelaide", date(2026, 10, 4)),
    ("Pacific/Chatham", date(2026, 4, 5)),
    ("Pacific/Chatham", date(2026, 9, 27)),
    ("Australia/Lord_Howe", date(2026, 4, 5)),
    ("Australia/Lord_Howe", date(2026, 10, 4)),
]


@settings(max_examples=300, deadline=None)
@given(
    change=st.sampled_from(CHANGES),
    start=st.integers(min_value=0, max_value=5 * 60),
    length=st.integers(min_value=1, max_value=4 * 60),
    minutes_before=st.integers(min_value=0, max_value=30 * 60),
)
def test_around_a_change_of_offset_the_first_allowed_minute_is_found(
    change: tuple[str, date], start: int, length: int, minutes_before: int
) -> None:
    zone_name, day = change
    zone = ZoneInfo(zone_name)
    window = every_day(time(start // 60, start % 60), time(*divmod(start + length, 60)))
    earliest = datetime.combine(day, time(4), tzinfo=zone).astimezone(UTC) - timedelta(
        minutes=minutes_before
    )
    result = next_allowed(earliest=earliest, window=window, zone=zone)
    assert result >= earliest
    assert window.start <= result.astimezone(zone).time() < window.end
    minute = earliest
    while minute < result:
        assert not window.start <= minute.astimezone(zone).time() < window.end, minute
        minute += timedelta(minutes=1)
