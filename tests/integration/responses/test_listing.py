"""Listing responses: filters, and keyset pages in a stable order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from closeloop.analytics.nps import Category
from closeloop.errors import InvalidInput
from closeloop.responses import service
from closeloop.responses.schemas import ResponseFilters
from closeloop.runtime import Runtime
from closeloop.surveys.models import SurveyKind
from tests.integration.responses import factories

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _ids(runtime: Runtime, limit: int = 200, **filters: object) -> list[int]:
    with runtime.transaction() as session:
        page = service.list_(
            session=session,
            filters=ResponseFilters.model_validate(filters),
            cursor=None,
            limit=limit,
        )
        return [row.id for row in page.items]


def _all_pages(runtime: Runtime, limit: int) -> list[list[int]]:
    pages: list[list[int]] = []
    cursor: str | None = None
    for _ in range(50):  # bounded: far more than the pages these tests make
        with runtime.transaction() as session:
            page = service.list_(
                session=session, filters=ResponseFilters(), cursor=cursor, limit=limit
            )
        pages.append([row.id for row in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor
    raise AssertionError("pagination did not end")


def test_pages_cover_every_response_once_newest_first_with_ties_broken_by_id(
    runtime: Runtime,
) -> None:
    with runtime.transaction() as session:
        rows = [
            factories.answered(session, at=T0 + timedelta(hours=hour), score=hour % 11)
            for hour in [0, 5, 5, 5, 5, 2, 9, 1, 7, 3, 5]
        ]
        expected = [
            row.id for row in sorted(rows, key=lambda r: (r.responded_at, r.id), reverse=True)
        ]

    pages = _all_pages(runtime, limit=3)
    assert [len(page) for page in pages] == [3, 3, 3, 2]
    assert [row_id for page in pages for row_id in page] == expected
    assert _all_pages(runtime, limit=3) == pages, "the same pages every time"
    assert _all_pages(runtime, limit=11) == [expected]


def test_a_new_answer_does_not_shift_the_pages_being_read(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        for hour in range(6):
            factories.answered(session, at=T0 + timedelta(hours=hour), score=9)
    with runtime.transaction() as session:
        first = service.list_(session=session, filters=ResponseFilters(), cursor=None, limit=3)
        seen = [row.id for row in first.items]
    with runtime.transaction() as session:
        newest = factories.answered(session, at=T0 + timedelta(days=1), score=1)
    with runtime.transaction() as session:
        second = service.list_(
            session=session, filters=ResponseFilters(), cursor=first.next_cursor, limit=3
        )
        rest = [row.id for row in second.items]
    assert second.next_cursor is None
    assert len(set(seen + rest)) == 6
    assert newest.id not in seen + rest


def test_filters_combine(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        csat = factories.survey(session, now=T0, key="csat", kind=SurveyKind.CSAT)
        ana = factories.contact(session, now=T0)
        promoter = factories.answered(session, at=T0, score=10, comment="love it", contact_row=ana)
        passive = factories.answered(session, at=T0 + timedelta(days=1), score=7)
        detractor = factories.answered(
            session, at=T0 + timedelta(days=2), score=3, comment="slow", contact_row=ana
        )
        satisfied = factories.answered(session, at=T0 + timedelta(days=3), score=5, survey_row=csat)
        ids = {
            "promoter": promoter.id,
            "passive": passive.id,
            "detractor": detractor.id,
            "csat": satisfied.id,
        }

    def named(**filters: object) -> set[str]:
        found = set(_ids(runtime, **filters))
        return {name for name, row_id in ids.items() if row_id in found}

    assert named() == set(ids)
    assert named(survey="csat") == {"csat"}
    assert named(survey="nps") == {"promoter", "passive", "detractor"}
    assert named(category=Category.PROMOTER) == {"promoter"}
    assert named(category=Category.DETRACTOR) == {"detractor"}, "a CSAT 5 is not an NPS category"
    assert named(category=Category.PASSIVE) == {"passive"}
    assert named(min_score=5) == {"promoter", "passive", "csat"}
    assert named(min_score=4, max_score=7) == {"passive", "csat"}
    assert named(contact_id=ana.id) == {"promoter", "detractor"}
    assert named(has_comment=True) == {"promoter", "detractor"}
    assert named(has_comment=False) == {"passive", "csat"}
    assert named(since=date(2026, 3, 3), until=date(2026, 3, 4)) == {"passive", "detractor"}
    assert named(since=T0 + timedelta(days=1)) == {"passive", "detractor", "csat"}
    assert named(until=T0 + timedelta(days=1)) == {"promoter"}, "a datetime until is exclusive"
    assert named(contact_id=ana.id, has_comment=True, max_score=6) == {"detractor"}


@pytest.mark.parametrize(
    ("filters", "cursor", "limit", "field"),
    [
        ({"survey": "nope"}, None, 10, "survey"),
        ({"min_score": 8, "max_score": 3}, None, 10, "min_score"),
        ({"since": date(2026, 3, 5), "until": date(2026, 3, 1)}, None, 10, "since"),
        ({}, "garbage", 10, "cursor"),
        ({}, None, 0, "limit"),
        ({}, None, 201, "limit"),
    ],
)
def test_bad_filters_name_the_parameter(
    runtime: Runtime,
    filters: dict[str, object],
    cursor: str | None,
    limit: int,
    field: str,
) -> None:
    with pytest.raises(InvalidInput) as error, runtime.transaction() as session:
        service.list_(
            session=session,
            filters=ResponseFilters.model_validate(filters),
            cursor=cursor,
            limit=limit,
        )
    assert error.value.field == field


def test_get_finds_one_response(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        response_id = factories.answered(session, at=T0, score=9).id
    with runtime.transaction() as session:
        found = service.get_or_404(session=session, response_id=response_id)
        assert (found.score, found.survey.key) == (9, "nps")
        assert service.get(session=session, response_id=response_id + 1) is None
