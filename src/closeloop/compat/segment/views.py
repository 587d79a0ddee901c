"""The Segment-compatible intake: ``/compat/segment/v1/batch`` and the single calls.

Answers as Segment does, so its libraries (and RudderStack's) behave: 200 for a readable
request, even when some of its messages were rejected (listed in the body); 400 for a
body that is not JSON, not gzip, or over the size limits; errors as ``{"code",
"message"}``, the shape the libraries log. Unlike Segment, which silently drops data
sent with an unknown write key, a key that is not a closeloop API key gets a 401:
a misconfigured pipeline should fail loudly, not lose events.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from closeloop.api.deps import RuntimeDep
from closeloop.auth import service as auth
from closeloop.auth.models import Scope
from closeloop.compat.segment import decoding
from closeloop.compat.segment import service as segment
from closeloop.compat.segment.decoding import Malformed
from closeloop.compat.segment.schemas import KINDS, Receipt, Refusal
from closeloop.errors import Conflict, Unauthorized
from closeloop.runtime import Runtime

router = APIRouter(prefix="/compat/segment/v1", tags=["segment"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Read; `rejected` lists any message not stored", "model": Receipt},
    400: {"description": "Not JSON, not gzip, or over Segment's size limits", "model": Refusal},
    401: {"description": "The write key is not a closeloop API key", "model": Refusal},
    503: {"description": "A concurrent request changed the same people; retry", "model": Refusal},
}
_ACCEPTED_SCOPES = frozenset({Scope.INGEST.value, Scope.ADMIN.value})


@router.post("/batch", responses=_RESPONSES)
async def receive_batch(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Up to 500 KB of messages (each at most 32 KB), as Segment's libraries send them.

    The write key is a closeloop `ingest` (or `admin`) API key, sent as the HTTP Basic
    user (or as `writeKey` in the body); the body may be gzip-compressed.
    """
    return await _receive(request, runtime, kind=None)


def _single_call(kind: str) -> Callable[[Request, Runtime], Awaitable[JSONResponse]]:
    async def receive_one(request: Request, runtime: RuntimeDep) -> JSONResponse:
        return await _receive(request, runtime, kind=kind)

    receive_one.__doc__ = f"One `{kind}` message of at most 32 KB; 400 when it is rejected."
    return receive_one


for _kind in KINDS:
    router.add_api_route(
        f"/{_kind}",
        _single_call(_kind),
        methods=["POST"],
        name=f"receive_{_kind}",
        responses=_RESPONSES,
    )


async def _receive(request: Request, runtime: Runtime, *, kind: str | None) -> JSONResponse:
    header_key = _write_key_in(request.headers.get("authorization"))
    try:
        if header_key is not None:  # refuse a stranger before inflating their body
            await run_in_threadpool(_authenticate, runtime, header_key)
        raw = await _read(request, kind)
        return await run_in_threadpool(
            _process, runtime, kind, raw, request.headers.get("content-encoding"), header_key
        )
    except Malformed as error:
        return _refusal(400, error.code, error.message)
    except Unauthorized as error:
        return _refusal(
            401,
            "unauthorized",
            error.detail,
            headers={"WWW-Authenticate": 'Basic realm="closeloop"'},
        )
    except Conflict as error:
        return _refusal(503, "conflict", error.detail, headers={"Retry-After": "1"})


def _process(
    runtime: Runtime, kind: str | None, raw: bytes, encoding: str | None, header_key: str | None
) -> JSONResponse:
    body = decoding.decompress(raw, encoding, limit=decoding.body_limit(kind))
    envelope = decoding.read_batch(body) if kind is None else decoding.read_single(body, kind)
    if header_key is None:
        _authenticate(runtime, envelope.write_key)
    checked = decoding.check(envelope)
    with runtime.transaction() as session:
        outcome = segment.receive(
            session=session, checked=checked, now=runtime.clock.now(), settings=runtime.settings
        )
    if kind is not None and outcome.rejections:
        reason = outcome.rejections[0].reason
        refusal = Refusal(code="invalid_message", message=reason, rejected=outcome.rejections)
        return JSONResponse(refusal.model_dump(by_alias=True), status_code=400)
    receipt = Receipt(accepted=outcome.accepted, rejected=outcome.rejections)
    return JSONResponse(receipt.model_dump(by_alias=True))


def _authenticate(runtime: Runtime, key: str | None) -> None:
    if key is None:
        raise Unauthorized("send a closeloop API key as the write key (the HTTP Basic user)")
    now = runtime.clock.now()
    with runtime.read_transaction() as session:
        api_key = auth.authenticate_key(session=session, key=key)
    if api_key.scope not in _ACCEPTED_SCOPES:
        raise Unauthorized(f"a key with the '{api_key.scope}' scope cannot send events")
    if auth.use_is_stale(api_key, now):
        with runtime.transaction() as session:
            auth.record_use(session=session, key_id=api_key.id, now=now)


def _write_key_in(authorization: str | None) -> str | None:
    """The key of ``Basic base64(key:)`` (Segment's libraries) or ``Bearer key``."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return credentials
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user or password or None


async def _read(request: Request, kind: str | None) -> bytes:
    """The body as sent, refused as soon as it is too large to be within the limit."""
    limit = decoding.transfer_limit(kind)
    too_large = Malformed(
        "too_large", f"the body is over {decoding.body_limit(kind) // decoding.KB} KB"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def _refusal(
    status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = Refusal(code=code, message=message).model_dump(by_alias=True)
    return JSONResponse(body, status_code=status, headers=headers)
