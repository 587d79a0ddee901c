"""Delighted's cursor pages: an opaque ``page_info`` in a ``Link: <…>; rel="next"`` header. Pure.

Delighted's clients page through people and Autopilot members by following the ``next``
link verbatim, without re-sending their filters, so the link repeats every parameter of
the request besides the cursor. The cursor is the id of the page's last row (people are
listed in creation order, and ids grow with it), so rows created meanwhile are neither
skipped nor repeated; it is base64 so that clients treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Final
from urllib.parse import urlencode

from closeloop.db.base import MAX_ID
from closeloop.errors import InvalidInput

# where the API is mounted, which the links repeat
PREFIX: Final = "/compat/delighted/v1"
CURSOR_PARAMETER: Final = "page_info"
_CURSOR_TAG: Final = "d1:"


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_TAG}{last_id}".encode()).decode().rstrip("=")


def decode(page_info: str) -> int:
    """The id the page starts after; a cursor that is not ours is a 422 naming it."""
    try:
        raw = base64.urlsafe_b64decode(page_info + "=" * (-len(page_info) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    digits = raw.removeprefix(_CURSOR_TAG)
    if raw.startswith(_CURSOR_TAG) and digits.isdigit() and int(digits) <= MAX_ID:
        return int(digits)
    raise InvalidInput("is not a page_info from a previous page's Link header", field="page_info")


def next_link(
    *, url: str, params: Mapping[str, str | int | Sequence[str] | None], last_id: int
) -> str:
    """The ``Link`` header value pointing at the page after the one ending at ``last_id``.

    Lists are written as Rails reads them (``expand[]=person``); ``None`` values and a
    previous cursor are left out.
    """
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        if name == CURSOR_PARAMETER or value is None:
            continue
        if isinstance(value, str | int):
            pairs.append((name, str(value)))
        else:
            pairs.extend((f"{name}[]", item) for item in value)
    pairs.append((CURSOR_PARAMETER, encode(last_id)))
    return f'<{url}?{urlencode(pairs)}>; rel="next"'
