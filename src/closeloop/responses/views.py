"""The responses API and the NPS report: read-only, admin keys only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from closeloop.analytics import periods
from closeloop.api.deps import AdminKey, ReadSessionDep, RuntimeDep
from closeloop.responses import service
from closeloop.responses.cursors import MAX_ID
from closeloop.responses.schemas import (
    NpsReportOut,
    NpsReportQuery,
    ResponseList,
    ResponseOut,
    ResponseQuery,
)

router = APIRouter(prefix="/api/v1", tags=["responses"])


@router.get("/responses", summary="List responses, newest first")
def list_responses(
    query: Annotated[ResponseQuery, Query()], session: ReadSessionDep, _key: AdminKey
) -> ResponseList:
    """Filters combine with AND; follow `next_cursor` until it is null to read them all."""
    page = service.list_(
        session=session, filters=query.filters(), cursor=query.cursor, limit=query.limit
    )
    return ResponseList(
        data=[ResponseOut.from_row(row) for row in page.items], next_cursor=page.next_cursor
    )


@router.get("/responses/{response_id}", summary="One response")
def get_response(
    response_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: ReadSessionDep, _key: AdminKey
) -> ResponseOut:
    return ResponseOut.from_row(service.get_or_404(session=session, response_id=response_id))


@router.get("/reports/nps", summary="NPS of a period, optionally broken down")
def nps_report(
    query: Annotated[NpsReportQuery, Query()],
    session: ReadSessionDep,
    runtime: RuntimeDep,
    _key: AdminKey,
) -> NpsReportOut:
    """Counts answers first given in the period (default: the 90 days up to today, UTC).

    `until` is exclusive for a datetime and includes the whole day for a date.
    """
    period = periods.resolve(since=query.since, until=query.until, now=runtime.clock.now())
    report = service.nps_report(
        session=session,
        since=period.since,
        until=period.until,
        survey=query.survey,
        by=query.by,
    )
    return NpsReportOut.from_report(report)
