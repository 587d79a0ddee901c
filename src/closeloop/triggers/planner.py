"""The planner: the time-driven triggers, run every ``planner_interval_seconds``.

One round plans recurring slots, prunes the done slots of long-past periods, turns due
slots into invitations, sweeps date traits and ticks campaigns. Every step is its own
short transaction and every loop has a bound, so a round never holds the database
(SQLite has one writer) for long, a stop request is honoured between two steps, and work
left over (a million slots to plan) simply goes on in the next round, which then starts
at once. A step that fails is logged and the others
go on: one broken rule must not stop the rest. Several planners, in one process or on
many machines, can run side by side: each job locks its own progress row or claims its
rows with ``SKIP LOCKED``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

from closeloop.runtime import Runtime
from closeloop.triggers import campaigns, dates, recurring, rules
from closeloop.triggers.engine import CompiledRule, RuleSet
from closeloop.triggers.models import Decision, Outcome, RuleKind

log = logging.getLogger(__name__)

# the bounds of one round: rows per transaction, and transactions per rule (planning,
# pruning, sweeping) or in all (materialising); a planning batch is cheap per row
# (bench/recurring.py), a pruning one too (some 40 ms for 10,000 slots on SQLite), a batch
# that enrols people runs the whole policy for each
PLAN_BATCH: Final = 10_000
PLAN_BATCHES: Final = 10
PRUNE_BATCH: Final = 10_000
PRUNE_BATCHES: Final = 10
MATERIALISE_BATCH: Final = 500
MATERIALISE_BATCHES: Final = 20
SWEEP_BATCH: Final = 500
SWEEP_BATCHES: Final = 20
STOP_TIMEOUT_SECONDS: Final = 30


@dataclass
class PlannerReport:
    """What one round did."""

    slots_planned: int = 0
    slots_pruned: int = 0
    scheduled: int = 0
    skipped: int = 0
    cancelled: int = 0
    failures: int = 0
    # a bound was reached: there is more to do right away
    more: bool = False

    def count(self, decisions: list[Decision]) -> None:
        for decision in decisions:
            if decision.outcome == Outcome.SCHEDULED:
                self.scheduled += 1
            elif decision.outcome == Outcome.SKIPPED:
                self.skipped += 1
            else:
                self.cancelled += 1


def run_once(runtime: Runtime, stop: threading.Event | None = None) -> PlannerReport:
    """One round of every time-driven job."""
    stop = stop or threading.Event()
    report = PlannerReport()
    with runtime.read_transaction() as session:
        ruleset = rules.load_ruleset(
            session=session, default_window=runtime.settings.default_send_window
        )
    for rule in ruleset.of_kind(RuleKind.RECURRING):
        with _guard(report, f"planning {rule.key}"):
            _plan(runtime, rule, report, stop)
        with _guard(report, f"pruning {rule.key}"):
            _prune(runtime, rule, report, stop)
    with _guard(report, "materialising recurring slots"):
        _materialise(runtime, ruleset, report, stop)
    for rule in ruleset.of_kind(RuleKind.DATE):
        with _guard(report, f"sweeping {rule.key}"):
            _sweep(runtime, rule, ruleset, report, stop)
    for rule in ruleset.of_kind(RuleKind.CAMPAIGN):
        if stop.is_set():
            break
        with _guard(report, f"ticking campaign {rule.key}"):
            _tick(runtime, rule, ruleset, report)
    return report


def run_forever(runtime: Runtime, stop: threading.Event) -> None:
    """Plan until ``stop`` is set: straight on while work is left over, else wait."""
    interval = runtime.settings.planner_interval_seconds
    log.info("planner started (every %.0fs)", interval)
    while not stop.is_set():
        try:
            more = run_once(runtime, stop).more
        except Exception:
            log.exception("planning failed; trying again in %.1fs", interval)
            more = False
        if not more:
            stop.wait(interval)
    log.info("planner stopped")


@contextmanager
def in_background(runtime: Runtime) -> Iterator[threading.Thread]:
    """The planner in a thread for the duration of the block; stopped and joined at exit."""
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(runtime, stop), name="planner", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(timeout=STOP_TIMEOUT_SECONDS)


@contextmanager
def _guard(report: PlannerReport, what: str) -> Iterator[None]:
    """Log and count a failed job, and let the round go on with the next one."""
    try:
        yield
    except Exception:
        log.exception("planner: %s failed", what)
        report.failures += 1


def _plan(
    runtime: Runtime, rule: CompiledRule, report: PlannerReport, stop: threading.Event
) -> None:
    now = runtime.clock.now()
    periods = recurring.periods_due(rule, now)
    for period in periods:
        for _ in range(PLAN_BATCHES):
            if stop.is_set():
                return
            with runtime.transaction() as session:
                step = recurring.plan_step(
                    session=session, rule=rule, period=period, now=now, batch_size=PLAN_BATCH
                )
            report.slots_planned += step.planned
            if step.up_to_date:
                break
        else:
            report.more = True
    with runtime.transaction() as session:
        recurring.forget_past_periods(session=session, rule=rule, now=now)


def _prune(
    runtime: Runtime, rule: CompiledRule, report: PlannerReport, stop: threading.Event
) -> None:
    now = runtime.clock.now()
    for _ in range(PRUNE_BATCHES):
        if stop.is_set():
            return
        with runtime.transaction() as session:
            pruned = recurring.prune_done_slots(
                session=session, rule=rule, now=now, limit=PRUNE_BATCH
            )
        report.slots_pruned += pruned
        if pruned < PRUNE_BATCH:
            return
    report.more = True


def _materialise(
    runtime: Runtime, ruleset: RuleSet, report: PlannerReport, stop: threading.Event
) -> None:
    for _ in range(MATERIALISE_BATCHES):
        if stop.is_set():
            return
        with runtime.transaction() as session:
            batch = recurring.materialise(
                session=session,
                ruleset=ruleset,
                settings=runtime.settings,
                now=runtime.clock.now(),
                limit=MATERIALISE_BATCH,
            )
        report.count(batch.decisions)
        if batch.claimed < MATERIALISE_BATCH:
            return
    report.more = True


def _sweep(
    runtime: Runtime,
    rule: CompiledRule,
    ruleset: RuleSet,
    report: PlannerReport,
    stop: threading.Event,
) -> None:
    for _ in range(SWEEP_BATCHES):
        if stop.is_set():
            return
        with runtime.transaction() as session:
            step = dates.sweep_step(
                session=session,
                rule=rule,
                ruleset=ruleset,
                settings=runtime.settings,
                now=runtime.clock.now(),
                batch_size=SWEEP_BATCH,
            )
        report.count(step.decisions)
        if step.finished:
            return
    report.more = True


def _tick(runtime: Runtime, rule: CompiledRule, ruleset: RuleSet, report: PlannerReport) -> None:
    with runtime.transaction() as session:
        tick = campaigns.tick(
            session=session,
            rule=rule,
            ruleset=ruleset,
            settings=runtime.settings,
            now=runtime.clock.now(),
        )
    report.count(tick.decisions)
