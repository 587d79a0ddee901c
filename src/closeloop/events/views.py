"""The native events API: one event or a batch of up to 1,000, idempotent by message id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from closeloop.api.deps import IngestKey, RuntimeDep, SessionDep
from closeloop.events import service as events
from closeloop.events.schemas import BatchResult, EventBatchIn, EventIn, EventResult
from closeloop.triggers import service as triggers

router = APIRouter(prefix="/api/v1", tags=["events"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or not a valid one"},
    403: {"description": "The key's scope does not allow this"},
    409: {"description": "A contact's identifiers belong to different people"},
    422: {"description": "Invalid input; `errors` names each field (`events.3.name`)"},
}


@router.post(
    "/events",
    status_code=201,
    responses={
        **_ERRORS,
        200: {"description": "Already stored under this message_id", "model": EventResult},
        201: {"description": "Stored", "model": EventResult},
    },
)
def post_event(
    event: EventIn, session: SessionDep, runtime: RuntimeDep, _key: IngestKey, response: Response
) -> EventResult:
    """Record one event; a retry with the same `message_id` answers 200 `duplicate`."""
    result = events.ingest_one(session=session, event=event, now=runtime.clock.now())
    triggers.process_events(session=session, events=result.stored, settings=runtime.settings)
    item = result.results[0]
    response.status_code = 201 if item.status == "created" else 200
    return EventResult.model_validate(item)


@router.post("/events/batch", responses=_ERRORS)
def post_events(
    batch: EventBatchIn, session: SessionDep, runtime: RuntimeDep, _key: IngestKey
) -> BatchResult:
    """Record up to 1,000 events at once, all or nothing; results come back in order."""
    result = events.ingest(session=session, events=batch.events, now=runtime.clock.now())
    triggers.process_events(session=session, events=result.stored, settings=runtime.settings)
    return BatchResult(
        results=[EventResult.model_validate(item) for item in result.results],
        created=result.created,
        duplicates=result.duplicates,
    )
