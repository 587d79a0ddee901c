"""``/survey_responses`` and ``/metrics``: Delighted's shapes over closeloop's responses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from closeloop.clock import FrozenClock
from closeloop.responses import service as responses
from closeloop.runtime import Runtime
from closeloop.surveys import service as surveys
from closeloop.surveys.schemas import SurveyCreate
from tests.integration.compat.delighted.conftest import API, delighted_error
from tests.integration.compat.delighted.factories import contact_by_email


def _person(client: TestClient, admin: dict[str, str], email: str, **fields: Any) -> str:
    created = client.post(
        f"{API}/people", json={"email": email, "send": False, **fields}, headers=admin
    )
    assert created.status_code == 200, created.text
    person_id: str = created.json()["id"]
    return person_id


def _answer(client: TestClient, admin: dict[str, str], **fields: Any) -> dict[str, Any]:
    added = client.post(f"{API}/survey_responses", json=fields, headers=admin)
    assert added.status_code == 201, added.text
    body: dict[str, Any] = added.json()
    return body


def test_an_answer_is_added_and_read_back(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    ana = _person(client, admin, "ana@acme.test", properties={"plan": "pro"})
    given_at = int((runtime.clock.now() - timedelta(days=3)).timestamp())
    added = _answer(
        client,
        admin,
        person=ana,
        score=9,
        comment="  Great support  ",
        person_properties={"Purchase Experience": "Retail Store"},
        created_at=given_at,
    )
    assert added == {
        "id": added["id"],
        "person": ana,
        "survey_type": "nps",
        "score": 9,
        "comment": "Great support",
        "permalink": f"http://127.0.0.1:8000/api/v1/responses/{added['id']}",
        "created_at": given_at,
        "updated_at": given_at,
        "person_properties": {"plan": "pro", "Purchase Experience": "Retail Store"},
        "notes": [],
        "tags": [],
        "additional_answers": [],
    }
    read = client.get(f"{API}/survey_responses/{added['id']}.json", headers=admin)
    assert read.json() == added
    expanded = client.get(
        f"{API}/survey_responses/{added['id']}", params={"expand[]": "person"}, headers=admin
    ).json()
    assert expanded["person"]["id"] == ana and expanded["person"]["email"] == "ana@acme.test"
    with runtime.read_transaction() as session:
        native = responses.get_or_404(session=session, response_id=int(added["id"]))
        assert (native.score, native.invitation_id, native.channel) == (9, None, "api")


def test_a_bad_answer_is_a_422(client: TestClient, admin: dict[str, str]) -> None:
    ana = _person(client, admin, "ana@acme.test")
    for fields, field in (
        ({"person": ana, "score": 11}, "score"),
        ({"person": "999", "score": 5}, "person"),
        ({"score": 5}, "person"),
        ({"person": ana}, "score"),
        ({"person": ana, "score": 5, "created_at": 4_102_444_800}, "created_at"),
    ):
        refused = client.post(f"{API}/survey_responses", json=fields, headers=admin)
        assert field in delighted_error(refused, 422)["errors"], fields
    delighted_error(client.get(f"{API}/survey_responses/424242", headers=admin), 404)


def test_listing_pages_filters_and_orders(
    client: TestClient, admin: dict[str, str], runtime: Runtime, clock: FrozenClock
) -> None:
    ana = _person(client, admin, "ana@acme.test")
    bo = _person(client, admin, "bo@acme.test")
    ids = []
    for score, person in ((10, ana), (2, bo), (8, ana), (9, bo), (6, ana)):
        ids.append(_answer(client, admin, person=person, score=score)["id"])
        clock.advance(minutes=10)

    def listed(**params: Any) -> list[str]:
        found = client.get(f"{API}/survey_responses.json", params=params, headers=admin)
        assert found.status_code == 200, found.text
        return [item["id"] for item in found.json()]

    assert listed() == ids, "oldest first by default"
    assert [*listed(per_page=2), *listed(per_page=2, page=2), *listed(per_page=2, page=3)] == ids
    assert listed(per_page=2, page=4) == []
    assert listed(order="desc") == ids[::-1]
    assert listed(person_id=ana) == [ids[0], ids[2], ids[4]]
    assert listed(person_email="BO@acme.test") == [ids[1], ids[3]]
    assert listed(person_email="nobody@acme.test") == []
    start = int(runtime.clock.now().timestamp()) - 50 * 60
    assert listed(since=start + 10 * 60, until=start + 20 * 60) == [ids[1], ids[2]]

    clock.advance(minutes=5)
    changed = client.put(
        f"{API}/survey_responses/{ids[0]}", json={"score": 7, "comment": "Now OK"}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["score"], changed.json()["comment"]) == (7, "Now OK")
    assert changed.json()["updated_at"] == int(runtime.clock.now().timestamp())
    assert listed(order="desc:updated_at")[0] == ids[0]
    assert listed(order="asc:updated_at")[-1] == ids[0]
    assert listed(updated_since=int(runtime.clock.now().timestamp())) == [ids[0]]
    assert listed(updated_until=int(runtime.clock.now().timestamp()) - 1) == ids[1:]
    refused = client.get(f"{API}/survey_responses", params={"order": "random"}, headers=admin)
    assert set(delighted_error(refused, 422)["errors"]) == {"order"}


def test_expanding_people_in_a_list(client: TestClient, admin: dict[str, str]) -> None:
    ana = _person(client, admin, "ana@acme.test", name="Ana")
    _answer(client, admin, person=ana, score=10)
    (found,) = client.get(f"{API}/survey_responses?expand[]=person", headers=admin).json()
    assert found["person"] == {
        "id": ana,
        "email": "ana@acme.test",
        "name": "Ana",
        "phone_number": None,
        "created_at": found["person"]["created_at"],
    }


def test_trend_names_a_survey(client: TestClient, admin: dict[str, str], runtime: Runtime) -> None:
    ana = _person(client, admin, "ana@acme.test")
    _answer(client, admin, person=ana, score=10)
    with runtime.transaction() as session:
        surveys.create(
            session=session,
            survey_in=SurveyCreate(key="onboarding", name="Onboarding"),
            now=runtime.clock.now(),
        )
    assert len(client.get(f"{API}/survey_responses?trend=nps", headers=admin).json()) == 1
    assert client.get(f"{API}/survey_responses?trend=onboarding", headers=admin).json() == []
    unknown = client.get(f"{API}/survey_responses?trend=4711", headers=admin)
    assert set(delighted_error(unknown, 422)["errors"]) == {"trend"}


def test_a_whole_resource_can_be_put_back(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    """What the clients' ``save()`` sends: everything they read, with one change."""
    ana = _person(client, admin, "ana@acme.test")
    read = _answer(client, admin, person=ana, score=4, comment="Slow")
    expanded = client.get(
        f"{API}/survey_responses/{read['id']}?expand[]=person", headers=admin
    ).json()
    saved = client.put(
        f"{API}/survey_responses/{read['id']}",
        json={**expanded, "comment": "Slow, but improving", "person_properties": {"tier": "b"}},
        headers=admin,
    )
    assert saved.status_code == 200, saved.text
    assert (saved.json()["score"], saved.json()["comment"]) == (4, "Slow, but improving")
    contact = contact_by_email(runtime, "ana@acme.test")
    assert contact is not None and contact.traits == {"tier": "b"}
    tagged = client.put(
        f"{API}/survey_responses/{read['id']}", json={"tags": ["vip"]}, headers=admin
    )
    assert set(delighted_error(tagged, 422)["errors"]) == {"tags"}
    off_scale = client.put(
        f"{API}/survey_responses/{read['id']}", json={"score": 12}, headers=admin
    )
    assert set(delighted_error(off_scale, 422)["errors"]) == {"score"}


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], {"nps": None, "response_count": 0, "promoter_percent": None}),
        (
            [10, 9, 8, 3],
            {
                "nps": 25,
                "promoter_count": 2,
                "promoter_percent": 50.0,
                "passive_count": 1,
                "passive_percent": 25.0,
                "detractor_count": 1,
                "detractor_percent": 25.0,
                "response_count": 4,
            },
        ),
        # 3 promoters, 2 passives, 3 detractors of 8: NPS 0; 1 of 3 → 33.3 %
        ([10, 9, 9, 7, 8, 0, 1, 2], {"nps": 0, "promoter_percent": 37.5}),
        ([10, 9, 6], {"nps": 33, "detractor_percent": 33.3}),
    ],
)
def test_metrics_agree_with_the_native_report(
    client: TestClient,
    admin: dict[str, str],
    runtime: Runtime,
    scores: list[int],
    expected: dict[str, Any],
) -> None:
    ana = _person(client, admin, "ana@acme.test")
    for score in scores:
        _answer(client, admin, person=ana, score=score)
    metrics = client.get(f"{API}/metrics.json", headers=admin)
    assert metrics.status_code == 200, metrics.text
    assert expected.items() <= metrics.json().items()
    now = runtime.clock.now()
    with runtime.read_transaction() as session:
        native = responses.nps_summary(
            session=session, since=now - timedelta(days=30), until=now + timedelta(seconds=1)
        )
    assert metrics.json()["response_count"] == native.responses
    assert metrics.json()["promoter_count"] == native.promoters
    assert metrics.json()["detractor_count"] == native.detractors


def test_metrics_of_a_period(
    client: TestClient, admin: dict[str, str], runtime: Runtime, clock: FrozenClock
) -> None:
    ana = _person(client, admin, "ana@acme.test")
    old = int((runtime.clock.now() - timedelta(days=45)).timestamp())
    _answer(client, admin, person=ana, score=0, created_at=old)
    _answer(client, admin, person=ana, score=10)
    recent = client.get(f"{API}/metrics", headers=admin).json()
    assert (recent["response_count"], recent["nps"]) == (1, 100), "the last 30 days by default"
    both = client.get(f"{API}/metrics", params={"since": old}, headers=admin).json()
    assert (both["response_count"], both["nps"]) == (2, 0)
    only_old = client.get(f"{API}/metrics", params={"since": old, "until": old}, headers=admin)
    assert (only_old.json()["response_count"], only_old.json()["nps"]) == (1, -100)
    backwards = client.get(f"{API}/metrics", params={"since": old, "until": old - 1}, headers=admin)
    assert set(delighted_error(backwards, 422)["errors"]) == {"since"}
