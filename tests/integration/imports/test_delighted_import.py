"""Delighted's history on both databases: years of answers in the NPS reports, once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from closeloop.clock import FrozenClock
from closeloop.contacts.models import Contact
from closeloop.imports import delighted_store
from closeloop.imports.schemas import ImportKind
from closeloop.responses import service as responses
from closeloop.responses.models import Response
from closeloop.runtime import Runtime
from tests.integration.imports.importing import run_import

# newest first, as the exports list them
EXPORT = (
    "Response ID,Date,Score,Comment,Email,Name,Tags,Notes,Delighted Source,Plan\n"
    "9006,2025-11-02 09:00:00 +0000,10,Love it,ana@acme.test,Ana García,,,email,enterprise\n"
    "9005,2025-03-01 09:00:00 +0000,9,,bo@acme.test,Bo,,,email,pro\n"
    "9004,2024-10-12 17:00:00 -0700,3,Too slow,cleo@acme.test,Cleo,"
    '"speed, support",Called,web,free\n'
    "9003,2024-02-10 09:00:00 +0000,8,,ana@acme.test,Ana,,,email,pro\n"
    "9002,2023-06-01 09:00:00 +0000,2,,bo@acme.test,Bo,,,email,free\n"
    "9001,2023-01-15 09:00:00 +0000,10,,,,,,link,\n"
    "9000,2023-01-10 09:00:00 +0000,12,,dan@acme.test,Dan,,,email,\n"
).encode()


def _nps_by_year(runtime: Runtime) -> dict[int, tuple[int, int, int]]:
    figures = {}
    with runtime.read_transaction() as session:
        for year in (2023, 2024, 2025):
            summary = responses.nps_summary(
                session=session,
                since=datetime(year, 1, 1, tzinfo=UTC),
                until=datetime(year + 1, 1, 1, tzinfo=UTC),
            )
            figures[year] = (summary.promoters, summary.passives, summary.detractors)
    return figures


def test_years_of_answers_count_in_the_nps_of_their_own_year(runtime: Runtime) -> None:
    tally, rejected = run_import(runtime, ImportKind.DELIGHTED_RESPONSES, EXPORT)
    assert (tally.created, [(r.line, r.reason) for r in rejected]) == (
        6,
        [(8, "score: '12' is not a whole number from 0 to 10")],
    )
    assert _nps_by_year(runtime) == {2023: (1, 0, 1), 2024: (0, 1, 1), 2025: (2, 0, 0)}
    with runtime.read_transaction() as session:
        by_id = {r.external_id: r for r in session.scalars(select(Response))}
        survey = delighted_store.survey(session=session, now=runtime.clock.now())
        assert (survey.key, survey.kind, survey.active) == ("delighted-import", "nps", False)
        cleo = by_id["9004"]
        assert cleo.responded_at == datetime(2024, 10, 13, 0, 0, tzinfo=UTC)
        assert (cleo.comment, cleo.channel, cleo.invitation_id) == ("Too slow", "web", None)
        assert cleo.answers == {
            "delighted": {
                "response_id": "9004",
                "tags": ["speed", "support"],
                "notes": "Called",
                "properties": {"Delighted Source": "web"},
            }
        }
        assert by_id["9001"].contact_id is None


def test_a_persons_traits_are_those_of_their_latest_answer(runtime: Runtime) -> None:
    run_import(runtime, ImportKind.DELIGHTED_RESPONSES, EXPORT, batch_size=2)
    with runtime.read_transaction() as session:
        people = {c.email: c for c in session.scalars(select(Contact))}
    assert (people["ana@acme.test"].name, people["ana@acme.test"].traits) == (
        "Ana García",
        {"Plan": "enterprise"},
    )
    assert people["bo@acme.test"].traits == {"Plan": "pro"}
    assert "dan@acme.test" not in people


def test_the_same_export_again_changes_nothing_and_a_newer_one_updates(
    runtime: Runtime, clock: FrozenClock
) -> None:
    run_import(runtime, ImportKind.DELIGHTED_RESPONSES, EXPORT)
    clock.advance(timedelta(days=1))
    again, _ = run_import(runtime, ImportKind.DELIGHTED_RESPONSES, EXPORT)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    newer = EXPORT.replace(
        b"9004,2024-10-12 17:00:00 -0700,3,", b"9004,2024-10-12 17:00:00 -0700,7,"
    )
    changed, _ = run_import(runtime, ImportKind.DELIGHTED_RESPONSES, newer)
    assert (changed.created, changed.updated) == (0, 1)
    assert _nps_by_year(runtime)[2024] == (0, 2, 0)
    with runtime.read_transaction() as session:
        count = len(session.scalars(select(Response)).all())
    assert count == 6
