"""Concurrent retries of one event store one row, on both databases."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from closeloop.contacts.models import Contact
from closeloop.events import service as events
from closeloop.events.records import IngestResult
from closeloop.runtime import Runtime
from tests.integration.events.factories import count_rows, event_in
from tests.integration.events.waiting import wait_until_blocked_on_a_lock


def test_simultaneous_retries_of_a_batch_store_each_event_once(runtime: Runtime) -> None:
    batch = [
        event_in(message_id=f"m-{n}", contact={"email": f"p{n % 3}@acme.example"})
        for n in range(20)
    ]
    start = threading.Barrier(2, timeout=10)
    outcomes: list[IngestResult | BaseException] = []

    def retry() -> None:
        try:
            start.wait()
            with runtime.transaction() as session:
                outcomes.append(
                    events.ingest(session=session, events=batch, now=runtime.clock.now())
                )
        except BaseException as error:  # the assertions below report it
            outcomes.append(error)

    threads = [threading.Thread(target=retry) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(isinstance(outcome, IngestResult) for outcome in outcomes), outcomes
    results = [outcome for outcome in outcomes if isinstance(outcome, IngestResult)]
    assert sorted((r.created, r.duplicates) for r in results) == [(0, 20), (20, 0)]
    assert results[0].results[5].event_id == results[1].results[5].event_id
    assert count_rows(runtime) == (20, 3)


# PostgreSQL only: sQLite takes its write lock at BEGIN IMMEDIATE, so writers never overlap
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_retry_blocked_behind_the_first_learns_it_is_a_duplicate(runtime: Runtime) -> None:
    """The second insert waits on the unique index, then finds the first one's row."""
    first_inserted = threading.Event()
    first_may_commit = threading.Event()
    outcome: dict[str, Any] = {}
    new_person = {"email": "new@acme.example", "traits": {"plan": "pro"}}

    def first() -> None:
        try:
            with runtime.transaction() as session:
                outcome["first"] = events.ingest(
                    session=session,
                    events=[event_in(message_id="m-1", contact=new_person)],
                    now=runtime.clock.now(),
                )
                first_inserted.set()
                first_may_commit.wait(10)
        except Exception as error:  # the assertions below report it
            outcome["first"] = error

    def second() -> None:
        first_inserted.wait(10)
        try:
            with runtime.transaction() as session:
                outcome["second"] = events.ingest(
                    session=session,
                    events=[
                        event_in(message_id="m-1", contact=new_person),
                        event_in(
                            message_id="m-2", contact={"email": "new@acme.example", "name": "Nora"}
                        ),
                    ],
                    now=runtime.clock.now(),
                )
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
    first_result, second_result = outcome["first"], outcome["second"]
    assert isinstance(first_result, IngestResult), first_result
    assert isinstance(second_result, IngestResult), second_result
    assert [r.status for r in second_result.results] == ["duplicate", "created"]
    assert second_result.results[0].event_id == first_result.results[0].event_id
    assert count_rows(runtime) == (2, 1)
    with runtime.transaction() as session:
        nora = session.scalars(select(Contact)).one()
        assert (nora.name, nora.traits) == ("Nora", {"plan": "pro"})
