"""Replaying past events through rules and the policy, in memory: the simulation's engine.
Pure: events and people in, decisions and sends out; nothing is written anywhere.

The live engine (:mod:`closeloop.triggers.service`) keeps a person's state in the
database: the pending invitation, the surveys already sent. The replay keeps the same
state per person in memory and asks the same questions in the same order — cancel-if
first, then which rules fire, then :func:`closeloop.triggers.deciding.decide` — so a
simulation decides as the live engine would have. Each event is decided at the moment it
happened (the replay clock), as though it had been received on time.

A simulated invitation counts as sent at its due time once the replay clock passes it,
as the dispatcher would have sent it; until then a later event may cancel it (cancel-if)
or a stronger rule replace it. Only the latest send per survey is kept (fatigue looks no
further), and people with nothing pending and nothing recent are forgotten as the clock
moves, so memory follows the people active within the fatigue horizon, not the log.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from closeloop.policy import windows
from closeloop.policy.fatigue import FatiguePolicy, PastInvitation
from closeloop.policy.windows import HolidayCheck, SendWindow
from closeloop.triggers.deciding import Firing, Pending, PersonState, decide
from closeloop.triggers.engine import CompiledRule, RuleSet, cancels
from closeloop.triggers.evaluation import Facts
from closeloop.triggers.models import Outcome, Reason

_EMPTY: Mapping[str, object] = {}


@dataclass(frozen=True, slots=True)
class Person:
    """What the replay knows of one person, read once and reused for all their events."""

    # shown in the sample of recipients (email, else phone, else external id)
    address: str | None
    contact: Mapping[str, object]
    account: Mapping[str, object]
    # the person as the policy sees them before the replay sent them anything; its
    # contact_key is the sampling key (the contact's id, as the live engine hashes it)
    policy: PersonState


class ReplayEvent(NamedTuple):
    """A past event: ``properties`` may be left empty when no rule reads them."""

    id: int | None
    name: str
    occurred_at: datetime
    properties: Mapping[str, object]


class SimulatedDecision(NamedTuple):
    """What the live engine would have recorded as a :class:`Decision`."""

    rule_key: str
    person: str
    outcome: Outcome
    reason: Reason | None
    decided_at: datetime
    due_at: datetime | None = None
    event_id: int | None = None


class SimulatedSend(NamedTuple):
    """An invitation that would have gone out (the replay clock passed its due time)."""

    rule_key: str
    person: str
    address: str | None
    sent_at: datetime


Happening = SimulatedDecision | SimulatedSend


@dataclass(slots=True)
class _Invitation:
    number: int
    rule: CompiledRule
    due_at: datetime
    fired_at: datetime
    # the firing event's properties its cancel-if rules compare (ticket_id …)
    fired_with: Mapping[str, object]
    address: str | None


@dataclass(slots=True)
class _State:
    """A person's replayed history: the latest send per survey, the pending invitation."""

    last_sent: dict[str, datetime] = field(default_factory=dict)
    pending: _Invitation | None = None
    # the policy's view of the person with this history, kept until the history (or the
    # record it was made from) changes
    _view: PersonState | None = None
    _view_base: PersonState | None = None

    def view_of(self, person: Person) -> PersonState:
        """The person as the policy sees them, with what the replay sent and scheduled."""
        view = self._view
        if view is None or self._view_base is not person.policy:
            pending = self.pending
            self._view_base = person.policy
            view = self._view = replace(
                person.policy,
                history=tuple(PastInvitation(key, at) for key, at in self.last_sent.items()),
                pending=Pending(
                    pending.number, pending.rule.key, pending.rule.priority, pending.due_at
                )
                if pending is not None
                else None,
            )
        return view

    def schedule(self, invitation: _Invitation) -> None:
        self.pending, self._view = invitation, None

    def cancel(self) -> None:
        self.pending, self._view = None, None

    def send(self) -> _Invitation:
        sent = self.pending
        assert sent is not None
        self.last_sent[sent.rule.survey_key] = sent.due_at
        self.pending, self._view = None, None
        return sent

    def forget(self, before: datetime) -> None:
        """Drop sends too old to block anything from now on."""
        if any(at <= before for at in self.last_sent.values()):
            self.last_sent = {key: at for key, at in self.last_sent.items() if at > before}
            self._view = None


