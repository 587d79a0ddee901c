"""``/api/v1/journey``: the journey map, its ordered stages and touchpoints (admin keys only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from closeloop.api.deps import AdminKey, ReadSessionDep, RuntimeDep, SessionDep
from closeloop.journeys import service
from closeloop.journeys.schemas import (
    JourneyRead,
    StagesIn,
    TouchpointCreate,
    TouchpointRead,
    TouchpointUpdate,
)

router = APIRouter(prefix="/api/v1/journey", tags=["journey"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or not a valid one"},
    403: {"description": "The key's scope does not allow this"},
}
_INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid input; `errors` names each field and the reason"}
}


@router.get("", summary="Read the journey map", responses=_ERRORS)
def read_journey(session: ReadSessionDep, _key: AdminKey) -> JourneyRead:
    """The stages in order, each with the touchpoints that belong to it."""
    return JourneyRead.of(service.list_stages(session=session))


@router.put(
    "/stages",
    summary="Replace the ordered list of stages",
    responses={
        **_ERRORS,
        **_INVALID,
        409: {"description": "A stage left out still has touchpoints"},
    },
)
def replace_stages(
    stages_in: StagesIn, session: SessionDep, runtime: RuntimeDep, _key: AdminKey
) -> JourneyRead:
    """The list becomes the journey: new keys are added, names and order follow the list,
    and stages left out are removed — refused while touchpoints still belong to them."""
    stages = service.replace_stages(
        session=session, stages=stages_in.stages, now=runtime.clock.now()
    )
    return JourneyRead.of(stages)


@router.post(
    "/touchpoints",
    status_code=201,
    summary="Create a touchpoint",
    responses={
        **_ERRORS,
        **_INVALID,
        409: {"description": "The key is taken, or an event already marks another touchpoint"},
    },
)
def create_touchpoint(
    touchpoint_in: TouchpointCreate, session: SessionDep, runtime: RuntimeDep, _key: AdminKey
) -> TouchpointRead:
    touchpoint = service.create_touchpoint(
        session=session, touchpoint_in=touchpoint_in, now=runtime.clock.now()
    )
    return TouchpointRead.of(touchpoint)


@router.get(
    "/touchpoints/{key}",
    summary="Read a touchpoint",
    responses={**_ERRORS, 404: {"description": "No such touchpoint"}},
)
def read_touchpoint(key: str, session: ReadSessionDep, _key: AdminKey) -> TouchpointRead:
    return TouchpointRead.of(service.get_touchpoint_or_404(session=session, key=key))


@router.put(
    "/touchpoints/{key}",
    summary="Change a touchpoint",
    responses={
        **_ERRORS,
        **_INVALID,
        404: {"description": "No such touchpoint"},
        409: {"description": "An event already marks another touchpoint"},
    },
)
def update_touchpoint(
    key: str, touchpoint_in: TouchpointUpdate, session: SessionDep, _key: AdminKey
) -> TouchpointRead:
    """Replace the name, stage, description and events; surveys already made keep theirs."""
    touchpoint = service.update_touchpoint(session=session, key=key, touchpoint_in=touchpoint_in)
    return TouchpointRead.of(touchpoint)


@router.delete(
    "/touchpoints/{key}",
    status_code=204,
    summary="Delete a touchpoint",
    responses={
        **_ERRORS,
        404: {"description": "No such touchpoint"},
        409: {"description": "Rules still name this touchpoint"},
    },
)
def delete_touchpoint(key: str, session: SessionDep, _key: AdminKey) -> Response:
    service.delete_touchpoint(session=session, key=key)
    return Response(status_code=204)
