"""Autopilot: a recurring relationship survey per channel whose audience is a trait."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from closeloop.clock import FrozenClock
from closeloop.runtime import Runtime
from closeloop.triggers import planner, rules
from closeloop.triggers.models import RecurringSlot
from tests.integration.compat.delighted.conftest import API, delighted_error
from tests.integration.compat.delighted.factories import contact_by_email, invitations_of

QUARTER = 90 * 86_400
# within a week of the next quarter: the planner plans it (a slot already past is not)
BEFORE_NEXT_QUARTER = datetime(2026, 3, 26, 10, 0, tzinfo=UTC)


def test_the_configuration_follows_the_rule(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    before = client.get(f"{API}/autopilot/email.json", headers=admin).json()
    assert before == {
        "platform_id": "email",
        "active": False,
        "frequency": QUARTER,
        "created_at": None,
        "updated_at": None,
    }
    client.post(
        f"{API}/autopilot/email/memberships", json={"person_email": "ana@acme.test"}, headers=admin
    )
    after = client.get(f"{API}/autopilot/email", headers=admin).json()
    now = int(runtime.clock.now().timestamp())
    assert after == {
        "platform_id": "email",
        "active": True,
        "frequency": QUARTER,
        "created_at": now,
        "updated_at": now,
    }
    with runtime.transaction() as session:
        rule = rules.get(session=session, key="delighted-autopilot-email")
        assert rule is not None and rule.kind == "recurring" and rule.origin == "delighted"
        assert rule.definition["audience"] == {
            "field": "contact.traits.delighted_autopilot_email",
            "op": "exists",
        }
        rules.update(
            session=session,
            key=rule.key,
            data={**rule.definition, "every": "year", "enabled": False},
            now=runtime.clock.now(),
        )
    changed = client.get(f"{API}/autopilot/email", headers=admin).json()
    assert (changed["active"], changed["frequency"]) == (False, 365 * 86_400)


def test_members_join_are_planned_listed_and_leave(
    client: TestClient, admin: dict[str, str], runtime: Runtime, clock: FrozenClock
) -> None:
    joined = client.post(
        f"{API}/autopilot/email/memberships.json",
        data={"person_email": "ana@acme.test", "person_name": "Ana", "properties[plan]": "pro"},
        headers=admin,
    )
    assert joined.status_code == 200, joined.text
    assert joined.json()["person"]["email"] == "ana@acme.test"
    assert joined.json()["properties"] == {"plan": "pro"}
    ana = contact_by_email(runtime, "ana@acme.test")
    assert ana is not None and ana.name == "Ana"
    ana_joined_at = int(clock.now().timestamp())
    assert ana.traits == {"plan": "pro", "delighted_autopilot_email": ana_joined_at}
    clock.advance(hours=1)
    client.post(
        f"{API}/autopilot/email/memberships", json={"person_email": "bo@acme.test"}, headers=admin
    )
    client.post(
        f"{API}/people", json={"email": "not-a-member@acme.test", "send": False}, headers=admin
    )
    clock.set(BEFORE_NEXT_QUARTER)
    assert planner.run_once(runtime).failures == 0
    with runtime.read_transaction() as session:
        planned = {slot.contact_id for slot in session.scalars(select(RecurringSlot))}
    assert ana.id in planned and len(planned) == 2, "members only"

    first = client.get(f"{API}/autopilot/email/memberships?per_page=1", headers=admin)
    (member,) = first.json()
    assert member["person"]["id"] == str(ana.id)
    assert member["created_at"] == ana_joined_at
    assert member["next_survey_request"]["id"].startswith("slot-")
    second = client.get(first.links["next"]["url"], headers=admin)
    assert [m["person"]["email"] for m in second.json()] == ["bo@acme.test"]
    assert "next" not in second.links
    only_bo = client.get(
        f"{API}/autopilot/email/memberships", params={"person_email": "bo@acme.test"}, headers=admin
    ).json()
    assert [m["person"]["email"] for m in only_bo] == ["bo@acme.test"]

    left = client.request(
        "DELETE",
        f"{API}/autopilot/email/memberships",
        json={"person_email": "ana@acme.test"},
        headers=admin,
    )
    assert left.status_code == 200, left.text
    assert left.json()["person"]["id"] == str(ana.id)
    remaining = client.get(f"{API}/autopilot/email/memberships", headers=admin).json()
    assert [m["person"]["email"] for m in remaining] == ["bo@acme.test"]
    again = client.request(
        "DELETE",
        f"{API}/autopilot/email/memberships",
        json={"person_id": str(ana.id)},
        headers=admin,
    )
    delighted_error(again, 404)


def test_leaving_cancels_the_autopilot_survey_waiting(
    client: TestClient, admin: dict[str, str], runtime: Runtime, clock: FrozenClock
) -> None:
    client.post(
        f"{API}/autopilot/email/memberships", json={"person_email": "ana@acme.test"}, headers=admin
    )
    ana = contact_by_email(runtime, "ana@acme.test")
    assert ana is not None
    clock.set(BEFORE_NEXT_QUARTER)
    planner.run_once(runtime)
    with runtime.read_transaction() as session:
        slot = session.scalars(select(RecurringSlot).order_by(RecurringSlot.due_at)).first()
    assert slot is not None
    clock.set(slot.due_at)
    planner.run_once(runtime)
    (waiting,) = invitations_of(runtime, ana.id)
    assert waiting.state == "scheduled"
    listed = client.get(f"{API}/autopilot/email/memberships", headers=admin).json()
    assert listed[0]["next_survey_request"]["id"] == str(waiting.id)
    client.request(
        "DELETE",
        f"{API}/autopilot/email/memberships",
        json={"person_email": "ana@acme.test"},
        headers=admin,
    )
    (cancelled,) = invitations_of(runtime, ana.id)
    assert (cancelled.state, cancelled.reason) == (
        "cancelled",
        "removed from the email Autopilot",
    )


def test_sms_memberships_need_a_person(client: TestClient, admin: dict[str, str]) -> None:
    joined = client.post(
        f"{API}/autopilot/sms/memberships",
        json={"person_phone_number": "+34 600 123 456"},
        headers=admin,
    )
    assert joined.json()["person"]["phone_number"] == "+34600123456"
    refused = client.post(f"{API}/autopilot/sms/memberships", json={}, headers=admin)
    assert set(delighted_error(refused, 422)["errors"]) == {"person_email"}
