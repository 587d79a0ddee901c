"""Who is calling: a closeloop API key sent as Delighted's clients send theirs.

Delighted took the key as the HTTP Basic user with an empty password. Its Python client
encodes the bare key (``base64(key)``), curl's ``-u KEY:`` and most HTTP libraries encode
``key:``; both are accepted. The key is an ordinary closeloop key, with its scope:

- ``admin``: every endpoint;
- ``ingest``: what a product back end pushes, ``POST /people`` and ``POST /unsubscribes``.

Every authenticated request spends from the key's rate limit (:mod:`.ratelimit`).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request

from closeloop.api.deps import RuntimeDep
from closeloop.auth import service as auth
from closeloop.auth.models import ApiKey, Scope
from closeloop.compat.delighted.errors import RateLimited
from closeloop.compat.delighted.ratelimit import KeyLimiter
from closeloop.errors import Forbidden, Unauthorized

INVALID_KEY = "Invalid API key"


def key_from_authorization(header: str | None) -> str | None:
    """The API key in a ``Basic`` authorization header (the user; a password is ignored)."""
    if header is None:
        return None
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user = decoded.partition(":")[0].strip()
    return user or None


def limiter(request: Request) -> KeyLimiter:
    found: KeyLimiter = request.app.state.delighted_limiter
    return found


def _api_key(request: Request, runtime: RuntimeDep) -> ApiKey:
    key = key_from_authorization(request.headers.get("authorization"))
    if key is None:
        raise Unauthorized(INVALID_KEY)
    now = runtime.clock.now()
    with runtime.read_transaction() as session:
        try:
            api_key = auth.authenticate_key(session=session, key=key)
        except Unauthorized:
            raise Unauthorized(INVALID_KEY) from None
    if auth.use_is_stale(api_key, now):
        with runtime.transaction() as session:
            auth.record_use(session=session, key_id=api_key.id, now=now)
    allowance = limiter(request).check(api_key.id, now)
    if not allowance.allowed:
        raise RateLimited(allowance.retry_after)
    return api_key


def _scoped(*allowed: Scope) -> object:
    def check(api_key: Annotated[ApiKey, Depends(_api_key)]) -> ApiKey:
        if api_key.scope not in {scope.value for scope in allowed}:
            raise Forbidden(
                f"this API key has the '{api_key.scope}' scope; this endpoint needs an 'admin' key"
            )
        return api_key

    return Depends(check)


IngestKey = Annotated[ApiKey, _scoped(Scope.INGEST, Scope.ADMIN)]
AdminKey = Annotated[ApiKey, _scoped(Scope.ADMIN)]
