"""``GET /people`` with its Link pages, erasure, and cancelling pending survey requests."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from closeloop.channels.models import OutboxMessage
from closeloop.clock import FrozenClock
from closeloop.events.models import Event
from closeloop.responses.models import Response
from closeloop.runtime import Runtime
from closeloop.triggers.models import Decision
from tests.integration.compat.delighted.conftest import API, delighted_error
from tests.integration.compat.delighted.factories import (
    contact_by_email,
    count_contacts,
    invitations_of,
    person,
    sent_survey,
)


def _post_people(client: TestClient, headers: dict[str, str], count: int) -> list[str]:
    ids = []
    for number in range(count):
        created = client.post(
            f"{API}/people",
            json={"email": f"p{number}@acme.test", "send": False},
            headers=headers,
        )
        ids.append(created.json()["id"])
    return ids


def test_pages_follow_the_link_header_to_the_end(client: TestClient, admin: dict[str, str]) -> None:
    ids = _post_people(client, admin, 7)
    seen: list[str] = []
    url: str | None = f"{API}/people.json?per_page=3"
    pages = 0
    while url is not None:
        page = client.get(url, headers=admin)
        assert page.status_code == 200, page.text
        seen.extend(item["id"] for item in page.json())
        pages += 1
        url = page.links.get("next", {}).get("url")
        if url is not None:
            assert "per_page=3" in url and "page_info=" in url, "the link repeats the filters"
    assert pages == 3
    assert seen == ids, "every person once, in creation order"


def test_the_filters(
    client: TestClient, admin: dict[str, str], runtime: Runtime, clock: FrozenClock
) -> None:
    early = client.post(
        f"{API}/people", json={"email": "early@acme.test", "send": False}, headers=admin
    ).json()
    clock.advance(hours=1)
    late = client.post(
        f"{API}/people",
        json={"email": "late@acme.test", "phone_number": "+1 713 274 6524", "send": False},
        headers=admin,
    ).json()
    cut = int(clock.now().timestamp())

    def ids(**params: object) -> list[str]:
        found = client.get(f"{API}/people", params=params, headers=admin)
        assert found.status_code == 200, found.text
        return [item["id"] for item in found.json()]

    assert ids(since=cut) == [late["id"]]
    assert ids(until=cut - 1) == [early["id"]]
    assert ids(until=cut) == [early["id"], late["id"]], "until includes its second"
    assert ids(email="EARLY@acme.test") == [early["id"]]
    assert ids(phone_number="+17132746524") == [late["id"]]
    assert ids(email="nobody@acme.test") == []


def test_a_person_shows_their_survey_activity(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    ana = person(runtime, email="ana@acme.test")
    sent_at = runtime.clock.now() - timedelta(days=100)
    sent_survey(runtime, ana.id, sent_at=sent_at)
    client.post(f"{API}/people", json={"email": "ana@acme.test", "delay": 60}, headers=admin)
    (listed,) = client.get(f"{API}/people", headers=admin).json()
    assert listed["last_sent_at"] == int(sent_at.timestamp())
    assert listed["last_responded_at"] is None
    assert listed["next_survey_scheduled_at"] == int(runtime.clock.now().timestamp()) + 60


def test_a_cursor_that_is_not_ours_is_refused(client: TestClient, admin: dict[str, str]) -> None:
    refused = client.get(f"{API}/people?page_info=bm9wZQ", headers=admin)
    assert set(delighted_error(refused, 422)["errors"]) == {"page_info"}


def _answered(client: TestClient, admin: dict[str, str], email: str) -> str:
    person_id: str = client.post(f"{API}/people", json={"email": email}, headers=admin).json()["id"]
    answered = client.post(
        f"{API}/survey_responses", json={"person": person_id, "score": 3}, headers=admin
    )
    assert answered.status_code == 201, answered.text
    return person_id


def test_deleting_a_person_erases_them_and_their_answers(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    kept = _answered(client, admin, "kept@acme.test")
    for identifier in (
        _answered(client, admin, "by-id@acme.test"),
        "email:by-email@acme.test",
        "phone_number:+34600123456",
    ):
        if identifier.startswith("email:"):
            _answered(client, admin, "by-email@acme.test")
        if identifier.startswith("phone_number:"):
            client.post(
                f"{API}/people",
                json={"email": "by-phone@acme.test", "phone_number": "+34 600 123 456"},
                headers=admin,
            )
        deleted = client.delete(f"{API}/people/{identifier}", headers=admin)
        assert deleted.status_code == 202, deleted.text
        assert deleted.json() == {"ok": True}
    assert count_contacts(runtime) == 1
    with runtime.read_transaction() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 1
        assert {d.contact_id for d in session.scalars(select(Decision))} == {int(kept)}
        assert session.scalar(select(func.count()).select_from(Event)) == 0
    again = client.delete(f"{API}/people/email:by-email@acme.test", headers=admin)
    delighted_error(again, 404)


def test_erasure_removes_the_copies_in_the_outbox(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    client.post(f"{API}/people", json={"email": "ana@acme.test"}, headers=admin)
    ana = contact_by_email(runtime, "ana@acme.test")
    assert ana is not None
    (invitation,) = invitations_of(runtime, ana.id)
    with runtime.transaction() as session:
        session.add(
            OutboxMessage(
                invitation_id=invitation.id,
                recipient="ana@acme.test",
                subject="A quick question",
                text_body="…",
                raw="…",
                created_at=runtime.clock.now(),
            )
        )
    client.delete(f"{API}/people/{ana.id}", headers=admin)
    with runtime.read_transaction() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_an_identifier_that_names_nobody(client: TestClient, admin: dict[str, str]) -> None:
    for identifier in ("999", "email:nobody@acme.test", "phone_number:+100000", "someone"):
        delighted_error(client.delete(f"{API}/people/{identifier}", headers=admin), 404)


def test_deleting_pending_survey_requests(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    client.post(f"{API}/people", json={"email": "ana@acme.test", "delay": 600}, headers=admin)
    deleted = client.delete(
        f"{API}/people/ana%40acme.test/survey_requests/pending.json", headers=admin
    )
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"ok": True}
    ana = contact_by_email(runtime, "ana@acme.test")
    assert ana is not None
    (invitation,) = invitations_of(runtime, ana.id)
    assert invitation.state == "cancelled"
    nobody = client.delete(f"{API}/people/nobody@acme.test/survey_requests/pending", headers=admin)
    delighted_error(nobody, 404)