class WindowMemo:
    """:func:`closeloop.policy.windows.next_allowed`, remembered, with the same answers.

    When the first allowed moment on or after a closed moment ``e`` is ``o``, nothing in
    ``[e, o)`` is allowed, so ``o`` is the answer for every moment in between too. A replay
    asks in time order, so most questions fall in a gap already measured (a night, a
    weekend) for the same window, zone and holiday calendar, and cost a comparison instead
    of a walk through the recipient's calendar.
    """

    # gaps kept per (window, zone, holidays): rules with different delays ask in turn
    RECENT = 8
    MAX_KEYS = 10_000

    def __init__(self) -> None:
        self._gaps: dict[tuple[object, ...], list[tuple[datetime, datetime]]] = {}

    def __call__(
        self,
        *,
        earliest: datetime,
        window: SendWindow | None,
        zone: ZoneInfo,
        holidays: HolidayCheck | None,
    ) -> datetime:
        if window is None:
            return windows.next_allowed(earliest=earliest, window=None, zone=zone)
        key = (window, zone, holidays)
        gaps = self._gaps.get(key)
        if gaps is not None:
            for start, opening in reversed(gaps):
                if start <= earliest <= opening:
                    return opening
        found = windows.next_allowed(earliest=earliest, window=window, zone=zone, holidays=holidays)
        if found > earliest:
            if gaps is None:
                if len(self._gaps) >= self.MAX_KEYS:
                    self._gaps.clear()
                gaps = self._gaps[key] = []
            gaps.append((earliest, found))
            if len(gaps) > self.RECENT:
                del gaps[0]
        return found


