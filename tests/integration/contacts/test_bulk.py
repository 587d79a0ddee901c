"""Resolving the people of a whole batch at once: as if each were upserted in turn."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from closeloop.clock import FrozenClock
from closeloop.contacts import bulk
from closeloop.contacts.models import Account, Contact
from closeloop.contacts.schemas import ContactRef
from closeloop.errors import Conflict, InvalidInput
from closeloop.runtime import Runtime
from tests.integration.contacts.factories import count_contacts, load, upsert


def resolve(runtime: Runtime, *refs: dict[str, Any]) -> list[int]:
    parsed = [ContactRef.model_validate(ref) for ref in refs]
    with runtime.transaction() as session:
        return bulk.resolve(
            session=session,
            refs=parsed,
            paths=[f"events.{n}.contact" for n in range(len(parsed))],
            now=runtime.clock.now(),
        )


def test_known_people_are_found_by_any_identifier(runtime: Runtime) -> None:
    ana_id, _ = upsert(runtime, email="ana@acme.example", external_id="u-1")
    bob_id, _ = upsert(runtime, email="bob@acme.example")
    ids = resolve(
        runtime,
        {"email": "ana@acme.example"},
        {"external_id": "u-1"},
        {"id": bob_id},
        {"email": "BOB@acme.example"},
    )
    assert ids == [ana_id, ana_id, bob_id, bob_id]
    assert count_contacts(runtime) == 2


def test_new_people_are_created_once_however_often_named(runtime: Runtime) -> None:
    ids = resolve(
        runtime,
        {"email": "new@acme.example", "traits": {"plan": "free"}},
        {"email": "new@acme.example", "external_id": "u-7", "traits": {"plan": "pro"}},
        {"external_id": "u-7", "name": "Nora"},
        {"external_id": "u-8"},
    )
    assert ids[0] == ids[1] == ids[2] != ids[3]
    nora = load(runtime, ids[0])
    assert (nora.email, nora.external_id, nora.name) == ("new@acme.example", "u-7", "Nora")
    assert nora.traits == {"plan": "pro"}
    assert count_contacts(runtime) == 2


def test_known_people_are_updated_in_batch_order(runtime: Runtime) -> None:
    ana_id, _ = upsert(runtime, email="ana@acme.example", traits={"plan": "free", "seats": 2})
    resolve(
        runtime,
        {"email": "ana@acme.example", "traits": {"plan": "pro"}, "role": "end_user"},
        {"email": "ana@acme.example", "external_id": "u-1", "traits": {"seats": None}},
        {"external_id": "u-1", "role": "billing", "name": None},
    )
    ana = load(runtime, ana_id)
    assert ana.traits == {"plan": "pro"}
    assert (ana.external_id, ana.role, ana.name) == ("u-1", "billing", None)


def test_an_address_given_up_in_the_batch_can_be_taken_in_it(runtime: Runtime) -> None:
    ana_id, _ = upsert(runtime, email="shared@acme.example", external_id="u-1")
    ids = resolve(
        runtime,
        {"external_id": "u-1", "email": "ana@acme.example"},
        {"email": "shared@acme.example"},
    )
    assert ids[0] == ana_id != ids[1]
    assert load(runtime, ids[1]).email == "shared@acme.example"


def test_an_unknown_id_names_the_item(runtime: Runtime) -> None:
    with pytest.raises(InvalidInput) as raised:
        resolve(runtime, {"email": "ana@acme.example"}, {"id": 4040})
    assert raised.value.field == "events.1.contact.id"
    assert count_contacts(runtime) == 0


def test_a_conflict_names_the_item_and_writes_nothing(runtime: Runtime) -> None:
    upsert(runtime, email="ana@acme.example", name="Ana")
    upsert(runtime, external_id="u-2")
    with pytest.raises(Conflict) as raised:
        resolve(
            runtime,
            {"email": "new@acme.example"},
            {"email": "ana@acme.example", "name": "Changed"},
            {"email": "ana@acme.example", "external_id": "u-2"},
        )
    assert raised.value.field == "events.2.contact.email"
    assert count_contacts(runtime) == 2
    with runtime.transaction() as session:
        names = set(session.scalars(select(Contact.name)))
    assert names == {"Ana", None}


def test_a_conflict_between_two_new_people_in_one_batch(runtime: Runtime) -> None:
    with pytest.raises(Conflict) as raised:
        resolve(
            runtime,
            {"email": "a@acme.example", "external_id": "u-1"},
            {"external_id": "u-2"},
            {"email": "a@acme.example", "external_id": "u-2"},
        )
    assert raised.value.field == "events.2.contact.email"


def test_accounts_are_found_or_created_by_key(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        first = bulk.resolve_accounts(
            session=session, external_ids={"acct-1", "acct-2"}, now=runtime.clock.now()
        )
    with runtime.transaction() as session:
        again = bulk.resolve_accounts(
            session=session, external_ids={"acct-2", "acct-3"}, now=runtime.clock.now()
        )
        names = set(session.scalars(select(Account.name)))
    assert again["acct-2"] == first["acct-2"]
    assert len({*first.values(), *again.values()}) == 3
    assert names == {"acct-1", "acct-2", "acct-3"}


def test_linking_accounts_never_moves_a_person(runtime: Runtime, clock: FrozenClock) -> None:
    ana_id, _ = upsert(runtime, email="ana@acme.example", account={"external_id": "acme"})
    bob_id, _ = upsert(runtime, email="bob@acme.example")
    created = clock.now()
    clock.advance(hours=1)
    with runtime.transaction() as session:
        other = bulk.resolve_accounts(session=session, external_ids={"other"}, now=clock.now())
        bulk.link_accounts(
            session=session,
            account_by_contact={ana_id: other["other"], bob_id: other["other"]},
            now=clock.now(),
        )
    ana, bob = load(runtime, ana_id), load(runtime, bob_id)
    assert ana.account is not None
    assert (ana.account.external_id, ana.updated_at) == ("acme", created)
    # joining a company is a change the schedulers must see
    assert bob.account is not None
    assert (bob.account.external_id, bob.updated_at) == ("other", clock.now())
