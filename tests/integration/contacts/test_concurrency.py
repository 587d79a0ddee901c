"""Two requests creating the same new person at the same time make one contact."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from closeloop.contacts import service as contacts
from closeloop.runtime import Runtime
from tests.integration.contacts.factories import contact_in, count_contacts, load
from tests.integration.events.waiting import wait_until_blocked_on_a_lock


# PostgreSQL only: sQLite takes its write lock at BEGIN IMMEDIATE, so writers never race
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_racing_upsert_updates_the_person_the_other_created(runtime: Runtime) -> None:
    first_inserted = threading.Event()
    first_may_commit = threading.Event()
    outcome: dict[str, Any] = {}

    def first() -> None:
        try:
            with runtime.transaction() as session:
                _, created = contacts.upsert(
                    session=session,
                    data=contact_in(email="new@acme.example", name="First"),
                    now=runtime.clock.now(),
                )
                outcome["first"] = created
                first_inserted.set()
                first_may_commit.wait(10)
        except Exception as error:  # the assertions below report it
            outcome["first"] = error

    def second() -> None:
        first_inserted.wait(10)
        try:
            with runtime.transaction() as session:
                contact, created = contacts.upsert(
                    session=session,
                    data=contact_in(email="new@acme.example", role="billing"),
                    now=runtime.clock.now(),
                )
                outcome["second"] = (contact.id, created)
        except Exception as error:  # the assertions below report it
            outcome["second"] = error

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    try:
        wait_until_blocked_on_a_lock(runtime)
    finally:
        first_may_commit.set()
        for thread in threads:
            thread.join(timeout=15)
    assert outcome["first"] is True
    contact_id, created = outcome["second"]
    assert created is False
    person = load(runtime, contact_id)
    assert (person.name, person.role) == ("First", "billing")
    assert count_contacts(runtime) == 1
