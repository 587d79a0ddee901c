"""Events that come through Segment feed the trigger engine, as native ones do."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from closeloop.invitations.models import Invitation
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from closeloop.triggers import rules
from closeloop.triggers.models import Decision
from tests.integration.compat.segment.wire import contact, message, send


def _rule(runtime: Runtime, *, event: str, delay: str = "2d") -> None:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        session.add(Survey(key="onboarding", name="Onboarding", kind="nps", created_at=now))
        session.flush()
        rules.save(
            session=session,
            data={
                "kind": "event",
                "key": "onboarding",
                "name": "Onboarding",
                "survey": "onboarding",
                "event": event,
                "delay": delay,
                "send_window": "none",
            },
            now=now,
        )


def _invitations(runtime: Runtime) -> list[Invitation]:
    with runtime.read_transaction() as session:
        return list(session.scalars(select(Invitation).order_by(Invitation.id)))


def test_a_tracked_event_schedules_the_survey_its_rule_asks_for(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    _rule(runtime, event="Signed Up")
    batch = [
        message("identify", userId="user-1", traits={"email": "ana@acme.example"}),
        message("track", userId="user-1", event="Signed Up"),
    ]
    send(client, write_key, *batch)
    [invitation] = _invitations(runtime)
    assert invitation.contact_id == contact(runtime, "user-1").id
    assert invitation.state == "scheduled"
    assert invitation.due_at == runtime.clock.now() + timedelta(days=2)
    with runtime.read_transaction() as session:
        [decision] = session.scalars(select(Decision)).all()
        assert (decision.rule_key, decision.outcome, decision.event_name) == (
            "onboarding",
            "scheduled",
            "Signed Up",
        )
    # the library's retry is a duplicate: it fires nothing a second time
    send(client, write_key, *batch)
    assert len(_invitations(runtime)) == 1


def test_a_page_view_fires_rules_by_its_segment_name(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    _rule(runtime, event="Viewed Pricing Page", delay="1h")
    send(
        client,
        write_key,
        message("identify", userId="user-1", traits={"email": "ana@acme.example"}),
        message("page", userId="user-1", name="Pricing"),
    )
    [invitation] = _invitations(runtime)
    assert invitation.due_at == runtime.clock.now() + timedelta(hours=1)
