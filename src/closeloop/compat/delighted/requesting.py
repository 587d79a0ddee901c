"""Whether and when a survey asked for through the Delighted-compatible API goes out. Pure.

A Delighted ``POST /people`` is an explicit request, not a rule that fired, so it skips
what only rules have (sampling, competing rules) and keeps the rest of the policy the
live engine applies (:mod:`closeloop.triggers.deciding`), in the same order: may the
person be surveyed at all, is something already pending, the send window, and fatigue at
the moment it would go out. Fatigue applies because Delighted throttled its own surveys
the same way ("not more than once every N days"). An explicit request outranks any
rule's invitation still waiting, and replaces it; another explicit request still waiting
is kept, so a client that posts the same person twice does not survey them twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from closeloop.policy import fatigue, windows
from closeloop.policy.fatigue import BlockReason, FatiguePolicy
from closeloop.policy.windows import SendWindow
from closeloop.triggers.deciding import Pending, PersonState
from closeloop.triggers.engine import EXPLICIT_PRIORITY
from closeloop.triggers.models import Outcome, Reason

NextAllowed = Callable[..., datetime]
_SUPPRESSED = {"unsubscribed": Reason.UNSUBSCRIBED, "bounced": Reason.BOUNCED}
_BLOCKS = {BlockReason.FATIGUE: Reason.FATIGUE, BlockReason.RECONTACT: Reason.RECONTACT}


@dataclass(frozen=True)
class RequestVerdict:
    outcome: Outcome
    reason: Reason | None = None
    detail: str | None = None
    due_at: datetime | None = None
    until: datetime | None = None
    # a rule's pending invitation this request replaces (cancel it first)
    supersedes: Pending | None = None


def decide_request(
    *,
    person: PersonState,
    channel: str,
    available_channels: frozenset[str],
    survey_key: str,
    survey_active: bool,
    earliest: datetime,
    now: datetime,
    window: SendWindow | None,
    policy: FatiguePolicy,
    next_allowed: NextAllowed = windows.next_allowed,
) -> RequestVerdict:
    """Scheduled for when, or skipped and why (``person.pending`` is their strongest)."""
    if person.suppressed is not None:
        reason = _SUPPRESSED.get(person.suppressed, Reason.UNSUBSCRIBED)
        return RequestVerdict(Outcome.SKIPPED, reason, f"the person is {person.suppressed}")
    if channel not in available_channels:
        return RequestVerdict(
            Outcome.SKIPPED,
            Reason.CHANNEL_UNAVAILABLE,
            f"closeloop cannot send surveys by {channel} yet",
        )
    if channel not in person.reachable:
        return RequestVerdict(
            Outcome.SKIPPED, Reason.NO_ADDRESS, f"no address for the {channel} channel"
        )
    if not survey_active:
        return RequestVerdict(
            Outcome.SKIPPED, Reason.SURVEY_INACTIVE, f"survey {survey_key!r} is switched off"
        )
    pending = person.pending
    if pending is not None and pending.priority >= EXPLICIT_PRIORITY:
        return RequestVerdict(
            Outcome.SKIPPED,
            Reason.PENDING,
            f"invitation #{pending.invitation_id} (an explicit request) is pending, "
            f"due {pending.due_at.isoformat()}",
        )
    due_at = next_allowed(
        earliest=max(earliest, now),
        window=window,
        zone=person.zone,
        holidays=person.holidays if window is not None else None,
    )
    block = fatigue.decide(
        policy=policy, now=due_at, survey_key=survey_key, history=person.history, pending=False
    )
    if not block.allowed:
        assert block.reason is not None and block.until is not None
        counted = [
            past.sent_at
            for past in person.history
            if block.reason is BlockReason.FATIGUE or past.survey_key == survey_key
        ]
        what = "a survey" if block.reason is BlockReason.FATIGUE else f"{survey_key!r}"
        return RequestVerdict(
            Outcome.SKIPPED,
            _BLOCKS[block.reason],
            f"{what} went out on {max(counted).date().isoformat()}; may be asked again from "
            f"{block.until.date().isoformat()}",
            due_at=due_at,
            until=block.until,
        )
    return RequestVerdict(Outcome.SCHEDULED, due_at=due_at, supersedes=pending)
