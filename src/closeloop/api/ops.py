"""Operations endpoints: ``/healthz`` for load balancers, ``/metrics`` for Prometheus.

The metrics are read from the database at scrape time by a custom collector, so every
``serve`` process reports the same, whole-system figures (no per-process counters to
add up) and nothing is kept in memory. Each scrape uses its own ``CollectorRegistry``:
the global one would mix in whatever else the process registered and outlive the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from closeloop.api.deps import RuntimeDep
from closeloop.channels.models import OutboxMessage
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.responses.models import Response as SurveyResponse
from closeloop.runtime import Runtime

router = APIRouter(tags=["operations"])
# the classic text format: every Prometheus version (and most other scrapers) reads it
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class Figures:
    invitations_by_state: dict[str, int]
    responses: int
    oldest_due_at: datetime | None
    outbox_messages: int


def gather(*, session: Session, now: datetime) -> Figures:
    """The whole system's figures, one query each."""
    by_state = dict.fromkeys((state.value for state in InvitationState), 0)
    rows = session.execute(select(Invitation.state, func.count()).group_by(Invitation.state)).all()
    for state, count in rows:
        by_state[state] = count
    oldest_due_at = session.scalar(
        select(func.min(Invitation.due_at)).where(
            Invitation.state == InvitationState.SCHEDULED.value, Invitation.due_at <= now
        )
    )
    return Figures(
        invitations_by_state=by_state,
        responses=session.scalar(select(func.count()).select_from(SurveyResponse)) or 0,
        oldest_due_at=oldest_due_at,
        outbox_messages=session.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
    )


class FiguresCollector(Collector):
    """Turns ``gather``'s figures into Prometheus metric families at each scrape."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def collect(self) -> Iterator[Metric]:
        now = self._runtime.clock.now()
        with self._runtime.read_transaction() as session:
            figures = gather(session=session, now=now)
        invitations = GaugeMetricFamily(
            "closeloop_invitations", "Invitations by state.", labels=["state"]
        )
        for state, count in sorted(figures.invitations_by_state.items()):
            invitations.add_metric([state], count)
        yield invitations
        yield CounterMetricFamily(
            "closeloop_responses", "Survey responses recorded.", value=figures.responses
        )
        lag = 0.0
        if figures.oldest_due_at is not None:
            lag = max(0.0, (now - figures.oldest_due_at).total_seconds())
        yield GaugeMetricFamily(
            "closeloop_dispatch_lag_seconds",
            "How long the oldest due scheduled invitation has waited for the dispatcher.",
            value=lag,
        )
        yield GaugeMetricFamily(
            "closeloop_outbox_messages",
            "Messages in the development outbox.",
            value=figures.outbox_messages,
        )


def _first_line(error: SQLAlchemyError) -> str:
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


@router.get("/healthz", summary="Liveness and database check")
def healthz(runtime: RuntimeDep) -> JSONResponse:
    """200 when the database answers ``SELECT 1``; 503 naming the error when it does not."""
    try:
        with runtime.read_transaction() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return JSONResponse(
            {"status": "error", "database": "error", "error": _first_line(error)},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {METRICS_CONTENT_TYPE: {}}}},
)
def metrics(runtime: RuntimeDep) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FiguresCollector(runtime))
    try:
        body = generate_latest(registry)
    except SQLAlchemyError as error:
        return PlainTextResponse(f"database unavailable: {_first_line(error)}\n", status_code=503)
    return Response(body, media_type=METRICS_CONTENT_TYPE)
