"""Storing Segment messages through closeloop's own services, in the caller's transaction.

Messages are applied in the order they were sent, so an identify followed by a track in
one batch finds the person already named. Consecutive track, page and screen calls go
to ``events.ingest`` together (one insert per run, not per message) and straight on to
the trigger engine, in the same transaction, so journeys fire exactly as for the native
API. Identify, group and alias calls are applied one at a time, each in a savepoint: one
that cannot be stored (an email that is someone else's) is rejected alone.

Retries change nothing twice: events are idempotent by ``messageId`` (and a retried
event is recognised before its contact is even looked up, so a retry cannot bring back
an anonymous visitor merged away since); identify, group and alias write the same
values again, which changes nothing.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from closeloop.compat.segment import mapping
from closeloop.compat.segment.decoding import Checked
from closeloop.compat.segment.mapping import Unmappable
from closeloop.compat.segment.schemas import (
    ANONYMOUS_PREFIX,
    Alias,
    EventMessage,
    Group,
    Identify,
    Message,
    Page,
    Rejection,
    Screen,
    Track,
)
from closeloop.config import Settings
from closeloop.contacts import merge
from closeloop.contacts import service as contacts
from closeloop.contacts.schemas import ContactPatch
from closeloop.errors import Conflict, InvalidInput, NotFound
from closeloop.events import service as events
from closeloop.events.schemas import EventIn
from closeloop.triggers import service as triggers

SOURCE = "segment"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """How many messages were taken (stored now or by an earlier try) and which were not."""

    accepted: int
    rejections: list[Rejection]


def receive(*, session: Session, checked: Checked, now: datetime, settings: Settings) -> Outcome:
    """Apply the checked messages in order; report the ones that could not be stored."""
    rejections = list(checked.rejections)
    store_events = functools.partial(
        _store_events,
        session,
        batch_sent_at=checked.sent_at,
        now=now,
        settings=settings,
        rejections=rejections,
    )
    accepted = 0
    run: list[tuple[int, EventMessage]] = []
    for index, message in checked.messages:
        if isinstance(message, Track | Page | Screen):
            run.append((index, message))
            continue
        accepted += store_events(run)
        run = []
        reason = _apply(session, message, now)
        if reason is None:
            accepted += 1
        else:
            rejections.append(Rejection(index=index, message_id=message.message_id, reason=reason))
    accepted += store_events(run)
    rejections.sort(key=lambda rejection: rejection.index)
    for rejection in rejections:
        log.warning(
            "segment message %s (messageId %s) rejected: %s",
            rejection.index,
            rejection.message_id,
            rejection.reason,
        )
    return Outcome(accepted=accepted, rejections=rejections)


def _store_events(
    session: Session,
    run: Sequence[tuple[int, EventMessage]],
    *,
    batch_sent_at: datetime | None,
    now: datetime,
    settings: Settings,
    rejections: list[Rejection],
) -> int:
    """Store a run of events (skipping those stored before) and let them fire rules."""
    batch: list[EventIn] = []
    for index, message in run:
        try:
            batch.append(mapping.event_of(message, batch_sent_at=batch_sent_at, received_at=now))
        except Unmappable as error:
            rejections.append(
                Rejection(index=index, message_id=message.message_id, reason=error.reason)
            )
    stored_before = events.stored_message_ids(
        session=session, message_ids=[event.message_id for event in batch if event.message_id]
    )
    fresh = [event for event in batch if event.message_id not in stored_before]
    if fresh:
        result = events.ingest(session=session, events=fresh, now=now, source=SOURCE)
        triggers.process_events(session=session, events=result.stored, settings=settings)
    return len(batch)


def _apply(session: Session, message: Message, now: datetime) -> str | None:
    """Apply an identify, group or alias in a savepoint; the reason if it cannot be."""
    try:
        with session.begin_nested():
            if isinstance(message, Identify):
                _identify(session, message, now)
            elif isinstance(message, Group):
                contacts.upsert(session=session, data=mapping.contact_of_group(message), now=now)
            elif isinstance(message, Alias):
                for previous in (message.previous_id, f"{ANONYMOUS_PREFIX}{message.previous_id}"):
                    _fold(session, previous, into=message.user_id, now=now)
    except Unmappable as error:
        return error.reason
    except InvalidInput as error:
        return error.detail
    except NotFound:
        # a person found a moment ago was merged away by a concurrent request
        raise Conflict("another request changed these contacts at the same time; retry") from None
    except Conflict as error:
        if error.field is None:
            raise  # a concurrent request, not this message's fault: the client retries
        return error.detail
    return None


def _identify(session: Session, message: Identify, now: datetime) -> None:
    """Upsert the person; a user id with an anonymous id first takes the visitor's history."""
    data = mapping.contact_of_identify(message)
    if message.user_id is not None and message.anonymous_id is not None:
        _fold(session, f"{ANONYMOUS_PREFIX}{message.anonymous_id}", into=message.user_id, now=now)
    contacts.upsert(session=session, data=data, now=now)


def _fold(session: Session, external_id: str, *, into: str, now: datetime) -> None:
    """Make the person known as ``external_id`` part of the one known as ``into``.

    When ``into`` is nobody yet, the earlier person simply takes that external id.
    """
    if external_id == into:
        return
    earlier = contacts.get_by_external_id(session=session, external_id=external_id)
    if earlier is None:
        return
    survivor = contacts.get_by_external_id(session=session, external_id=into)
    if survivor is None:
        contacts.update(
            session=session,
            contact_id=earlier.id,
            data=ContactPatch(external_id=into),
            now=now,
        )
    else:
        merge.merge(session=session, absorbed_id=earlier.id, survivor_id=survivor.id, now=now)
