"""What happens when rules fire for one person: scheduled when, or not sent and why. Pure.

The live engine, the schedulers and the simulation all call :func:`decide` with the
person's state as plain values, so a simulation over past events decides exactly as the
live engine would. The order of the checks is the order a CX lead reasons in: may this
person be surveyed at all (unsubscribed, bounced, no address), is this person in the
rule's sample, which of the competing rules wins, is something already pending, and
finally fatigue — checked at the moment the survey would go out, after the delay and
the send window.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from closeloop.policy import fatigue, sampling, windows
from closeloop.policy.fatigue import BlockReason, Candidate, FatiguePolicy, PastInvitation
from closeloop.policy.windows import HolidayCheck
from closeloop.triggers.engine import CompiledRule
from closeloop.triggers.models import Outcome, Reason

# an event that arrives late still fires, but not once its moment is this far gone
DEFAULT_MAX_LATENESS = timedelta(days=2)
# how a due time is found: windows.next_allowed's keyword arguments, an instant back
NextAllowed = Callable[..., datetime]


@dataclass(frozen=True)
class Firing:
    """One rule that fired for one person, and the earliest moment it wants to send."""

    rule: CompiledRule
    earliest: datetime
    event_id: int | None = None
    event_name: str | None = None
    # what the invitation keeps of the firing event (for cancel-if: ticket_id …)
    context: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Pending:
    """An invitation to the person that is scheduled or being sent."""

    invitation_id: int
    rule_key: str | None
    priority: int
    due_at: datetime


@dataclass(frozen=True)
class PersonState:
    """The person as the policy sees them."""

    contact_key: str
    # "unsubscribed" / "bounced", or None
    suppressed: str | None
    # the channels this person can be reached on ("email" with an address …)
    reachable: frozenset[str]
    zone: ZoneInfo
    holidays: HolidayCheck
    history: tuple[PastInvitation, ...] = ()
    pending: Pending | None = None


@dataclass(frozen=True)
class Verdict:
    firing: Firing
    outcome: Outcome
    reason: Reason | None = None
    detail: str | None = None
    due_at: datetime | None = None
    until: datetime | None = None
    # the pending invitation this one replaces (cancel it first)
    supersedes: Pending | None = None


_SUPPRESSED = {"unsubscribed": Reason.UNSUBSCRIBED, "bounced": Reason.BOUNCED}
_BLOCKS = {BlockReason.FATIGUE: Reason.FATIGUE, BlockReason.RECONTACT: Reason.RECONTACT}


def decide(
    firings: Sequence[Firing],
    person: PersonState,
    *,
    now: datetime,
    policy: FatiguePolicy,
    active_surveys: frozenset[str],
    max_lateness: timedelta = DEFAULT_MAX_LATENESS,
    next_allowed: NextAllowed = windows.next_allowed,
) -> list[Verdict]:
    """A verdict for every firing; at most one of them is ``scheduled``.

    ``next_allowed`` may be replaced by a memo giving the same answers (the simulation's).
    """
    verdicts: list[Verdict] = []
    contenders: list[Firing] = []
    for firing in firings:
        refusal = _refusal(
            firing, person, now=now, active_surveys=active_surveys, max_lateness=max_lateness
        )
        if refusal is not None:
            verdicts.append(refusal)
        else:
            contenders.append(firing)
    if not contenders:
        return verdicts
    picked = fatigue.pick_by_priority(
        [
            Candidate(rule_key=f.rule.key, priority=f.rule.priority, due_at=f.earliest)
            for f in contenders
        ]
    )
    winner = next(
        f for f in contenders if (f.rule.key, f.earliest) == (picked.rule_key, picked.due_at)
    )
    verdicts.extend(
        Verdict(
            firing,
            Outcome.SKIPPED,
            Reason.SUPERSEDED,
            f"rule {winner.rule.key!r} (priority {winner.rule.priority}) won for this person",
        )
        for firing in contenders
        if firing is not winner
    )
    verdicts.append(
        _verdict_for_winner(winner, person, now=now, policy=policy, next_allowed=next_allowed)
    )
    return verdicts


def _refusal(
    firing: Firing,
    person: PersonState,
    *,
    now: datetime,
    active_surveys: frozenset[str],
    max_lateness: timedelta,
) -> Verdict | None:
    rule = firing.rule
    if person.suppressed is not None:
        reason = _SUPPRESSED.get(person.suppressed, Reason.UNSUBSCRIBED)
        return Verdict(firing, Outcome.SKIPPED, reason, f"the person is {person.suppressed}")
    if rule.definition.channel not in person.reachable:
        return Verdict(
            firing,
            Outcome.SKIPPED,
            Reason.NO_ADDRESS,
            f"no address for the {rule.definition.channel} channel",
        )
    if rule.survey_key not in active_surveys:
        return Verdict(
            firing,
            Outcome.SKIPPED,
            Reason.SURVEY_INACTIVE,
            f"survey {rule.survey_key!r} does not exist or is switched off",
        )
    if firing.earliest < now - max_lateness:
        return Verdict(
            firing,
            Outcome.SKIPPED,
            Reason.TOO_LATE,
            f"its moment ({firing.earliest.isoformat()}) passed more than "
            f"{max_lateness.days} days ago",
        )
    percent = rule.definition.sample_percent
    if not sampling.sampled_in(contact_key=person.contact_key, rule_key=rule.key, percent=percent):
        return Verdict(
            firing, Outcome.SKIPPED, Reason.SAMPLED_OUT, f"outside the rule's {percent:g} % sample"
        )
    return None


def _verdict_for_winner(
    firing: Firing,
    person: PersonState,
    *,
    now: datetime,
    policy: FatiguePolicy,
    next_allowed: NextAllowed,
) -> Verdict:
    rule = firing.rule
    supersedes = None
    if person.pending is not None:
        pending = person.pending
        if rule.priority <= pending.priority:
            by = f"rule {pending.rule_key!r}" if pending.rule_key else "an explicit request"
            return Verdict(
                firing,
                Outcome.SKIPPED,
                Reason.PENDING,
                f"invitation #{pending.invitation_id} ({by}) is pending, "
                f"due {pending.due_at.isoformat()}",
            )
        supersedes = pending
    due_at = next_allowed(
        earliest=max(firing.earliest, now),
        window=rule.window,
        zone=person.zone,
        holidays=person.holidays if rule.skip_holidays else None,
    )
    block = fatigue.decide(
        policy=policy,
        now=due_at,
        survey_key=rule.survey_key,
        history=person.history,
        pending=False,
    )
    if not block.allowed:
        assert block.reason is not None and block.until is not None
        counted = [
            past.sent_at
            for past in person.history
            if block.reason is BlockReason.FATIGUE or past.survey_key == rule.survey_key
        ]
        what = "a survey" if block.reason is BlockReason.FATIGUE else f"{rule.survey_key!r}"
        last = max(counted)
        return Verdict(
            firing,
            Outcome.SKIPPED,
            _BLOCKS[block.reason],
            f"{what} went out on {last.date().isoformat()}; may be asked again from "
            f"{block.until.date().isoformat()}",
            due_at=due_at,
            until=block.until,
        )
    return Verdict(firing, Outcome.SCHEDULED, due_at=due_at, supersedes=supersedes)
