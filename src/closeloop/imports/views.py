"""The imports API: upload a file, follow its progress, download its rejected rows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from closeloop.api.deps import AdminKey, ReadSessionDep, RuntimeDep
from closeloop.errors import InvalidInput
from closeloop.imports import jobs, rejections, uploads
from closeloop.imports.models import Import
from closeloop.imports.runner import ImportRunner
from closeloop.imports.schemas import CSV_ONLY, ImportFormat, ImportOut, ImportRequest
from closeloop.imports.tally import Rejection
from closeloop.runtime import Runtime


@asynccontextmanager
async def _run_imports(app: FastAPI) -> AsyncIterator[None]:
    """Every serving process runs the imports uploaded to it, and resumes abandoned ones."""
    runner = ImportRunner(app.state.runtime)
    app.state.import_runner = runner
    runner.start()
    try:
        yield
    finally:
        await run_in_threadpool(runner.stop)


router = APIRouter(prefix="/api/v1", tags=["imports"], lifespan=_run_imports)

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or not a valid one"},
    403: {"description": "Imports need an admin key"},
    404: {"description": "No such import"},
}


@router.post(
    "/imports",
    status_code=202,
    responses={
        **_ERRORS,
        413: {"description": "The upload is larger than 2 GiB"},
        422: {"description": "Invalid parameters, an empty upload, or no format to read it by"},
    },
    openapi_extra={
        "requestBody": {
            "description": "The file: as the raw body, or as the multipart field `file`.",
            "content": {
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
                "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
        }
    },
)
async def post_import(
    request: Request,
    options: Annotated[ImportRequest, Query()],
    runtime: RuntimeDep,
    _key: AdminKey,
) -> ImportOut:
    """Queue a CSV or JSONL file for import; it runs in the background (follow its `id`)."""
    upload = await uploads.receive(request, data_dir=runtime.settings.data_dir)
    chosen = (
        options.format
        or ImportFormat.from_name(upload.file_name or "")
        or ImportFormat.from_content_type(upload.content_type)
    )
    if chosen is None or not options.kind.reads(chosen):
        (runtime.settings.data_dir / upload.stored_path).unlink(missing_ok=True)
        raise InvalidInput(
            CSV_ONLY if chosen else "say csv or jsonl: neither the file's name nor its type does",
            field="format",
        )
    item = await run_in_threadpool(_enqueue, runtime, options, upload, chosen)
    runner: ImportRunner | None = getattr(request.app.state, "import_runner", None)
    if runner is not None:
        runner.wake()
    return ImportOut.of(item)


@router.get("/imports/{import_id}", responses=_ERRORS)
def get_import(import_id: int, session: ReadSessionDep, _key: AdminKey) -> ImportOut:
    """How far the import has got: state, bytes and rows read, imported and rejected."""
    return ImportOut.of(jobs.get_or_404(session=session, import_id=import_id))


@router.get(
    "/imports/{import_id}/errors",
    response_class=StreamingResponse,
    responses={**_ERRORS, 200: {"content": {"text/csv": {}}, "description": "The rejected rows"}},
)
def get_import_errors(
    import_id: int, session: ReadSessionDep, runtime: RuntimeDep, _key: AdminKey
) -> StreamingResponse:
    """The rejected rows as CSV: line, reason, then the row's own columns as read."""
    item = jobs.get_or_404(session=session, import_id=import_id)
    return StreamingResponse(
        _rejected_rows(runtime, item.id, item.columns),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{item.id}-rejected.csv"'},
    )


def _enqueue(
    runtime: Runtime, options: ImportRequest, upload: uploads.Upload, chosen: ImportFormat
) -> Import:
    with runtime.transaction() as session:
        return jobs.enqueue(
            session=session,
            kind=options.kind,
            format=chosen,
            file_name=upload.file_name,
            stored_path=upload.stored_path,
            size_bytes=upload.size_bytes,
            options={
                "renames": options.renames,
                "encoding": options.encoding,
                "delimiter": options.delimiter,
            },
            now=runtime.clock.now(),
        )


def _rejected_rows(runtime: Runtime, import_id: int, columns: list[str] | None) -> Iterator[str]:
    # streamed after the endpoint returned: the rows are read in a transaction of their own
    with runtime.read_transaction() as session:
        rows = (
            Rejection(row.line, row.reason, row.record)
            for row in jobs.rejections(session=session, import_id=import_id)
        )
        yield from rejections.as_csv(rows, columns)
