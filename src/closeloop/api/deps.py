"""Request dependencies: the runtime, a transaction per request, the caller's API key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from closeloop.auth import service as auth
from closeloop.auth.models import ApiKey, Scope
from closeloop.errors import Forbidden, Unauthorized
from closeloop.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    """``async`` because it only reads app state: a sync dependency costs every request a
    round trip through the thread pool (bench/respond.py, docs/performance.md)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """The request's unit of work: committed when the endpoint returns, else rolled back."""
    with runtime.transaction() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_read_session(runtime: RuntimeDep) -> Iterator[Session]:
    """For endpoints that only read: on SQLite they never wait for, or block, a writer."""
    with runtime.read_transaction() as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer cl_…`")


def _api_key(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    now = runtime.clock.now()
    with runtime.read_transaction() as session:
        api_key = auth.authenticate_key(session=session, key=credentials.credentials)
    if auth.use_is_stale(api_key, now):
        with runtime.transaction() as session:
            auth.record_use(session=session, key_id=api_key.id, now=now)
    return api_key


def require_scope(*allowed: Scope) -> object:
    def check(api_key: Annotated[ApiKey, Depends(_api_key)]) -> ApiKey:
        if api_key.scope not in {scope.value for scope in allowed}:
            needed = " or ".join(scope.value for scope in allowed)
            raise Forbidden(f"this key has the '{api_key.scope}' scope; this needs {needed}")
        return api_key

    return Depends(check)


IngestKey = Annotated[ApiKey, require_scope(Scope.INGEST, Scope.ADMIN)]
AdminKey = Annotated[ApiKey, require_scope(Scope.ADMIN)]
