"""Importing contacts and accounts on both databases: good rows in, bad rows out, re-runs idle."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from closeloop.clock import FrozenClock
from closeloop.contacts.models import Account, Contact
from closeloop.imports.schemas import ImportFormat, ImportKind
from closeloop.runtime import Runtime
from tests.integration.contacts import factories
from tests.integration.imports.importing import contacts, run_import

CRM_EXPORT = (
    "External ID,Email,Name,Time Zone,Role,Account,Plan\n"
    "u1,ana@acme.test,Ana García,europe/madrid,Decision maker,acme,pro\n"
    "u2,bo@acme.test,Bo,Mars/Base,,acme,free\n"
    ",,Nobody,,,,free\n"
    "u4,not-an-address,Dee,,,,\n"
    "u5,eve@beta.test,Eve,,end_user,beta,\n"
).encode()


def test_good_rows_go_in_and_each_bad_one_is_listed_with_its_line(runtime: Runtime) -> None:
    tally, rejected = run_import(runtime, ImportKind.CONTACTS, CRM_EXPORT)
    assert (tally.read, tally.created, tally.rejected) == (5, 2, 3)
    assert [(r.line, r.reason.split(":")[0]) for r in rejected] == [
        (3, "time_zone"),
        (4, "needs an email or an external_id"),
        (5, "email"),
    ]
    assert rejected[0].cells == ["u2", "bo@acme.test", "Bo", "Mars/Base", "", "acme", "free"]
    people = contacts(runtime)
    assert set(people) == {"ana@acme.test", "eve@beta.test"}
    ana = people["ana@acme.test"]
    assert (ana["external_id"], ana["name"], ana["time_zone"], ana["role"]) == (
        "u1",
        "Ana García",
        "Europe/Madrid",
        "decision_maker",
    )
    assert ana["traits"] == {"Plan": "pro"}
    with runtime.read_transaction() as session:
        accounts = dict(session.execute(select(Account.external_id, Account.id)).all())
    assert set(accounts) == {"acme", "beta"}
    assert ana["account_id"] == accounts["acme"]


def test_importing_the_same_file_again_changes_nothing(
    runtime: Runtime, clock: FrozenClock
) -> None:
    run_import(runtime, ImportKind.CONTACTS, CRM_EXPORT)
    before = contacts(runtime)
    clock.advance(timedelta(hours=1))
    tally, rejected = run_import(runtime, ImportKind.CONTACTS, CRM_EXPORT)
    assert (tally.created, tally.updated, tally.unchanged, len(rejected)) == (0, 0, 2, 3)
    assert contacts(runtime) == before  # updated_at included


def test_a_dry_run_writes_nothing_and_reports_the_same(runtime: Runtime) -> None:
    tally, rejected = run_import(runtime, ImportKind.CONTACTS, CRM_EXPORT, dry_run=True)
    assert (tally.read, tally.created, tally.rejected) == (5, 2, 3)
    assert len(rejected) == 3
    assert contacts(runtime) == {}
    with runtime.read_transaction() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 0


def test_stored_people_are_updated_by_what_the_row_says(runtime: Runtime) -> None:
    factories.upsert(
        runtime, email="ana@acme.test", name="Ana", traits={"plan": "free", "seats": 3}
    )
    data = b"email,external_id,plan\nana@acme.test,u1,pro\n"
    tally, _ = run_import(runtime, ImportKind.CONTACTS, data)
    assert tally.updated == 1
    ana = contacts(runtime)["ana@acme.test"]
    assert (ana["external_id"], ana["name"]) == ("u1", "Ana")
    assert ana["traits"] == {"plan": "pro", "seats": 3}


def test_identifiers_of_two_stored_people_refuse_that_row_only(runtime: Runtime) -> None:
    first, _ = factories.upsert(runtime, email="a@acme.test", external_id="u1")
    second, _ = factories.upsert(runtime, email="b@acme.test", external_id="u2")
    data = b"email,external_id,name\na@acme.test,u2,Torn\nc@acme.test,u3,Cleo\n"
    tally, rejected = run_import(runtime, ImportKind.CONTACTS, data)
    assert tally.created == 1
    assert rejected[0].line == 2
    assert rejected[0].reason == (
        f"email: email a@acme.test belongs to contact {first}, "
        f"but external_id 'u2' to contact {second}"
    )


def test_people_across_batches_and_a_mapping(runtime: Runtime) -> None:
    rows = [f"person{n}@acme.test,P{n}" for n in range(7)] + ["person0@acme.test,Again"]
    data = ("E-post,Full name\n" + "\n".join(rows) + "\n").encode()
    tally, _ = run_import(
        runtime,
        ImportKind.CONTACTS,
        data,
        renames={"E-post": "email", "Full name": "name"},
        batch_size=3,
    )
    assert (tally.created, tally.updated) == (7, 1)
    people = contacts(runtime)
    assert len(people) == 7
    assert people["person0@acme.test"]["name"] == "Again"


def test_jsonl_contacts_keep_json_traits(runtime: Runtime) -> None:
    data = (
        b'{"external_id": "u1", "email": "ana@acme.test", "traits": {"seats": 25, "vip": true}}\n'
        b'{"external_id": "u2", "broken": \n'
    )
    tally, rejected = run_import(runtime, ImportKind.CONTACTS, data, format=ImportFormat.JSONL)
    assert (tally.created, [r.line for r in rejected]) == (1, [2])
    assert contacts(runtime)["ana@acme.test"]["traits"] == {"seats": 25, "vip": True}


def test_accounts_are_upserted_by_external_id_then_name(runtime: Runtime) -> None:
    data = (
        b"External ID,Name,Domain,Tier\n"
        b"acme,Acme,acme.example,gold\n"
        b",Beta,beta.example,\n"
        b",,nope,silver\n"
    )
    tally, rejected = run_import(runtime, ImportKind.ACCOUNTS, data)
    assert (tally.created, [r.line for r in rejected]) == (2, [4])
    again, _ = run_import(runtime, ImportKind.ACCOUNTS, data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed, _ = run_import(
        runtime, ImportKind.ACCOUNTS, b"external_id,name,Tier\nacme,Acme,platinum\n"
    )
    assert changed.updated == 1
    with runtime.read_transaction() as session:
        acme = session.scalar(select(Account).where(Account.external_id == "acme"))
        assert acme is not None
        assert (acme.domain, acme.traits) == ("acme.example", {"Tier": "platinum"})
        assert session.scalar(select(func.count()).select_from(Contact)) == 0


def test_an_address_given_up_within_a_batch_is_still_looked_up(runtime: Runtime) -> None:
    stored, _ = factories.upsert(runtime, email="old@acme.test", name="Olga")
    data = b"email,external_id\nold@acme.test,u1\nnew@acme.test,u1\n"
    tally, _ = run_import(runtime, ImportKind.CONTACTS, data)
    assert (tally.created, tally.updated) == (0, 2)
    people = contacts(runtime)
    assert set(people) == {"new@acme.test"}
    assert (people["new@acme.test"]["external_id"], people["new@acme.test"]["name"]) == (
        "u1",
        "Olga",
    )
    with runtime.read_transaction() as session:
        assert session.scalar(select(Contact.id).where(Contact.external_id == "u1")) == stored


def test_new_people_then_known_ones_then_new_ones_again(runtime: Runtime) -> None:
    factories.upsert(runtime, email="known@acme.test", name="Kim")
    rows = ["a@acme.test,A", "b@acme.test,B", "known@acme.test,Kim K", "c@acme.test,C"]
    data = ("email,name\n" + "\n".join(rows) + "\n").encode()
    tally, _ = run_import(runtime, ImportKind.CONTACTS, data, batch_size=2)
    assert (tally.created, tally.updated) == (3, 1)
    assert contacts(runtime)["known@acme.test"]["name"] == "Kim K"
