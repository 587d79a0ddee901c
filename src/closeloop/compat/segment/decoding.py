"""Reading a Segment request: bounded decompression, JSON, Segment's size limits, messages.

Pure: bytes in, checked messages and rejections out. The limits are Segment's own (32 KB
a message, 500 KB a batch), measured on the decompressed body, and decompression stops
as soon as the limit is passed, so a small gzip bomb cannot make the server inflate
gigabytes. A request that cannot be read at all is ``Malformed`` (Segment answers 400);
a readable batch with a bad message keeps the good ones and reports the bad one.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError, to_json

from closeloop.compat.segment.schemas import KINDS, Message, Moment, Rejection

KB = 1024
MAX_MESSAGE_BYTES = 32 * KB
MAX_BATCH_BYTES = 500 * KB
# Segment rejects the messages of a batch past this many
MAX_BATCH_MESSAGES = 2500
# what gzip may add to a body that does not compress (headers, stored-block markers)
MAX_GZIP_OVERHEAD = KB

_messages: TypeAdapter[Message] = TypeAdapter(Message)
# for what pydantic-core will not serialise (see _compact_size)
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_moment: TypeAdapter[datetime] = TypeAdapter(Moment)


class Malformed(Exception):
    """The request as a whole cannot be read."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Envelope:
    """A request's messages, still raw, and what it says about all of them."""

    items: Sequence[Any]
    sent_at: datetime | None
    write_key: str | None


@dataclass(frozen=True)
class Checked:
    """The messages that can be stored, with their positions, and the ones that cannot."""

    messages: list[tuple[int, Message]]
    rejections: list[Rejection]
    # the batch's sentAt, for the messages that carry none of their own
    sent_at: datetime | None


def body_limit(kind: str | None) -> int:
    """The largest decompressed body: a batch (``kind`` None) or a single call."""
    return MAX_BATCH_BYTES if kind is None else MAX_MESSAGE_BYTES


def transfer_limit(kind: str | None) -> int:
    """The largest body worth reading off the wire, compressed or not."""
    return body_limit(kind) + MAX_GZIP_OVERHEAD


def decompress(raw: bytes, encoding: str | None, *, limit: int) -> bytes:
    """The body as sent, inflated if gzip, refused as soon as it passes ``limit`` bytes."""
    coding = (encoding or "identity").strip().lower()
    if coding == "identity":
        body = raw
    elif coding in {"gzip", "x-gzip"}:
        body = _gunzip(raw, limit)
    else:
        raise Malformed(
            "unsupported_encoding", f"Content-Encoding {encoding!r} is not supported; use gzip"
        )
    if len(body) > limit:
        raise Malformed(
            "too_large", f"the body is over {limit // KB} KB (decompressed), Segment's limit"
        )
    return body


def read_batch(body: bytes) -> Envelope:
    """A ``/v1/batch`` body: ``{"batch": [...], "sentAt": ..., "writeKey": ...}``."""
    document = _json_object(body)
    items = document.get("batch")
    if not isinstance(items, list):
        raise Malformed("invalid_request", "'batch' must be a list of messages")
    return Envelope(items=items, sent_at=_sent_at(document), write_key=_write_key(document))


def read_single(body: bytes, kind: str) -> Envelope:
    """A ``/v1/<kind>`` body: one message, its type given by the path."""
    document = _json_object(body)
    return Envelope(
        items=[{**document, "type": kind}], sent_at=None, write_key=_write_key(document)
    )


def check(envelope: Envelope) -> Checked:
    """Validate each message on its own, so one bad message costs only itself."""
    messages: list[tuple[int, Message]] = []
    rejections: list[Rejection] = []
    for index, item in enumerate(envelope.items):
        reason = _refusal(index, item)
        if reason is None:
            try:
                message = _messages.validate_python(item)
            except ValidationError as error:
                reason = reason_of(error)
            else:
                messages.append((index, message))
                continue
        rejections.append(Rejection(index=index, message_id=message_id_of(item), reason=reason))
    return Checked(messages=messages, rejections=rejections, sent_at=envelope.sent_at)


def reason_of(error: ValidationError) -> str:
    """``traits.email: not a valid email address`` — Segment's names, every problem."""
    parts = []
    for problem in error.errors():
        location = [str(part) for part in problem["loc"]]
        if location and location[0] in KINDS:  # the union's tag, not a field
            location = location[1:]
        path = ".".join(location)
        parts.append(f"{path}: {problem['msg']}" if path else problem["msg"])
    return "; ".join(parts)


def message_id_of(item: object) -> str | None:
    """The id a client gave a message, even a message too broken to validate."""
    if isinstance(item, dict):
        value = item.get("messageId")
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)[:255]
    return None


def _refusal(index: int, item: object) -> str | None:
    if index >= MAX_BATCH_MESSAGES:
        return f"a batch holds at most {MAX_BATCH_MESSAGES} messages"
    if not isinstance(item, dict):
        return "a message must be a JSON object"
    size = _compact_size(item)
    if size is None:
        return "a message must be valid Unicode text (it holds a lone \\uD800–\\uDFFF escape)"
    if size > MAX_MESSAGE_BYTES:
        return f"the message is {size / KB:.1f} KB; the limit is {MAX_MESSAGE_BYTES // KB} KB"
    return None


def _compact_size(item: dict[str, Any]) -> int | None:
    """The message's size as compact UTF-8 JSON, whatever spacing or escaping the client used.

    None when it holds a lone surrogate (``"\\ud800"`` is valid JSON but no text), which
    neither UTF-8 nor the databases can store. pydantic-core serialises a message about
    four times as fast as the ``json`` module, whose measuring was a quarter of what a
    track event costs here beyond the native API (docs/performance.md); it refuses values
    nested more than 254 deep, which the ``json`` module then measures. The two spell a
    few floats differently (``1e-05``, ``0.00001``): a limit of 32 KB does not mind.
    """
    try:
        return len(to_json(item))
    except PydanticSerializationError:
        try:
            return len(_COMPACT.encode(item).encode())
        except UnicodeEncodeError:
            return None


def _gunzip(raw: bytes, limit: int) -> bytes:
    """Inflate every gzip member, never producing more than ``limit`` + 1 bytes."""
    inflated = bytearray()
    rest = raw
    try:
        while rest and len(inflated) <= limit:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            inflated += inflater.decompress(rest, limit + 1 - len(inflated))
            if len(inflated) > limit:
                break
            if not inflater.eof:
                raise Malformed("invalid_gzip", "the gzip body ends before its data does")
            rest = inflater.unused_data
    except zlib.error as error:
        raise Malformed("invalid_gzip", f"the body is not valid gzip: {error}") from None
    return bytes(inflated)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError alike
        raise Malformed("invalid_json", f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise Malformed("invalid_json", "the body is nested too deeply to be read") from None
    if not isinstance(document, dict):
        raise Malformed("invalid_request", "the body must be a JSON object")
    return document


def _sent_at(document: dict[str, Any]) -> datetime | None:
    value = document.get("sentAt")
    if value is None:
        return None
    try:
        return _moment.validate_python(value)
    except ValidationError:
        raise Malformed("invalid_request", f"sentAt {value!r} is not a date and time") from None


def _write_key(document: dict[str, Any]) -> str | None:
    value = document.get("writeKey")
    return value if isinstance(value, str) and value else None
