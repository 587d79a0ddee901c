"""Where in a recurring period each contact is asked. Pure: keys and instants in, an instant out.

A quarterly relationship survey sent to everyone on day one floods the team with answers and
the mail server with sends. Each contact instead gets a fixed offset into the period, a stable
hash of (rule, contact) scaled to the period's length: contacts spread evenly over the period,
and a contact is asked at the same point of every period, so the gap between two of its surveys
is one period. A newcomer is not asked at once but at its next slot.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from closeloop.policy.sampling import stable_fraction


def offset(*, contact_key: str, rule_key: str, period: timedelta) -> timedelta:
    """The contact's fixed offset into every period of the rule: in ``[0, period)``."""
    if period <= timedelta(0):
        raise ValueError(f"a period is positive, not {period}")
    micros = period // timedelta(microseconds=1)
    fraction = stable_fraction("stagger", rule_key, contact_key)
    # integer arithmetic keeps the offset strictly below the period whatever its length
    return timedelta(microseconds=min(int(fraction * micros), micros - 1))


def slot(*, contact_key: str, rule_key: str, period_start: datetime, period: timedelta) -> datetime:
    """The contact's moment inside the period that starts at ``period_start``."""
    return period_start + offset(contact_key=contact_key, rule_key=rule_key, period=period)


def next_slot(
    *, contact_key: str, rule_key: str, anchor: datetime, period: timedelta, after: datetime
) -> datetime:
    """The contact's first slot strictly after ``after``, periods counted from ``anchor``.

    ``anchor`` is the start of any one period of the rule (periods repeat every ``period``
    before and after it), so ``after`` may fall before it.
    """
    shift = offset(contact_key=contact_key, rule_key=rule_key, period=period)
    periods = (after - anchor) // period  # floor: the period that holds `after`
    candidate = anchor + periods * period + shift
    return candidate if candidate > after else candidate + period
