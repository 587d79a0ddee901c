"""What the schedulers (recurring slots, date traits, campaigns) share: their progress
marks, and the facts a person shows to a rule's conditions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.contacts.bulk import insert_ignoring_duplicates
from closeloop.triggers.models import PlannerMark


def lock_mark(*, session: Session, rule_id: int, job: str, now: datetime) -> PlannerMark:
    """The mark of one job of one rule, locked for this transaction (made if new, with
    ``reached = now`` and no detail).

    The lock is what lets several planners run side by side: the second one waits, then
    sees how far the first got.
    """
    session.execute(
        insert_ignoring_duplicates(session, PlannerMark),
        [{"rule_id": rule_id, "job": job, "reached": now, "detail": None}],
    )
    query = (
        select(PlannerMark)
        .where(PlannerMark.rule_id == rule_id, PlannerMark.job == job)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).one()


def read_detail(mark: PlannerMark) -> dict[str, Any]:
    """The job's own state, kept as a JSON object in the mark."""
    return dict(json.loads(mark.detail)) if mark.detail else {}


def write_detail(mark: PlannerMark, detail: Mapping[str, Any]) -> None:
    mark.detail = json.dumps(detail, sort_keys=True)
