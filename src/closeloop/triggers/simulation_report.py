"""What a simulation found, per rule: sends per ISO week, a sample of recipients, and how
many firings the policy stopped and why. Pure: the replay's happenings in, a report and
its table or JSON out.

Counts are kept, never the happenings themselves, so a replay of millions of events
reports in constant memory.
"""

from __future__ import annotations

import enum
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text

from closeloop.triggers.definitions import EventRule
from closeloop.triggers.engine import CompiledRule
from closeloop.triggers.models import Outcome
from closeloop.triggers.replay import Happening, SimulatedDecision

SAMPLE_SIZE = 5
TABLE_SAMPLE = 3  # the JSON has the whole sample


class Format(enum.StrEnum):
    TABLE = "table"
    JSON = "json"


@dataclass
class RuleForecast:
    """One rule's figures over the replayed period."""

    key: str
    name: str
    kind: str
    event: str | None
    enabled: bool
    # the rule's event came for someone (whatever the verdict)
    fired: int = 0
    scheduled: int = 0
    sent: int = 0
    # sends whose due time lies after the replayed period (counted in their week too)
    due_after_period: int = 0
    sent_per_week: Counter[str] = field(default_factory=Counter)
    # skipped firings and cancelled invitations, by reason
    suppressed: Counter[str] = field(default_factory=Counter)
    sample: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NotSimulated:
    key: str
    kind: str
    why: str


@dataclass(frozen=True)
class SimulationReport:
    source: str
    since: datetime | None
    until: datetime | None
    events: int
    rules: list[RuleForecast]
    not_simulated: list[NotSimulated]


_WHY_NOT = {
    "date": "fires from a date trait, not from events: not simulated",
    "recurring": "sends on a schedule, not from events: not simulated",
    "campaign": "sends to an audience, not from events: not simulated",
}


def not_simulated(rules: Iterable[CompiledRule]) -> list[NotSimulated]:
    """The rules a replay of events cannot speak for, said plainly in the output."""
    return [
        NotSimulated(rule.key, rule.kind.value, _WHY_NOT[rule.kind.value])
        for rule in rules
        if not isinstance(rule.definition, EventRule)
    ]


class Tally:
    """Counts the replay's happenings per rule as they come."""

    def __init__(
        self,
        rules: Sequence[CompiledRule],
        *,
        period_end: datetime | None,
        switched_off: frozenset[str] = frozenset(),
    ) -> None:
        self.period_end = period_end
        self.forecasts = {
            rule.key: RuleForecast(
                key=rule.key,
                name=rule.definition.name,
                kind=rule.kind.value,
                event=rule.definition.event if isinstance(rule.definition, EventRule) else None,
                enabled=rule.key not in switched_off,
            )
            for rule in rules
            if isinstance(rule.definition, EventRule)
        }
        self._sampled: dict[str, set[str]] = {key: set() for key in self.forecasts}

    def add(self, happening: Happening) -> None:
        forecast = self.forecasts[happening.rule_key]
        if isinstance(happening, SimulatedDecision):
            if happening.outcome is not Outcome.CANCELLED:
                forecast.fired += 1
            if happening.outcome is Outcome.SCHEDULED:
                forecast.scheduled += 1
            elif happening.reason is not None:
                forecast.suppressed[happening.reason.value] += 1
            return
        forecast.sent += 1
        year, week, _ = happening.sent_at.isocalendar()
        forecast.sent_per_week[f"{year}-W{week:02d}"] += 1
        if self.period_end is not None and happening.sent_at >= self.period_end:
            forecast.due_after_period += 1
        sampled = self._sampled[happening.rule_key]
        if happening.address and len(sampled) < SAMPLE_SIZE and happening.address not in sampled:
            sampled.add(happening.address)
            forecast.sample.append(happening.address)

    def add_all(self, happenings: Iterable[Happening]) -> None:
        for happening in happenings:
            self.add(happening)

    def report(
        self,
        *,
        source: str,
        since: datetime | None,
        until: datetime | None,
        events: int,
        not_simulated: list[NotSimulated],
    ) -> SimulationReport:
        return SimulationReport(
            source=source,
            since=since,
            until=until,
            events=events,
            rules=sorted(self.forecasts.values(), key=lambda forecast: forecast.key),
            not_simulated=not_simulated,
        )


def to_json(report: SimulationReport) -> str:
    document = {
        "source": report.source,
        "since": _instant(report.since),
        "until": _instant(report.until),
        "events": report.events,
        "rules": [
            {
                "key": f.key,
                "name": f.name,
                "kind": f.kind,
                "event": f.event,
                "enabled": f.enabled,
                "fired": f.fired,
                "scheduled": f.scheduled,
                "sent": f.sent,
                "due_after_period": f.due_after_period,
                "sent_per_week": dict(sorted(f.sent_per_week.items())),
                "suppressed": dict(sorted(f.suppressed.items())),
                "sample": f.sample,
            }
            for f in report.rules
        ],
        "not_simulated": [
            {"key": n.key, "kind": n.kind, "why": n.why} for n in report.not_simulated
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def to_table(report: SimulationReport) -> Group:
    """Sends per week (a column per rule), then each rule's verdicts, then what was left out."""
    if report.since is None and report.until is None:
        span = "all of it"
    else:
        span = f"{_moment(report.since)} to {_moment(report.until)} UTC, end excluded"
    parts: list[Table | Text] = [
        Text(
            f"Replayed {report.events:,} events from {report.source} ({span}) through the "
            "rules and the policy; nothing was sent."
        )
    ]
    if report.rules:
        per_week = Table(title="Surveys that would be sent, per ISO week")
        per_week.add_column("Week")
        for forecast in report.rules:
            per_week.add_column(Text(forecast.key), justify="right")
        for week in sorted({week for f in report.rules for week in f.sent_per_week}):
            per_week.add_row(week, *(f"{f.sent_per_week[week]:,}" for f in report.rules))
        per_week.add_section()
        per_week.add_row("Total", *(f"{f.sent:,}" for f in report.rules))
        parts.append(per_week)
        verdicts = Table(title="Per rule")
        for column in ("Rule", "Event", "Fired", "Sent", "Suppressed", "Sample of recipients"):
            verdicts.add_column(column, justify="right" if column in ("Fired", "Sent") else "left")
        for f in report.rules:
            suppressed = ", ".join(f"{reason} {n:,}" for reason, n in f.suppressed.most_common())
            after = f" ({f.due_after_period:,} due after the period)" if f.due_after_period else ""
            verdicts.add_row(
                Text(f.key + ("" if f.enabled else " (off)")),
                Text(f.event or ""),
                f"{f.fired:,}",
                f"{f.sent:,}{after}",
                Text(suppressed or "—"),
                Text(", ".join(f.sample[:TABLE_SAMPLE]) or "—"),
            )
        parts.append(verdicts)
    else:
        parts.append(Text("No event rule to simulate."))
    parts.extend(Text(f"Rule {n.key} ({n.kind}) {n.why}.") for n in report.not_simulated)
    return Group(*parts)


def _instant(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def _moment(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "…"
