"""Simulating today's rules over past events: what they would have sent, to whom, and what
the policy would have stopped — so a CX lead can tune a rule before switching it on.
Nothing is written: the caller may hold a read-only transaction.

Events come from the event log or from a JSONL file in the API's event shape
(:mod:`closeloop.triggers.simulation_sources`). The log is never loaded into memory: the
events of each name a rule listens to (or cancels on) are read in time order through the
``(name, occurred_at)`` index and merged, people are read in batches as their events come
and kept in a bounded LRU, and properties are decoded only for the names whose properties
a rule reads.

The replay itself (:mod:`closeloop.triggers.replay`) decides with the live engine's pure
policy; what a simulation cannot know is said in its output and in
docs/performance.md: people are taken as they are today (traits, consent, time zone),
the replay starts with nobody surveyed, and date, recurring and campaign rules are
listed as not simulated.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.errors import InvalidInput, NotFound
from closeloop.surveys.models import Survey
from closeloop.triggers import rules
from closeloop.triggers import simulation_sources as sources
from closeloop.triggers.definitions import parse_rule
from closeloop.triggers.engine import RuleSet, compile_rule
from closeloop.triggers.models import Rule
from closeloop.triggers.reads import FactsRead
from closeloop.triggers.replay import Happening, Replay, ReplayEvent
from closeloop.triggers.simulation_report import SimulationReport, Tally, not_simulated

# people kept between their events; a replay reads each person again only once evicted
DEFAULT_PEOPLE_CACHE: Final = 50_000
# events handled per round: their unknown people are read in one query
READ_BATCH: Final = 2_000
_NO_PROPERTIES: Mapping[str, object] = {}

# sees every simulated decision and send as it happens
Observer = Callable[[Happening], object]


def load_rules(
    *, session: Session, settings: Settings, keys: Sequence[str] = ()
) -> tuple[RuleSet, frozenset[str]]:
    """The rules to simulate and the keys of those among them that are switched off.

    Without keys: today's enabled rules. With keys: those rules only, switched off or
    not, so a rule can be tried before it is switched on.
    """
    window = settings.default_send_window
    if not keys:
        return rules.load_ruleset(session=session, default_window=window), frozenset()
    rows = session.execute(
        select(Rule.id, Rule.key, Rule.version, Rule.definition, Rule.enabled).where(
            Rule.key.in_(set(keys))
        )
    ).all()
    missing = sorted(set(keys) - {row.key for row in rows})
    if missing:
        raise NotFound(f"no rule with key {missing[0]!r}", field="rule")
    ruleset = RuleSet.of(
        compile_rule(
            rule_id=row.id,
            version=row.version,
            definition=parse_rule(row.definition).model_copy(update={"enabled": True}),
            default_window=window,
        )
        for row in rows
    )
    return ruleset, frozenset(row.key for row in rows if not row.enabled)


def simulate_events(
    *,
    session: Session,
    settings: Settings,
    since: datetime,
    until: datetime,
    rule_keys: Sequence[str] = (),
    people_cache: int = DEFAULT_PEOPLE_CACHE,
    observe: Observer | None = None,
) -> SimulationReport:
    """Replay the events that happened in ``[since, until)`` through the rules.

    ``observe``, when given, sees every simulated decision and send as it happens (the
    report keeps only counts).
    """
    ruleset, switched_off = load_rules(session=session, settings=settings, keys=rule_keys)
    replay = Replay(
        ruleset=ruleset, policy=settings.fatigue_policy, active_surveys=_active_surveys(session)
    )
    tally = Tally(ruleset.rules, period_end=until, switched_off=switched_off)
    record = _recorder(tally, observe)
    people = sources.People(
        session, settings, FactsRead.of(ruleset), capacity=max(people_cache, 2 * READ_BATCH)
    )
    replayed = 0
    with sources.reading_once(session):
        stream = sources.read_log(session, ruleset, since=since, until=until)
        while batch := list(itertools.islice(stream, READ_BATCH)):
            people.load(
                contact_id for _, _, name, contact_id, _ in batch if name in ruleset.by_event
            )
            for occurred_at, event_id, name, contact_id, properties in batch:
                person = people.get(contact_id) if name in ruleset.by_event else None
                if person is None and name in ruleset.by_event:
                    continue  # erased since: nobody left to survey
                event = ReplayEvent(event_id, name, occurred_at, properties or _NO_PROPERTIES)
                record(replay.feed(event, str(contact_id), person))
                replayed += 1
    record(replay.finish())
    return tally.report(
        source="the event log",
        since=since,
        until=until,
        events=replayed,
        not_simulated=not_simulated(ruleset.rules),
    )


def simulate_file(
    *,
    session: Session,
    settings: Settings,
    lines: Iterable[str],
    since: datetime | None = None,
    until: datetime | None = None,
    rule_keys: Sequence[str] = (),
    name: str = "a file",
    observe: Observer | None = None,
) -> SimulationReport:
    """Replay a JSONL file of events in the API's shape, one event a line, in time order.

    A file describes its people: each line's contact (its identity, fields and traits) is
    the person the rules see, and the contacts table is not read. A person is known by the
    identity the line gives (``id``, else ``external_id``, else ``email``), which is also
    what sampling hashes.
    """
    ruleset, switched_off = load_rules(session=session, settings=settings, keys=rule_keys)
    replay = Replay(
        ruleset=ruleset, policy=settings.fatigue_policy, active_surveys=_active_surveys(session)
    )
    tally = Tally(ruleset.rules, period_end=until, switched_off=switched_off)
    record = _recorder(tally, observe)
    holidays = sources.HolidayCalendars(settings)
    replayed = 0
    previous: datetime | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        event, occurred_at = sources.parse_line(line, number)
        if previous is not None and occurred_at < previous:
            raise InvalidInput(
                f"line {number}: events must be in time order ({occurred_at.isoformat()} "
                f"comes after {previous.isoformat()}); sort the file by timestamp",
                field="file",
            )
        previous = occurred_at
        outside = (since is not None and occurred_at < since) or (
            until is not None and occurred_at >= until
        )
        if outside or (
            event.name not in ruleset.by_event and event.name not in ruleset.cancelled_by
        ):
            continue
        key, person = sources.person_of_line(event, settings, holidays)
        record(
            replay.feed(ReplayEvent(None, event.name, occurred_at, event.properties), key, person)
        )
        replayed += 1
    record(replay.finish())
    return tally.report(
        source=name,
        since=since,
        until=until,
        events=replayed,
        not_simulated=not_simulated(ruleset.rules),
    )


def _recorder(tally: Tally, observe: Observer | None) -> Callable[[Iterable[Happening]], None]:
    if observe is None:
        return tally.add_all

    def record(happenings: Iterable[Happening]) -> None:
        for happening in happenings:
            tally.add(happening)
            observe(happening)

    return record


def _active_surveys(session: Session) -> frozenset[str]:
    return frozenset(session.scalars(select(Survey.key).where(Survey.active.is_(True))))
