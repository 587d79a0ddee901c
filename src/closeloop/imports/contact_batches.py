"""Which rows of a batch create people, which change them, which are refused. Pure.

The batch is walked in file order against the people already stored (and those the
batch itself creates), exactly as if each row were upserted in turn: a person named by
two rows is created once and then updated, an address a row gives up is free for a
later row. Identity follows ``contacts.identity``: the external id is stronger than the
address, and a row whose identifiers belong to two different people is refused, never
merged. The result says what to insert and what to update, so the database sees one
multi-row statement of each kind per batch instead of a query per row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from closeloop.contacts import identity
from closeloop.contacts.fields import merge_traits
from closeloop.contacts.identity import IdentityConflict, Known
from closeloop.imports.contact_rows import ContactRow
from closeloop.imports.tally import Outcome

# the columns an import writes, in the order of StoredContact's fields after the id
COLUMNS = (
    "email",
    "external_id",
    "phone",
    "name",
    "locale",
    "time_zone",
    "role",
    "traits",
    "account_id",
)

_PENDING = re.compile(r"contact -\d+")
_NOBODY = dict.fromkeys(COLUMNS)


class StoredContact(NamedTuple):
    id: int
    email: str | None
    external_id: str | None
    phone: str | None
    name: str | None
    locale: str | None
    time_zone: str | None
    role: str | None
    traits: dict[str, Any]
    account_id: int | None


@dataclass
class ContactBatchPlan:
    # the column values of each new person, complete
    new: list[dict[str, Any]] = field(default_factory=list)
    # stored contact id → the columns that change, in the order people first changed
    changes: dict[int, dict[str, Any]] = field(default_factory=dict)
    # per row, in order: what becomes of it, or why it is refused
    results: list[Outcome | str] = field(default_factory=list)
    # a new person's address changed within the batch: an address no row keeps was named
    readdressed: bool = False

    @property
    def only_new_people(self) -> bool:
        """Every identifier a row named is one a new person keeps, and no row was refused.

        Such a plan, made against nobody, is the plan made against everybody exactly when
        none of those identifiers is stored: which inserting the new people checks.
        """
        return not self.readdressed and not any(result.__class__ is str for result in self.results)


def plan(
    rows: Sequence[ContactRow],
    stored: Iterable[StoredContact],
    account_ids: Mapping[str, int],
) -> ContactBatchPlan:
    """Walk ``rows`` against ``stored`` (everyone the rows name) and say what to write.

    ``account_ids`` holds the id of every company the rows name, by external id. A stored
    person is written once, with the difference between what is stored and where the
    batch leaves them: a file naming someone twice (the later row wins) writes nothing
    when imported again, and its rows count as unchanged.
    """
    walk = _Walk()
    before: dict[int, dict[str, Any]] = {}
    for contact in stored:
        person = dict(zip(COLUMNS, contact[1:], strict=True))
        before[contact.id] = dict(person)
        walk.add(contact.id, person)
    result = ContactBatchPlan()
    # the rows that changed someone, and whom: updated, unless it all comes back
    changed_by: dict[int, int] = {}
    for index, row in enumerate(rows):
        try:
            key = walk.find(row)
        except IdentityConflict as conflict:
            result.results.append(f"{conflict.field}: {conflict.detail}")
            continue
        wanted = row.values
        if row.account is not None:
            wanted = {**wanted, "account_id": account_ids[row.account]}
        if key is None:
            person = {**_NOBODY, **wanted, "email": row.email, "external_id": row.external_id}
            traits = row.traits
            # a row's traits are its own: kept as they are unless a null says to drop one
            person["traits"] = traits if None not in traits.values() else merge_traits({}, traits)
            walk.add(-1 - len(result.new), person)
            result.new.append(person)
            result.results.append(Outcome.CREATED)
            continue
        changed = _changes(walk.people[key], row, wanted)
        if changed:
            walk.change(key, changed)
            changed_by[index] = key
            result.readdressed |= key < 0 and "email" in changed
        result.results.append(Outcome.UNCHANGED)
    for key in dict.fromkeys(changed_by.values()):
        if key > 0:
            person = walk.people[key]
            difference = {
                name: person[name] for name in COLUMNS if person[name] != before[key][name]
            }
            if difference:
                result.changes[key] = difference
    for index, key in changed_by.items():
        if key < 0 or key in result.changes:
            result.results[index] = Outcome.UPDATED
    return result


def _changes(person: dict[str, Any], row: ContactRow, wanted: dict[str, Any]) -> dict[str, Any]:
    changed = {name: value for name, value in wanted.items() if person[name] != value}
    if row.email is not None and row.email != person["email"]:
        changed["email"] = row.email
    if row.external_id is not None and person["external_id"] is None:
        changed["external_id"] = row.external_id
    if row.traits:
        traits = merge_traits(person["traits"], row.traits)
        if traits != person["traits"]:
            changed["traits"] = traits
    return changed


class _Walk:
    """Everyone known so far, by key (negative for people this batch creates)."""

    def __init__(self) -> None:
        self.people: dict[int, dict[str, Any]] = {}
        self._by_email: dict[str, int] = {}
        self._by_external_id: dict[str, int] = {}

    def add(self, key: int, person: dict[str, Any]) -> None:
        self.people[key] = person
        if person["email"] is not None:
            self._by_email[person["email"]] = key
        if person["external_id"] is not None:
            self._by_external_id[person["external_id"]] = key

    def change(self, key: int, changed: dict[str, Any]) -> None:
        person = self.people[key]
        if "email" in changed and person["email"] is not None:
            self._by_email.pop(person["email"], None)
        person.update(changed)
        self.add(key, person)

    def find(self, row: ContactRow) -> int | None:
        """The key of the person the row is, None for someone new; may raise a conflict."""
        email_key = self._by_email.get(row.email) if row.email is not None else None
        if row.external_id is None:
            return email_key
        external_key = self._by_external_id.get(row.external_id)
        if external_key is None and email_key is None:
            return None  # someone new: nothing to reconcile
        if external_key is not None and email_key in (None, external_key):
            return external_key  # found by external id, and the address agrees
        by_email = self._known(email_key)
        by_external_id = self._known(external_key)
        try:
            found = identity.match(
                email=row.email,
                external_id=row.external_id,
                by_email=by_email,
                by_external_id=by_external_id,
            )
        except IdentityConflict as conflict:
            # people this batch creates have no contact id yet: name them by their row
            detail = _PENDING.sub("the new person of an earlier row", conflict.detail)
            raise IdentityConflict(detail, field=conflict.field) from None
        return found.key if found is not None else None

    def _known(self, key: int | None) -> Known | None:
        if key is None:
            return None
        person = self.people[key]
        return Known(key=key, email=person["email"], external_id=person["external_id"])
