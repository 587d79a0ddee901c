"""When a date-trait rule is due for one person: the trait's value plus the rule's offset. Pure.

A trait holds an ISO date (``2026-05-04``) or date-time (``2026-05-04T10:00:00Z``). A date
names a day on the recipient's calendar, so it stands for the start of that day in their
zone, and a day offset moves it by calendar days there ("60 days before the renewal" is
midnight local time, 60 days earlier, whatever the daylight-saving changes in between);
the send window then picks the hour. A date-time with a zone is an instant and moves by
the offset exactly; one without a zone is read on the recipient's clock like a date.

The database finds candidates by comparing the trait's first ten characters as text (an
ISO date sorts as text), so :func:`trait_day_bounds` widens the target range by a day on
each side for the zones, and :func:`target_of` rechecks each candidate exactly.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

# what the text comparison reads: a value that does not start like this is no date
_ISO_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
# a local day spans at most this much either side of its UTC date (zones run −12 … +14 h,
# and a daylight-saving change moves a wall-clock offset by an hour)
_ZONE_MARGIN: Final = timedelta(days=1)


def parse_moment(value: object) -> date | datetime | None:
    """The ISO date or date-time a trait holds; None for anything else (not a date)."""
    if not isinstance(value, str) or not _ISO_DAY.match(value):
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        return None


def target_of(value: object, *, offset: timedelta, zone: ZoneInfo) -> datetime | None:
    """The instant (UTC) a rule with ``offset`` is due for a person whose trait is ``value``."""
    moment = parse_moment(value)
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(0), tzinfo=zone)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    # an aware datetime in a ZoneInfo adds on the wall clock; in a fixed offset, exactly
    return (moment + offset).astimezone(UTC)


def trait_day_bounds(*, earliest: datetime, latest: datetime, offset: timedelta) -> tuple[str, str]:
    """The text range of trait days (``YYYY-MM-DD``) that can give a target in
    ``[earliest, latest]``, whatever the recipient's zone."""
    low = (earliest - offset - _ZONE_MARGIN).astimezone(UTC).date()
    high = (latest - offset + _ZONE_MARGIN).astimezone(UTC).date()
    return low.isoformat(), high.isoformat()
