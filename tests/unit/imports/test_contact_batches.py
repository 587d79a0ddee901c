"""Planning a batch of contact rows against the people already stored."""

from __future__ import annotations

from typing import Any

from closeloop.imports.contact_batches import StoredContact, plan
from closeloop.imports.contact_rows import ContactRow
from closeloop.imports.tally import Outcome


def row(
    email: str | None = None,
    external_id: str | None = None,
    account: str | None = None,
    traits: dict[str, Any] | None = None,
    **values: Any,
) -> ContactRow:
    return ContactRow(email, external_id, values, traits or {}, account)


def stored(
    id_: int, email: str | None, external_id: str | None = None, **fields: Any
) -> StoredContact:
    defaults: dict[str, Any] = {
        "phone": None,
        "name": None,
        "locale": None,
        "time_zone": None,
        "role": None,
        "traits": {},
        "account_id": None,
    }
    defaults.update(fields)
    return StoredContact(id_, email, external_id, **defaults)


def test_new_people_are_inserted_complete() -> None:
    result = plan([row("a@x.test", "u1", "acme", {"plan": "pro"}, name="Ana")], [], {"acme": 7})
    assert result.results == [Outcome.CREATED]
    assert result.new == [
        {
            "email": "a@x.test",
            "external_id": "u1",
            "phone": None,
            "name": "Ana",
            "locale": None,
            "time_zone": None,
            "role": None,
            "traits": {"plan": "pro"},
            "account_id": 7,
        }
    ]
    assert result.changes == {}


def test_a_person_named_twice_in_a_batch_is_created_once_and_the_later_row_wins() -> None:
    result = plan([row("a@x.test", name="Ana"), row("a@x.test", name="Ana G")], [], {})
    assert result.results == [Outcome.CREATED, Outcome.UPDATED]
    assert [person["name"] for person in result.new] == ["Ana G"]


def test_a_stored_person_changes_only_in_what_the_row_says() -> None:
    existing = stored(5, "a@x.test", name="Ana", traits={"plan": "free", "seats": 3})
    result = plan([row("a@x.test", traits={"plan": "pro"})], [existing], {})
    assert result.results == [Outcome.UPDATED]
    assert result.changes == {5: {"traits": {"plan": "pro", "seats": 3}}}
    assert result.new == []


def test_saying_again_what_is_stored_changes_nothing() -> None:
    existing = stored(5, "a@x.test", "u1", name="Ana", traits={"plan": "pro"})
    rows = [row("a@x.test", "u1", name="Ana", traits={"plan": "pro"})]
    result = plan(rows, [existing], {})
    assert (result.results, result.changes, result.new) == ([Outcome.UNCHANGED], {}, [])


def test_rows_that_change_a_person_back_write_nothing() -> None:
    existing = stored(5, "a@x.test", name="Ana G")
    result = plan([row("a@x.test", name="Ana"), row("a@x.test", name="Ana G")], [existing], {})
    assert result.results == [Outcome.UNCHANGED, Outcome.UNCHANGED]
    assert result.changes == {}


def test_the_external_id_finds_a_person_whose_address_changed() -> None:
    existing = stored(5, "old@x.test", "u1")
    result = plan([row("new@x.test", "u1"), row("old@x.test", "u2")], [existing], {})
    assert result.results == [Outcome.UPDATED, Outcome.CREATED]
    assert result.changes == {5: {"email": "new@x.test"}}
    assert result.new[0]["email"] == "old@x.test"  # given up by 5, free for a new person


def test_an_external_id_is_given_to_a_person_found_by_address() -> None:
    result = plan([row("a@x.test", "u1")], [stored(5, "a@x.test")], {})
    assert result.changes == {5: {"external_id": "u1"}}


def test_identifiers_of_two_people_refuse_the_row_and_not_the_batch() -> None:
    people = [stored(5, "a@x.test", "u1"), stored(6, "b@x.test", "u2")]
    result = plan([row("a@x.test", "u2"), row("c@x.test", "u3")], people, {})
    assert result.results[0] == (
        "email: email a@x.test belongs to contact 5, but external_id 'u2' to contact 6"
    )
    assert result.results[1] is Outcome.CREATED


def test_a_conflict_with_a_person_new_in_the_batch_names_no_invented_id() -> None:
    result = plan([row("a@x.test", "u1"), row("a@x.test", "u2")], [], {})
    assert result.results[1] == (
        "external_id: the new person of an earlier row already has external_id 'u1', not 'u2'"
    )


def test_a_plan_of_only_new_people_can_be_inserted_without_lookups() -> None:
    assert plan([row("a@x.test", "u1"), row("a@x.test", name="A")], [], {}).only_new_people
    # a refused row's identifiers were never checked against the database
    assert not plan([row("a@x.test", "u1"), row("a@x.test", "u2")], [], {}).only_new_people
    # nor was the address a new person gave up within the batch
    readdressed = plan([row("a@x.test", "u1"), row("b@x.test", "u1")], [], {})
    assert readdressed.results == [Outcome.CREATED, Outcome.UPDATED]
    assert not readdressed.only_new_people
