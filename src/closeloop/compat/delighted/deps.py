"""Request dependencies of the Delighted-compatible API: its parameters, its settings."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import Depends, Request

from closeloop.compat.delighted import params
from closeloop.compat.delighted.errors import TooLarge

# far above any Delighted request (a person with its properties), far below harm
MAX_BODY_BYTES: Final = 1024 * 1024


async def request_params(request: Request) -> dict[str, Any]:
    """The query string and the body (JSON or a form) as one nested dict; the body wins.

    Rails merged both for Delighted, so a client may put ``per_page`` in either. A GET's
    body is ignored: the Python client sends ``{}`` with its paging requests.
    """
    found = params.nest(request.query_params.multi_items())
    if request.method in ("GET", "HEAD"):
        return found
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise TooLarge(f"the body is larger than {MAX_BODY_BYTES // 1024} KiB")
    found.update(params.from_body(bytes(body), request.headers.get("content-type", "")))
    return found


Params = Annotated[dict[str, Any], Depends(request_params)]
