"""Running an import from bytes, as the CLI and the API runner do, for service tests."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from closeloop.contacts.models import Contact
from closeloop.imports import service
from closeloop.imports.reading import Reader, Source
from closeloop.imports.schemas import ImportFormat, ImportKind
from closeloop.imports.tally import Rejection, Tally
from closeloop.runtime import Runtime


def run_import(
    runtime: Runtime,
    kind: ImportKind,
    data: bytes,
    *,
    format: ImportFormat = ImportFormat.CSV,
    renames: dict[str, str] | None = None,
    dry_run: bool = False,
    batch_size: int = service.BATCH_SIZE,
) -> tuple[Tally, list[Rejection]]:
    """Import ``data``; the tally and every rejected row, in file order."""
    importer = service.kind_for(runtime=runtime, kind=kind)
    reader = Reader(
        Source(stream=io.BytesIO(data), name="test", size=len(data)),
        format=format,
        renames=renames or {},
        canonical=importer.canonical,
    )
    service.check_columns(importer, reader)
    rejected: list[Rejection] = []
    tally = service.run(
        runtime=runtime,
        reader=reader,
        kind=importer,
        on_batch=lambda _session, batch: rejected.extend(batch.rejections),
        dry_run=dry_run,
        batch_size=batch_size,
    )
    return tally, rejected


def contacts(runtime: Runtime) -> dict[str, dict[str, Any]]:
    """Every contact by email (or external id), with the columns an import writes."""
    with runtime.read_transaction() as session:
        people = session.scalars(select(Contact).order_by(Contact.id))
        return {
            person.email or person.external_id or "": {
                "external_id": person.external_id,
                "name": person.name,
                "phone": person.phone,
                "time_zone": person.time_zone,
                "role": person.role,
                "traits": person.traits,
                "account_id": person.account_id,
                "updated_at": person.updated_at,
            }
            for person in people
        }
