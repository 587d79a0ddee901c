"""Writing Delighted answers: their people, then the answers, once each by Response ID.

The answers go to one survey, ``delighted-import`` (NPS, switched off so no rule ever
sends it), with their original dates, so every NPS report and trend counts them like
any other answer. The Response ID is the answer's ``external_id``, unique per survey:
importing the same export again changes nothing, and a later export updates the answers
whose score or comment changed since.

A person's traits are the properties of their latest answer. Exports are not in date
order and arrive in batches, so a row only writes its properties if it is at least as
recent as the person's latest answer already imported; within a batch rows are applied
oldest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from closeloop.contacts import bulk as contacts_bulk
from closeloop.contacts import service as contacts
from closeloop.contacts.models import Contact
from closeloop.contacts.schemas import ContactIn, ContactRef
from closeloop.errors import Conflict
from closeloop.imports.delighted_rows import DelightedAnswer
from closeloop.imports.tally import Outcome
from closeloop.responses.models import Response
from closeloop.surveys import service as surveys
from closeloop.surveys.models import Survey, SurveyKind
from closeloop.surveys.schemas import SurveyCreate

SURVEY_KEY = "delighted-import"
SURVEY_NAME = "Delighted history"
_RESPONSES = cast(Table, Response.__table__)
# the columns an answer's row compares and writes
_WRITTEN = ("contact_id", "score", "comment", "answers", "channel", "responded_at")


def survey(*, session: Session, now: datetime) -> Survey:
    """The survey imported answers belong to, created switched off on first use."""
    found = surveys.get_by_key(session=session, key=SURVEY_KEY)
    if found is not None:
        return found
    return surveys.create(
        session=session,
        survey_in=SurveyCreate(key=SURVEY_KEY, name=SURVEY_NAME, kind=SurveyKind.NPS, active=False),
        now=now,
    )


def write(
    *, session: Session, rows: Sequence[DelightedAnswer], now: datetime
) -> list[Outcome | str]:
    """Store the answers of ``rows`` and their people; per row, what became of it."""
    survey_id = survey(session=session, now=now).id
    contact_ids = _people(session, rows, survey_id, now)
    stored = _stored(session, survey_id, [row.response_id for row in rows])
    new: dict[str, dict[str, Any]] = {}
    changes: dict[int, dict[str, Any]] = {}
    results: list[Outcome | str] = []
    for row, contact_id in zip(rows, contact_ids, strict=True):
        values = _values(row, contact_id)
        current = new.get(row.response_id) or stored.get(row.response_id)
        if current is None:
            new[row.response_id] = values
            results.append(Outcome.CREATED)
            continue
        changed = {name: value for name, value in values.items() if current[name] != value}
        current.update(changed)
        if changed and "id" in current:
            changes.setdefault(current["id"], {}).update(changed)
        results.append(Outcome.UPDATED if changed else Outcome.UNCHANGED)
    _insert(session, survey_id, new, now)
    for response_id, changed in changes.items():
        session.execute(
            update(_RESPONSES)
            .where(_RESPONSES.c.id == response_id)
            .values(**changed, updated_at=now)
        )
    return results


def _values(row: DelightedAnswer, contact_id: int | None) -> dict[str, Any]:
    return {
        "contact_id": contact_id,
        "score": row.score,
        "comment": row.comment,
        "answers": {"delighted": {"response_id": row.response_id, **row.details}},
        "channel": row.channel,
        "responded_at": row.responded_at,
    }


def _people(
    session: Session, rows: Sequence[DelightedAnswer], survey_id: int, now: datetime
) -> list[int | None]:
    """Each row's contact id (None for an anonymous answer), people created as needed."""
    emails = {row.email for row in rows if row.email is not None}
    query = select(Contact.email, Contact.id).where(Contact.email.in_(emails))
    known: dict[str | None, int] = dict(session.execute(query).all())
    latest: dict[int, datetime] = {}
    if known:
        newest_answers = (
            select(Response.contact_id, func.max(Response.responded_at))
            .where(Response.survey_id == survey_id, Response.contact_id.in_(known.values()))
            .group_by(Response.contact_id)
        )
        latest = {
            contact_id: at for contact_id, at in session.execute(newest_answers) if contact_id
        }
    ids: list[int | None] = [None] * len(rows)
    refs: list[ContactRef] = []
    positions: list[int] = []
    for index in sorted(range(len(rows)), key=lambda index: rows[index].responded_at):
        row = rows[index]
        newest = latest.get(known[row.email]) if row.email in known else None
        profile = _profile(row) if newest is None or row.responded_at >= newest else {}
        if row.email is not None:
            refs.append(ContactRef.model_validate({"email": row.email, **profile}))
            positions.append(index)
        elif row.phone is not None:
            data = ContactIn.model_validate({"phone": row.phone, **profile})
            ids[index] = contacts.upsert(session=session, data=data, now=now)[0].id
    resolved = contacts_bulk.resolve(
        session=session, refs=refs, paths=[f"rows.{index}" for index in positions], now=now
    )
    for index, contact_id in zip(positions, resolved, strict=True):
        ids[index] = contact_id
    return ids


def _profile(row: DelightedAnswer) -> dict[str, Any]:
    profile: dict[str, Any] = {"traits": row.traits} if row.traits else {}
    if row.name is not None:
        profile["name"] = row.name
    if row.phone is not None and row.email is not None:
        profile["phone"] = row.phone
    return profile


def _stored(session: Session, survey_id: int, response_ids: list[str]) -> dict[str, dict[str, Any]]:
    query = select(_RESPONSES.c.id, _RESPONSES.c.external_id, *(_RESPONSES.c[n] for n in _WRITTEN))
    query = query.where(
        _RESPONSES.c.survey_id == survey_id, _RESPONSES.c.external_id.in_(response_ids)
    )
    return {row.external_id: dict(row._mapping) for row in session.execute(query)}


def _insert(
    session: Session, survey_id: int, new: dict[str, dict[str, Any]], now: datetime
) -> None:
    if not new:
        return
    rows = [
        {
            **values,
            "survey_id": survey_id,
            "external_id": response_id,
            "invitation_id": None,
            "touchpoint": None,
            "stage": None,
            "updated_at": now,
        }
        for response_id, values in new.items()
    ]
    statement = contacts_bulk.insert_ignoring_duplicates(
        session, Response, on=["survey_id", "external_id"]
    ).returning(Response.id)
    if len(session.execute(statement, rows).all()) != len(rows):
        raise Conflict("another import stored some of these answers at the same time")
