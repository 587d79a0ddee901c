"""``/unsubscribes`` and ``/bounces``: consent and deliverability, as Delighted listed them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from closeloop.clock import FrozenClock
from closeloop.contacts import service as contacts
from closeloop.runtime import Runtime
from tests.integration.compat.delighted.conftest import API, delighted_error
from tests.integration.compat.delighted.factories import contact_by_email, invitations_of, person


def test_unsubscribing_cancels_what_waits_and_stops_future_surveys(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    client.post(f"{API}/people", json={"email": "ana@acme.test", "delay": 600}, headers=admin)
    done = client.post(
        f"{API}/unsubscribes.json", json={"person_email": "Ana@acme.test"}, headers=admin
    )
    assert (done.status_code, done.json()) == (200, {"ok": True})
    ana = contact_by_email(runtime, "ana@acme.test")
    assert ana is not None and ana.unsubscribed_at == runtime.clock.now()
    (waiting,) = invitations_of(runtime, ana.id)
    assert (waiting.state, waiting.reason) == ("cancelled", "the person unsubscribed")
    again = client.post(f"{API}/people", json={"email": "ana@acme.test"}, headers=admin)
    assert again.json()["survey_scheduled_at"] is None
    assert len(invitations_of(runtime, ana.id)) == 1


def test_an_unknown_address_is_remembered_as_unsubscribed(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    client.post(f"{API}/unsubscribes", data={"person_email": "new@acme.test"}, headers=admin)
    asked = client.post(f"{API}/people", json={"email": "new@acme.test"}, headers=admin)
    assert asked.json()["survey_scheduled_at"] is None
    refused = client.post(f"{API}/unsubscribes", json={}, headers=admin)
    assert delighted_error(refused, 422)["errors"] == {"person_email": ["can't be blank"]}


def test_listing_unsubscribes_by_page_and_period(
    client: TestClient, admin: dict[str, str], clock: FrozenClock
) -> None:
    times = []
    for name in ("a", "b", "c"):
        client.post(
            f"{API}/unsubscribes", json={"person_email": f"{name}@acme.test"}, headers=admin
        )
        times.append(int(clock.now().timestamp()))
        clock.advance(hours=1)
    listed = client.get(f"{API}/unsubscribes.json", headers=admin).json()
    assert [item["email"] for item in listed] == ["a@acme.test", "b@acme.test", "c@acme.test"]
    assert listed[0] == {
        "person_id": listed[0]["person_id"],
        "email": "a@acme.test",
        "name": None,
        "unsubscribed_at": times[0],
    }
    second_page = client.get(f"{API}/unsubscribes?per_page=2&page=2", headers=admin).json()
    assert [item["email"] for item in second_page] == ["c@acme.test"]
    window = client.get(
        f"{API}/unsubscribes", params={"since": times[1], "until": times[1]}, headers=admin
    ).json()
    assert [item["email"] for item in window] == ["b@acme.test"]


def test_listing_bounces(client: TestClient, admin: dict[str, str], runtime: Runtime) -> None:
    dead = person(runtime, email="dead@acme.test", name="Dee")
    person(runtime, email="fine@acme.test")
    with runtime.transaction() as session:
        contacts.mark_bounced(
            session=session, contact_id=dead.id, reason="550 5.1.1", now=runtime.clock.now()
        )
    assert client.get(f"{API}/bounces.json", headers=admin).json() == [
        {
            "person_id": str(dead.id),
            "email": "dead@acme.test",
            "name": "Dee",
            "bounced_at": int(runtime.clock.now().timestamp()),
        }
    ]
