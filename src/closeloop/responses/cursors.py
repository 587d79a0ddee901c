"""Opaque keyset cursors for listing responses, newest first. Pure.

A cursor is the position of the last row of a page, ``(responded_at, id)``, so the next
page starts right after it however many rows arrive meanwhile (an offset would skip or
repeat rows). It is base64 so clients treat it as opaque; nothing in it is secret.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from closeloop.errors import InvalidInput

MAX_ID = 2**63 - 1  # a BIGINT
_BAD_CURSOR = "the cursor is not valid: pass next_cursor from the previous page unchanged"


@dataclass(frozen=True)
class Position:
    responded_at: datetime
    id: int


def encode(position: Position) -> str:
    payload = json.dumps([position.responded_at.isoformat(), position.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode(cursor: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        responded_at, row_id = json.loads(raw)
        instant = datetime.fromisoformat(responded_at)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise InvalidInput(_BAD_CURSOR, field="cursor") from None
    if (
        instant.tzinfo is None
        or not isinstance(row_id, int)
        or isinstance(row_id, bool)
        or not 0 <= row_id <= MAX_ID
    ):
        raise InvalidInput(_BAD_CURSOR, field="cursor")
    return Position(responded_at=instant, id=row_id)
