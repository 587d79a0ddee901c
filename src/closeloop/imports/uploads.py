"""Receiving an upload: the request body, as sent or as a multipart ``file``, onto disk.

The body is written as it arrives, a chunk at a time, under the data directory, so an
upload of any size costs a buffer's worth of memory; multipart bodies are spooled to a
temporary file by Starlette's parser and then moved into place the same way.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from closeloop.errors import InvalidInput
from closeloop.imports import jobs

MAX_UPLOAD_BYTES = 2 * 1024**3
MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class Upload:
    # relative to the data directory
    stored_path: Path
    file_name: str | None
    content_type: str
    size_bytes: int


async def receive(request: Request, *, data_dir: Path) -> Upload:
    """Store the request's file; 413 when it is larger than ``MAX_UPLOAD_BYTES``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise _too_large()
    relative = jobs.UPLOADS / f"{uuid.uuid4().hex}.upload"
    target = data_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith(MULTIPART):
            file_name, content_type = await _receive_multipart(request, target)
        else:
            file_name = None
            await _receive_body(request, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    size = target.stat().st_size
    if size == 0:
        target.unlink()
        raise InvalidInput("the upload is empty", field="file")
    return Upload(relative, file_name, content_type, size)


async def _receive_body(request: Request, target: Path) -> None:
    written = 0
    with target.open("wb") as file:
        async for chunk in request.stream():
            written += len(chunk)
            if written > MAX_UPLOAD_BYTES:
                raise _too_large()
            file.write(chunk)


async def _receive_multipart(request: Request, target: Path) -> tuple[str | None, str]:
    async with request.form(max_files=1, max_fields=20) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("send the file in the multipart field 'file'", field="file")
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise _too_large()
        await run_in_threadpool(_copy, upload.file, target)
        return upload.filename, upload.content_type or ""


def _copy(source: BinaryIO, target: Path) -> None:
    with target.open("wb") as file:
        shutil.copyfileobj(source, file, length=1 << 20)


def _too_large() -> HTTPException:
    return HTTPException(413, f"an upload is at most {MAX_UPLOAD_BYTES // 1024**3} GiB")
