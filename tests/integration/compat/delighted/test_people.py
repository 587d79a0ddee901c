"""``POST /people``: the person is upserted and surveyed through the same policy as rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from closeloop.api.app import create_app
from closeloop.auth.models import Scope
from closeloop.clock import FrozenClock
from closeloop.contacts import service as contacts
from closeloop.invitations import service as invitations
from closeloop.runtime import Runtime
from closeloop.surveys import service as surveys
from closeloop.triggers import rules
from tests.integration.compat.delighted.conftest import API, basic, delighted_error, new_key
from tests.integration.compat.delighted.factories import (
    contact_by_email,
    count_contacts,
    decisions_of,
    invitations_of,
    person,
    sent_survey,
)

NOW = int(datetime(2026, 3, 3, 10, 0, tzinfo=UTC).timestamp())


def test_a_person_is_created_and_surveyed_now(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    created = client.post(
        f"{API}/people.json",
        json={
            "email": "Ana@Acme.test",
            "name": "Ana García",
            "properties": {
                "plan": "pro",
                "question_product_name": "The London Trench",
                "thank_you_message": "Thanks, Ana!",
                "thank_you_link_url": "https://acme.test/help",
                "locale": "pt_br",
            },
        },
        headers=admin,
    )
    assert created.status_code == 200, created.text
    body = created.json()
    contact = contact_by_email(runtime, "ana@acme.test")
    assert contact is not None
    assert body == {
        "id": str(contact.id),
        "email": "ana@acme.test",
        "name": "Ana García",
        "phone_number": None,
        "survey_scheduled_at": NOW,
        "properties": {
            "plan": "pro",
            "question_product_name": "The London Trench",
            "thank_you_message": "Thanks, Ana!",
            "thank_you_link_url": "https://acme.test/help",
            "locale": "pt_br",
        },
    }
    assert contact.traits == {"plan": "pro"}, "special properties are not traits"
    assert contact.locale == "pt-BR"
    (invitation,) = invitations_of(runtime, contact.id)
    assert (invitation.state, invitation.channel, invitation.source) == (
        "scheduled",
        "email",
        "delighted",
    )
    assert invitation.rule_id is None
    assert invitation.context["product_name"] == "The London Trench"
    assert invitation.context["thank_you_link_url"] == "https://acme.test/help"
    assert invitation.context["delighted_properties"]["locale"] == "pt_br"
    (decision,) = decisions_of(runtime, contact.id)
    assert (decision.outcome, decision.invitation_id) == ("scheduled", invitation.id)
    assert decision.rule_key is None and decision.event_name == "Delighted API: POST /people"


def test_the_email_names_the_requested_product(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    client.post(
        f"{API}/people",
        json={
            "email": "ana@acme.test",
            "name": "Ana",
            "properties": {
                "question_product_name": "The London Trench",
                "delighted_email_subject": "Ana, one question",
            },
        },
        headers=admin,
    )
    contact = contact_by_email(runtime, "ana@acme.test")
    assert contact is not None
    (invitation,) = invitations_of(runtime, contact.id)
    with runtime.transaction() as session:
        (claimed,) = invitations.claim_due(
            session=session,
            now=runtime.clock.now(),
            worker_id="w",
            limit=5,
            lease=timedelta(minutes=5),
        )
        message = invitations.prepare(
            session=session,
            invitation_id=claimed.id,
            worker_id="w",
            settings=runtime.settings,
            now=runtime.clock.now(),
            lease=timedelta(minutes=5),
        )
    assert claimed.id == invitation.id and message is not None
    assert message["Subject"] == "Ana, one question"
    html = message.get_body(preferencelist=("html",))
    assert html is not None and "The London Trench" in str(html.get_content())


def test_a_form_body_with_nested_properties_and_send_false(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    created = client.post(
        f"{API}/people",
        data={
            "email": "bo@acme.test",
            "name": "Bo",
            "properties[plan]": "basic",
            "properties[Purchase Experience]": "Mobile App",
            "send": "false",
        },
        headers=admin,
    )
    assert created.status_code == 200, created.text
    assert created.json()["survey_scheduled_at"] is None
    contact = contact_by_email(runtime, "bo@acme.test")
    assert contact is not None
    assert contact.traits == {"plan": "basic", "Purchase Experience": "Mobile App"}
    assert invitations_of(runtime, contact.id) == []
    assert decisions_of(runtime, contact.id) == [], "nothing was asked, nothing to explain"


def test_paths_with_and_without_json_and_keys_with_and_without_colon(
    client: TestClient, runtime: Runtime
) -> None:
    key = new_key(runtime, Scope.ADMIN)
    for path, colon in ((f"{API}/people.json", False), (f"{API}/people", True)):
        listed = client.get(path, headers=basic(key, colon=colon))
        assert listed.status_code == 200, (path, colon, listed.text)
        assert listed.json() == []


def test_the_same_person_is_updated_not_duplicated(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    first = client.post(
        f"{API}/people",
        json={"email": "ana@acme.test", "properties": {"plan": "pro", "seats": 3}, "send": False},
        headers=admin,
    )
    second = client.post(
        f"{API}/people",
        json={"email": "ana@acme.test", "name": "Ana", "properties": {"seats": 9}, "send": False},
        headers=admin,
    )
    assert first.json()["id"] == second.json()["id"]
    assert count_contacts(runtime) == 1
    contact = contact_by_email(runtime, "ana@acme.test")
    assert contact is not None
    assert (contact.name, contact.traits) == ("Ana", {"plan": "pro", "seats": 9})


def test_a_delay_schedules_later(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    created = client.post(
        f"{API}/people", json={"email": "ana@acme.test", "delay": 3600}, headers=admin
    )
    assert created.json()["survey_scheduled_at"] == NOW + 3600


def test_by_default_no_send_window_holds_a_request(
    client: TestClient, admin: dict[str, str], runtime: Runtime, clock: FrozenClock
) -> None:
    saturday_night = datetime(2026, 3, 7, 23, 30, tzinfo=UTC)
    clock.set(saturday_night)
    created = client.post(f"{API}/people", json={"email": "ana@acme.test"}, headers=admin)
    assert created.json()["survey_scheduled_at"] == int(saturday_night.timestamp())


def test_a_workspace_may_choose_a_send_window(
    runtime_with: Callable[..., Runtime], clock: FrozenClock
) -> None:
    runtime = runtime_with(delighted_send_window="mon-fri 09:00-17:00")
    clock.set(datetime(2026, 3, 7, 23, 30, tzinfo=UTC))  # a Saturday
    with TestClient(create_app(runtime)) as client:
        created = client.post(
            f"{API}/people",
            json={"email": "ana@acme.test"},
            headers=basic(new_key(runtime, Scope.ADMIN)),
        )
    monday_nine = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    assert created.json()["survey_scheduled_at"] == int(monday_nine.timestamp())


def test_unsubscribed_and_bounced_people_are_never_surveyed(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    gone = person(runtime, email="gone@acme.test")
    dead = person(runtime, email="dead@acme.test")
    with runtime.transaction() as session:
        contacts.unsubscribe(session=session, contact_id=gone.id, now=runtime.clock.now())
        contacts.mark_bounced(
            session=session, contact_id=dead.id, reason="550 no such user", now=runtime.clock.now()
        )
    for contact, reason in ((gone, "unsubscribed"), (dead, "bounced")):
        asked = client.post(f"{API}/people", json={"email": contact.email}, headers=admin)
        assert asked.status_code == 200
        assert asked.json()["survey_scheduled_at"] is None
        assert invitations_of(runtime, contact.id) == []
        (decision,) = decisions_of(runtime, contact.id)
        assert (decision.outcome, decision.reason) == ("skipped", reason)


def test_fatigue_holds_as_delighted_throttling_did(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    ana = person(runtime, email="ana@acme.test")
    sent_survey(runtime, ana.id, sent_at=runtime.clock.now() - timedelta(days=10))
    asked = client.post(f"{API}/people", json={"email": "ana@acme.test"}, headers=admin)
    assert asked.json()["survey_scheduled_at"] is None
    decision = decisions_of(runtime, ana.id)[-1]
    assert decision.reason == "recontact"
    assert decision.until == runtime.clock.now() + timedelta(days=80)


def test_last_sent_at_counts_for_fatigue(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    five_days_ago = NOW - 5 * 86_400
    asked = client.post(
        f"{API}/people",
        json={"email": "ana@acme.test", "last_sent_at": five_days_ago},
        headers=admin,
    )
    assert asked.json()["survey_scheduled_at"] is None
    contact = contact_by_email(runtime, "ana@acme.test")
    assert contact is not None
    assert decisions_of(runtime, contact.id)[-1].reason in {"fatigue", "recontact"}


def test_a_second_request_while_one_is_pending_is_not_a_second_survey(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    client.post(f"{API}/people", json={"email": "ana@acme.test", "delay": 600}, headers=admin)
    again = client.post(f"{API}/people", json={"email": "ana@acme.test"}, headers=admin)
    assert again.json()["survey_scheduled_at"] is None
    contact = contact_by_email(runtime, "ana@acme.test")
    assert contact is not None
    assert len(invitations_of(runtime, contact.id)) == 1
    assert decisions_of(runtime, contact.id)[-1].reason == "pending"


def test_an_explicit_request_replaces_a_rules_pending_invitation(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    ana = person(runtime, email="ana@acme.test")
    now = runtime.clock.now()
    with runtime.transaction() as session:
        survey = surveys.get_or_create_default(session=session, product_name="F", now=now)
        rule, _ = rules.save(
            session=session,
            data={
                "key": "onboarding",
                "kind": "event",
                "name": "Onboarding",
                "survey": survey.key,
                "event": "Signed Up",
                "delay": "14d",
            },
            now=now,
        )
        waiting = invitations.schedule(
            session=session,
            survey=survey,
            contact=contacts.get_or_404(session=session, contact_id=ana.id),
            due_at=now + timedelta(days=14),
            now=now,
            rule_id=rule.id,
            rule_version=rule.version,
        )
    asked = client.post(f"{API}/people", json={"email": "ana@acme.test"}, headers=admin)
    assert asked.json()["survey_scheduled_at"] == NOW
    states = {i.id: i.state for i in invitations_of(runtime, ana.id)}
    assert states[waiting.id] == "cancelled"
    assert sorted(states.values()) == ["cancelled", "scheduled"]
    cancelled, scheduled = decisions_of(runtime, ana.id)
    assert (cancelled.outcome, cancelled.reason, cancelled.rule_key) == (
        "cancelled",
        "superseded",
        "onboarding",
    )
    assert scheduled.outcome == "scheduled"


def test_the_sms_channel_is_accepted_and_explained(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    asked = client.post(
        f"{API}/people",
        json={"phone_number": "+34 600 123 456", "channel": "sms"},
        headers=admin,
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["phone_number"] == "+34600123456"
    assert asked.json()["survey_scheduled_at"] is None
    contact_id = int(asked.json()["id"])
    assert decisions_of(runtime, contact_id)[-1].reason == "channel_unavailable"


def test_email_update_moves_the_address(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    ana = person(runtime, email="ana@acme.test")
    person(runtime, email="taken@acme.test")
    moved = client.post(
        f"{API}/people",
        json={"email": "ana@acme.test", "email_update": "ana@new.test", "send": False},
        headers=admin,
    )
    assert moved.json()["id"] == str(ana.id)
    assert moved.json()["email"] == "ana@new.test"
    clash = client.post(
        f"{API}/people",
        json={"email": "ana@new.test", "email_update": "taken@acme.test", "send": False},
        headers=admin,
    )
    assert delighted_error(clash, 422)["errors"] == {"email_update": ["belongs to another person"]}


def test_invalid_input_is_a_422_naming_each_field(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    missing = client.post(f"{API}/people", json={"name": "Nobody"}, headers=admin)
    assert delighted_error(missing, 422)["errors"] == {"email": ["can't be blank"]}
    bad = client.post(
        f"{API}/people",
        data={"email": "not-an-address", "delay": "-5", "channel": "fax"},
        headers=admin,
    )
    assert set(delighted_error(bad, 422)["errors"]) == {"email", "delay", "channel"}
    unsafe = client.post(
        f"{API}/people",
        json={
            "email": "ana@acme.test",
            "properties": {"thank_you_link_url": "javascript:alert(1)"},
        },
        headers=admin,
    )
    assert set(delighted_error(unsafe, 422)["errors"]) == {"properties.thank_you_link_url"}
    broken = client.post(
        f"{API}/people",
        content=b"{not json",
        headers={**admin, "Content-Type": "application/json"},
    )
    assert set(delighted_error(broken, 422)["errors"]) == {"base"}
    assert count_contacts(runtime) == 0, "nothing is written on a refused request"
