"""Contacts service: upsert rules, trait merging, identity conflicts, accounts, paging."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closeloop.clock import FrozenClock
from closeloop.contacts import service as contacts
from closeloop.contacts.schemas import AccountIn, ContactPatch
from closeloop.errors import Conflict, InvalidInput, NotFound
from closeloop.runtime import Runtime
from tests.integration.contacts.factories import count_contacts, load, upsert


def test_upsert_creates_then_updates_the_same_person(runtime: Runtime, clock: FrozenClock) -> None:
    first_id, created = upsert(runtime, email=" Ana@ACME.example ", name="Ana", role="end_user")
    assert created
    clock.advance(hours=1)
    second_id, created = upsert(runtime, email="ana@acme.example", role="decision_maker")
    assert (second_id, created) == (first_id, False)
    ana = load(runtime, first_id)
    assert ana.email == "ana@acme.example"
    assert ana.name == "Ana"  # left out, so kept
    assert ana.role == "decision_maker"
    assert ana.created_at == clock.now() - timedelta(hours=1)
    assert ana.updated_at == clock.now()
    assert count_contacts(runtime) == 1


def test_an_upsert_that_changes_nothing_keeps_updated_at(
    runtime: Runtime, clock: FrozenClock
) -> None:
    contact_id, _ = upsert(runtime, email="ana@acme.example", name="Ana")
    clock.advance(hours=1)
    upsert(runtime, email="ana@acme.example", name="Ana")
    assert load(runtime, contact_id).updated_at == clock.now() - timedelta(hours=1)


def test_the_external_id_finds_a_person_whose_address_changed(runtime: Runtime) -> None:
    contact_id, _ = upsert(runtime, external_id="u-1", email="ana@old.example")
    same_id, created = upsert(runtime, external_id="u-1", email="ana@new.example")
    assert (same_id, created) == (contact_id, False)
    assert load(runtime, contact_id).email == "ana@new.example"


def test_an_email_match_gains_the_external_id(runtime: Runtime) -> None:
    contact_id, _ = upsert(runtime, email="ana@acme.example")
    upsert(runtime, email="ana@acme.example", external_id="u-1")
    assert load(runtime, contact_id).external_id == "u-1"


def test_traits_merge_and_null_removes_one(runtime: Runtime) -> None:
    contact_id, _ = upsert(runtime, traits={"plan": "free", "seats": 3, "trial": True})
    upsert(runtime, traits={"plan": "pro", "trial": None, "industry": "logistics"})
    assert load(runtime, contact_id).traits == {
        "plan": "pro",
        "seats": 3,
        "industry": "logistics",
    }


def test_null_clears_a_field_and_an_omitted_field_is_kept(runtime: Runtime) -> None:
    contact_id, _ = upsert(runtime, name="Ana", locale="es", time_zone="Europe/Madrid")
    upsert(runtime, locale=None)
    ana = load(runtime, contact_id)
    assert (ana.name, ana.locale, ana.time_zone) == ("Ana", None, "Europe/Madrid")


def test_email_and_external_id_of_two_people_conflict_and_write_nothing(
    runtime: Runtime,
) -> None:
    ana_id, _ = upsert(runtime, email="ana@acme.example")
    bob_id, _ = upsert(runtime, external_id="u-2", name="Bob")
    with pytest.raises(Conflict) as raised:
        upsert(runtime, email="ana@acme.example", external_id="u-2", name="Changed")
    assert raised.value.field == "email"
    assert f"contact {ana_id}" in raised.value.detail
    assert f"contact {bob_id}" in raised.value.detail
    assert load(runtime, bob_id).name == "Bob"
    assert count_contacts(runtime) == 2


def test_a_second_external_id_for_one_person_conflicts(runtime: Runtime) -> None:
    upsert(runtime, email="ana@acme.example", external_id="u-1")
    with pytest.raises(Conflict) as raised:
        upsert(runtime, email="ana@acme.example", external_id="u-9")
    assert raised.value.field == "external_id"


def test_a_phone_alone_finds_the_person(runtime: Runtime) -> None:
    contact_id, _ = upsert(runtime, phone="+34 600 123 456", name="Ana")
    same_id, created = upsert(runtime, phone="+34600123456", locale="es")
    assert (same_id, created) == (contact_id, False)


def test_a_phone_shared_by_two_people_is_ambiguous(runtime: Runtime) -> None:
    upsert(runtime, email="ana@acme.example", phone="+34600123456")
    upsert(runtime, email="bob@acme.example", phone="+34600123456")
    with pytest.raises(Conflict) as raised:
        upsert(runtime, phone="+34600123456", name="Who")
    assert raised.value.field == "phone"


def test_the_account_is_upserted_by_external_id_then_by_name(runtime: Runtime) -> None:
    ana_id, _ = upsert(runtime, email="ana@acme.example", account={"name": "Acme"})
    bob_id, _ = upsert(
        runtime,
        email="bob@acme.example",
        account={"external_id": "acct-1", "name": "Acme", "traits": {"plan": "pro"}},
    )
    ana, bob = load(runtime, ana_id), load(runtime, bob_id)
    assert ana.account is not None
    assert bob.account is not None
    assert ana.account.id == bob.account.id  # the named account adopted the key
    assert bob.account.external_id == "acct-1"
    upsert(
        runtime,
        email="carla@acme.example",
        account={"external_id": "acct-1", "name": "Acme Corp", "traits": {"seats": 40}},
    )
    account = load(runtime, ana_id).account
    assert account is not None
    assert (account.name, account.traits) == ("Acme Corp", {"plan": "pro", "seats": 40})


def test_a_named_account_with_another_key_is_another_company(runtime: Runtime) -> None:
    ana_id, _ = upsert(runtime, email="ana@a.example", account={"external_id": "a", "name": "X"})
    bob_id, _ = upsert(runtime, email="bob@b.example", account={"external_id": "b", "name": "X"})
    ana_account, bob_account = load(runtime, ana_id).account, load(runtime, bob_id).account
    assert ana_account is not None
    assert bob_account is not None
    assert ana_account.id != bob_account.id


def test_upsert_account_alone(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        account = contacts.upsert_account(
            session=session,
            data=AccountIn(external_id="acct-9", domain="acme.example"),
            now=runtime.clock.now(),
        )
        session.flush()
        assert (account.name, account.domain) == ("acct-9", "acme.example")


def test_update_changes_only_what_is_sent(runtime: Runtime) -> None:
    contact_id, _ = upsert(runtime, email="ana@acme.example", name="Ana", traits={"a": 1})
    with runtime.transaction() as session:
        contacts.update(
            session=session,
            contact_id=contact_id,
            data=ContactPatch.model_validate({"role": "billing", "traits": {"b": 2}}),
            now=runtime.clock.now(),
        )
    ana = load(runtime, contact_id)
    assert (ana.name, ana.role, ana.traits) == ("Ana", "billing", {"a": 1, "b": 2})


def test_update_links_and_unlinks_the_account(runtime: Runtime) -> None:
    contact_id, _ = upsert(runtime, email="ana@acme.example")
    with runtime.transaction() as session:
        contacts.update(
            session=session,
            contact_id=contact_id,
            data=ContactPatch.model_validate({"account": {"name": "Acme"}}),
            now=runtime.clock.now(),
        )
    assert load(runtime, contact_id).account is not None
    with runtime.transaction() as session:
        contacts.update(
            session=session,
            contact_id=contact_id,
            data=ContactPatch.model_validate({"account": None}),
            now=runtime.clock.now(),
        )
    assert load(runtime, contact_id).account is None


def test_update_refuses_someone_elses_email(runtime: Runtime) -> None:
    upsert(runtime, email="ana@acme.example")
    bob_id, _ = upsert(runtime, email="bob@acme.example")
    with runtime.transaction() as session, pytest.raises(Conflict) as raised:
        contacts.update(
            session=session,
            contact_id=bob_id,
            data=ContactPatch.model_validate({"email": "ANA@acme.example"}),
            now=runtime.clock.now(),
        )
    assert raised.value.field == "email"


def test_update_refuses_to_leave_a_person_without_identifier(runtime: Runtime) -> None:
    contact_id, _ = upsert(runtime, email="ana@acme.example", name="Ana")
    with pytest.raises(InvalidInput) as raised, runtime.transaction() as session:
        contacts.update(
            session=session,
            contact_id=contact_id,
            data=ContactPatch.model_validate({"email": None, "name": "Changed"}),
            now=runtime.clock.now(),
        )
    assert raised.value.field == "email"
    ana = load(runtime, contact_id)
    assert (ana.email, ana.name) == ("ana@acme.example", "Ana")


def test_update_of_a_missing_contact_is_not_found(runtime: Runtime) -> None:
    with runtime.transaction() as session, pytest.raises(NotFound):
        contacts.update(
            session=session,
            contact_id=999,
            data=ContactPatch.model_validate({"name": "x"}),
            now=runtime.clock.now(),
        )


def test_list_pages_through_everyone_once(runtime: Runtime) -> None:
    ids = [upsert(runtime, email=f"p{n}@acme.example")[0] for n in range(7)]
    seen: list[int] = []
    cursor = None
    with runtime.transaction() as session:
        for _ in range(10):
            page = contacts.list_(session=session, limit=3, cursor=cursor)
            seen.extend(contact.id for contact in page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
    assert seen == ids


def test_list_finds_by_email_or_external_id(runtime: Runtime) -> None:
    ana_id, _ = upsert(runtime, email="ana@acme.example", external_id="u-1")
    upsert(runtime, email="bob@acme.example")
    with runtime.transaction() as session:
        by_email = contacts.list_(session=session, email="ana@acme.example")
        by_key = contacts.list_(session=session, external_id="u-1")
        nobody = contacts.list_(session=session, external_id="u-404")
    assert [c.id for c in by_email.items] == [ana_id]
    assert [c.id for c in by_key.items] == [ana_id]
    assert (nobody.items, nobody.next_cursor) == ([], None)


@pytest.mark.parametrize("cursor", ["", "garbage", "YzE6", "Yzk6MQ", "!!!!", "bm90LWEtbnVtYmVy"])
def test_a_forged_cursor_is_invalid_input(runtime: Runtime, cursor: str) -> None:
    with runtime.transaction() as session, pytest.raises(InvalidInput) as raised:
        contacts.list_(session=session, cursor=cursor)
    assert raised.value.field == "cursor"


@pytest.mark.parametrize("limit", [0, 201])
def test_the_page_size_is_bounded(runtime: Runtime, limit: int) -> None:
    with runtime.transaction() as session, pytest.raises(InvalidInput) as raised:
        contacts.list_(session=session, limit=limit)
    assert raised.value.field == "limit"