class Replay:
    """The in-memory engine: feed it events in time order, then :meth:`finish`."""

    def __init__(
        self, *, ruleset: RuleSet, policy: FatiguePolicy, active_surveys: frozenset[str]
    ) -> None:
        self.ruleset = ruleset
        self.policy = policy
        self.active_surveys = active_surveys
        # older sends cannot block anything any more (live: enrolment's history horizon)
        self.horizon = timedelta(days=max(policy.global_days, policy.per_survey_days, 1))
        self._states: dict[str, _State] = {}
        self._numbers = itertools.count(1)
        self._next_sweep: datetime | None = None
        self._windows = WindowMemo()
        self._keep = {
            rule.id: frozenset(name for spec in rule.cancel_if for name in spec.same)
            for rule in ruleset.rules
        }

    @property
    def people_in_memory(self) -> int:
        return len(self._states)

    def feed(self, event: ReplayEvent, person_key: str, person: Person | None) -> list[Happening]:
        """What one event leads to, in the live engine's order: the pending invitation
        sent if its time has come, cancel-if, then the rules listening to the event.

        ``person`` may be None when no rule listens to the event's name: only cancel-if
        can apply then, and it needs nothing but the person's key.
        """
        now = event.occurred_at
        happened: list[Happening] = []
        if self._next_sweep is None or now >= self._next_sweep:
            self._sweep(now, happened)
        state = self._states.get(person_key)
        if state is not None and state.pending is not None:
            if state.pending.due_at <= now:
                happened.append(_sent(person_key, state.send()))
            elif event.name in self.ruleset.cancelled_by:
                self._cancel(event, person_key, state, happened)
        listening = self.ruleset.listening_to(event.name)
        if not listening:
            return happened
        if person is None:
            raise ValueError(f"event {event.name!r} fires rules: its person is needed")
        facts = None
        firings: list[Firing] = []
        for rule in listening:
            if rule.predicate is not None:
                if facts is None:
                    facts = Facts(
                        event={"name": event.name, "properties": event.properties},
                        contact=person.contact,
                        account=person.account,
                    )
                if not rule.predicate(facts):
                    happened.append(
                        SimulatedDecision(
                            rule.key,
                            person_key,
                            Outcome.SKIPPED,
                            Reason.OUTSIDE_AUDIENCE,
                            now,
                            event_id=event.id,
                        )
                    )
                    continue
            firings.append(Firing(rule, now + rule.delay, event.id, event.name))
        if firings:
            self._decide(event, person_key, person, firings, happened)
        return happened

    def finish(self) -> list[SimulatedSend]:
        """Send what is still pending: no later event is left to cancel it."""
        sent = [_sent(key, state.send()) for key, state in self._states.items() if state.pending]
        self._states.clear()
        return sent

    def _decide(
        self,
        event: ReplayEvent,
        person_key: str,
        person: Person,
        firings: list[Firing],
        happened: list[Happening],
    ) -> None:
        now = event.occurred_at
        state = self._states.get(person_key)
        verdicts = decide(
            firings,
            state.view_of(person) if state is not None else person.policy,
            now=now,
            policy=self.policy,
            active_surveys=self.active_surveys,
            next_allowed=self._windows,
        )
        for verdict in verdicts:
            rule = verdict.firing.rule
            if verdict.outcome is not Outcome.SCHEDULED:
                happened.append(
                    SimulatedDecision(
                        rule.key,
                        person_key,
                        verdict.outcome,
                        verdict.reason,
                        now,
                        verdict.due_at,
                        event.id,
                    )
                )
                continue
            assert verdict.due_at is not None
            if state is None:
                state = self._states[person_key] = _State()
            if state.pending is not None:  # the verdict supersedes it
                happened.append(
                    SimulatedDecision(
                        state.pending.rule.key,
                        person_key,
                        Outcome.CANCELLED,
                        Reason.SUPERSEDED,
                        now,
                        event_id=event.id,
                    )
                )
            keep = self._keep[rule.id]
            state.schedule(
                _Invitation(
                    number=next(self._numbers),
                    rule=rule,
                    due_at=verdict.due_at,
                    fired_at=now,
                    fired_with={k: v for k, v in event.properties.items() if k in keep},
                    address=person.address,
                )
            )
            happened.append(
                SimulatedDecision(
                    rule.key, person_key, Outcome.SCHEDULED, None, now, verdict.due_at, event.id
                )
            )

    def _cancel(
        self, event: ReplayEvent, person_key: str, state: _State, happened: list[Happening]
    ) -> None:
        """Cancel-if, as the live engine's ``triggers.service._cancel`` does it."""
        pending = state.pending
        assert pending is not None
        by_rule = {hook.rule.id: hook for hook in self.ruleset.cancelled_by[event.name]}
        hook = by_rule.get(pending.rule.id)
        # an older event cannot undo what happened after it
        if hook is None or event.occurred_at < pending.fired_at:
            return
        facts = Facts(event={"name": event.name, "properties": event.properties})
        if cancels(hook, fired_with=pending.fired_with, event=facts):
            state.cancel()
            happened.append(
                SimulatedDecision(
                    pending.rule.key,
                    person_key,
                    Outcome.CANCELLED,
                    Reason.CANCELLED_BY_EVENT,
                    event.occurred_at,
                    event_id=event.id,
                )
            )

    def _sweep(self, now: datetime, happened: list[Happening]) -> None:
        """Once per fatigue horizon of replay time: send what is due, forget the idle."""
        self._next_sweep = now + self.horizon
        forget_before = now - self.horizon
        idle = []
        for key, state in self._states.items():
            if state.pending is not None and state.pending.due_at <= now:
                happened.append(_sent(key, state.send()))
            state.forget(forget_before)
            if state.pending is None and not state.last_sent:
                idle.append(key)
        for key in idle:
            del self._states[key]


def _sent(person_key: str, invitation: _Invitation) -> SimulatedSend:
    return SimulatedSend(invitation.rule.key, person_key, invitation.address, invitation.due_at)
