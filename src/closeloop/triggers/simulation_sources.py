"""Where a simulation's events and people come from: the event log read in time order
without sorting or keeping it, the contacts table read in batches into a bounded LRU, or
the lines of a JSONL file. Reading only; nothing here decides.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy import null, select
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.contacts.models import Account, Contact
from closeloop.errors import InvalidInput
from closeloop.events.models import Event
from closeloop.events.schemas import EventIn
from closeloop.invitations.eligibility import reachable_channels
from closeloop.policy.windows import HolidayCheck, holiday_checker, resolve_zone
from closeloop.triggers.deciding import PersonState
from closeloop.triggers.engine import RuleSet
from closeloop.triggers.facts import account_facts, contact_facts
from closeloop.triggers.reads import FactsRead, names_needing_properties
from closeloop.triggers.replay import Person

# rows buffered over all the per-name streams together (each gets its share)
STREAM_BUFFER: Final = 20_000
# SQLite's page cache while replaying (negative: KiB)
LEAN_CACHE_SIZE: Final = -8_192


@contextmanager
def reading_once(session: Session) -> Iterator[None]:
    """On SQLite, read the log without keeping it in the process.

    The engine's connections map up to 256 MiB of the file and cache up to 128 MiB of
    pages, which pays for the hot pages of a live workload; a replay reads the log once,
    front to back, and would only grow the process by the size of the log (measured in
    bench/triggers.py). The connection's settings are restored afterwards.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    mmap_size = int(connection.exec_driver_sql("PRAGMA mmap_size").scalar_one())
    cache_size = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
    connection.exec_driver_sql("PRAGMA mmap_size=0")
    connection.exec_driver_sql(f"PRAGMA cache_size={LEAN_CACHE_SIZE}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA mmap_size={mmap_size}")
        connection.exec_driver_sql(f"PRAGMA cache_size={cache_size}")


def read_log(
    session: Session, ruleset: RuleSet, *, since: datetime, until: datetime
) -> Iterator[tuple[datetime, int, str, int, Any]]:
    """The events the rules listen to or cancel on, in (occurred_at, id) order.

    One query per event name, each served in order by the ``(name, occurred_at)`` index,
    merged here: no sort of the log, and events of other names are never read.
    """
    names = sorted(set(ruleset.by_event) | set(ruleset.cancelled_by))
    decoded = names_needing_properties(ruleset)
    share = max(100, STREAM_BUFFER // max(1, len(names)))
    return heapq.merge(
        *(
            _by_name(
                session,
                name,
                with_properties=name in decoded,
                since=since,
                until=until,
                buffer=share,
            )
            for name in names
        )
    )


def _by_name(
    session: Session,
    name: str,
    *,
    with_properties: bool,
    since: datetime,
    until: datetime,
    buffer: int,
) -> Iterator[tuple[datetime, int, str, int, Any]]:
    query = (
        select(
            Event.occurred_at,
            Event.id,
            Event.contact_id,
            Event.properties if with_properties else null(),
        )
        .where(
            Event.name == name,
            Event.occurred_at >= since,
            Event.occurred_at < until,
            Event.contact_id.is_not(None),
        )
        .order_by(Event.occurred_at, Event.id)
    )
    # Core, not the ORM's result machinery: rows are plain values here
    result = session.connection().execute(query, execution_options={"yield_per": buffer})
    for occurred_at, event_id, contact_id, properties in result:
        yield occurred_at, event_id, name, contact_id, properties


class HolidayCalendars:
    """One holiday check per country, shared by everyone living there."""

    def __init__(self, settings: Settings) -> None:
        self.default_country = settings.workspace_country
        self._checks: dict[str | None, HolidayCheck] = {}

    def of(self, country: object) -> HolidayCheck:
        code = country if isinstance(country, str) else self.default_country
        check = self._checks.get(code)
        if check is None:
            check = self._checks[code] = holiday_checker(code)
        return check


class People:
    """People read from the contacts table in batches and kept in a bounded LRU.

    Each is kept slim (only the fields the rules read, see :class:`FactsRead`), and
    what many share — an account's facts, a set of channels — is kept once.
    """

    def __init__(
        self, session: Session, settings: Settings, read: FactsRead, *, capacity: int
    ) -> None:
        self.session = session
        self.settings = settings
        self.read = read
        self.capacity = capacity
        self.holidays = HolidayCalendars(settings)
        self._cache: OrderedDict[int, Person | None] = OrderedDict()
        self._accounts: dict[int, Mapping[str, object]] = {}
        self._channels: dict[frozenset[str], frozenset[str]] = {}

    def load(self, contact_ids: Iterable[int]) -> None:
        """Make sure these people are at hand (the most recently used, so kept)."""
        missing = []
        for contact_id in dict.fromkeys(contact_ids):
            if contact_id in self._cache:
                self._cache.move_to_end(contact_id)
            else:
                missing.append(contact_id)
        if not missing:
            return
        query = (
            select(
                Contact.id,
                Contact.email,
                Contact.phone,
                Contact.external_id,
                Contact.name,
                Contact.locale,
                Contact.time_zone,
                Contact.role,
                Contact.traits,
                Contact.unsubscribed_at,
                Contact.bounced_at,
                Contact.account_id,
                Account.name,
                Account.domain,
                Account.time_zone,
                Account.traits,
            )
            .outerjoin(Account, Contact.account_id == Account.id)
            .where(Contact.id.in_(missing))
        )
        found: dict[int, Person | None] = dict.fromkeys(missing)
        for row in self.session.connection().execute(query):
            found[row[0]] = self._person(row)
        for contact_id, person in found.items():
            self._cache[contact_id] = person
        while len(self._cache) > self.capacity:
            self._cache.popitem(last=False)
        if len(self._accounts) > self.capacity:
            self._accounts.clear()

    def get(self, contact_id: int) -> Person | None:
        return self._cache.get(contact_id)

    def _person(self, row: Sequence[Any]) -> Person:
        (
            contact_id, email, phone, external_id, name, locale, time_zone, role, traits,
            unsubscribed_at, bounced_at,
            account_id, account_name, domain, account_zone, account_traits,
        ) = row  # fmt: skip
        contact = contact_facts(
            role=role, locale=locale, time_zone=time_zone, name=name, email=email, phone=phone,
            external_id=external_id, traits=traits,
        )  # fmt: skip
        account: Mapping[str, object] = {}
        if account_id is not None:
            account = self._accounts.get(account_id) or self._accounts.setdefault(
                account_id,
                self.read.slim(
                    "account",
                    account_facts(
                        name=account_name, domain=domain, time_zone=account_zone,
                        traits=account_traits,
                    ),
                ),
            )  # fmt: skip
        channels = reachable_channels(email=email, phone=phone)
        country = (traits or {}).get("country") or (account_traits or {}).get("country")
        suppressed = "unsubscribed" if unsubscribed_at else ("bounced" if bounced_at else None)
        return Person(
            address=email or phone or external_id,
            contact=self.read.slim("contact", contact),
            account=account,
            policy=PersonState(
                contact_key=str(contact_id),
                suppressed=suppressed,
                reachable=self._channels.setdefault(channels, channels),
                zone=resolve_zone(time_zone, account_zone, self.settings.workspace_time_zone),
                holidays=self.holidays.of(country),
            ),
        )


def parse_line(line: str, number: int) -> tuple[EventIn, datetime]:
    """An event of the file, and when it happened (a past event needs its time)."""
    try:
        event = EventIn.model_validate_json(line)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(
            f"line {number}: {where + ': ' if where else ''}{first['msg']}", field="file"
        ) from None
    if event.timestamp is None:
        raise InvalidInput(f"line {number}: timestamp: a past event needs its time", field="file")
    return event, event.timestamp.astimezone(UTC)


def person_of_line(
    event: EventIn, settings: Settings, holidays: HolidayCalendars
) -> tuple[str, Person]:
    ref = event.contact
    if ref.id is not None:
        key = str(ref.id)
    elif ref.external_id is not None:
        key = f"external_id:{ref.external_id}"
    else:
        key = f"email:{ref.email}"
    traits = ref.traits or {}
    person = Person(
        address=ref.email or ref.phone or ref.external_id,
        contact=contact_facts(
            role=ref.role.value if ref.role else None, locale=ref.locale,
            time_zone=ref.time_zone, name=ref.name, email=ref.email, phone=ref.phone,
            external_id=ref.external_id, traits=traits,
        ),
        account={},
        policy=PersonState(
            contact_key=key,
            suppressed=None,
            reachable=reachable_channels(email=ref.email, phone=ref.phone),
            zone=resolve_zone(ref.time_zone, None, settings.workspace_time_zone),
            holidays=holidays.of(traits.get("country")),
        ),
    )  # fmt: skip
    return key, person
