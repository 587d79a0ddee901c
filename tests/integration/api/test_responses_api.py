"""GET /api/v1/responses, /api/v1/responses/{id} and /api/v1/reports/nps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from closeloop.api.app import create_app
from closeloop.auth import service as auth
from closeloop.auth.models import Scope
from closeloop.runtime import Runtime
from closeloop.surveys.models import SurveyKind
from tests.integration.responses import factories

# the conftest clock stands at 2026-03-03 10:00 UTC
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def _key(runtime: Runtime, scope: Scope) -> str:
    with runtime.transaction() as session:
        _, key = auth.create_api_key(session=session, name=scope.value, scope=scope, now=NOW)
    return key


@pytest.fixture
def api(runtime: Runtime) -> Iterator[TestClient]:
    headers = {"Authorization": f"Bearer {_key(runtime, Scope.ADMIN)}"}
    with TestClient(create_app(runtime), headers=headers) as client:
        yield client


@pytest.fixture
def answers(runtime: Runtime) -> dict[str, int]:
    """Five answers over February and March, one of them to a CSAT survey."""
    with runtime.transaction() as session:
        csat = factories.survey(session, now=NOW, key="csat", kind=SurveyKind.CSAT)
        ana = factories.contact(session, now=NOW)
        rows = {
            "feb_promoter": factories.answered(
                session, at=datetime(2026, 2, 10, tzinfo=UTC), score=10, comment="<b>great</b>"
            ),
            "feb_detractor": factories.answered(
                session, at=datetime(2026, 2, 20, tzinfo=UTC), score=2, contact_row=ana
            ),
            "mar_passive": factories.answered(
                session, at=datetime(2026, 3, 2, tzinfo=UTC), score=8, touchpoint="support"
            ),
            "mar_promoter": factories.answered(
                session, at=datetime(2026, 3, 3, 9, tzinfo=UTC), score=9, contact_row=ana
            ),
            "csat": factories.answered(
                session, at=datetime(2026, 3, 1, tzinfo=UTC), score=4, survey_row=csat
            ),
        }
        return {name: row.id for name, row in rows.items()}


def _problem(response: Any, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert field in [error["field"] for error in body.get("errors", [])], (field, body)


# access


def test_every_endpoint_needs_an_admin_key(runtime: Runtime) -> None:
    ingest = _key(runtime, Scope.INGEST)
    with TestClient(create_app(runtime)) as client:
        for path in ("/api/v1/responses", "/api/v1/responses/1", "/api/v1/reports/nps"):
            assert client.get(path).status_code == 401, path
            wrong = client.get(path, headers={"Authorization": "Bearer cl_wrong"})
            assert wrong.status_code == 401, path
            refused = client.get(path, headers={"Authorization": f"Bearer {ingest}"})
            assert refused.status_code == 403, path
            assert "admin" in refused.json()["detail"]


# listing


def test_the_list_is_newest_first_with_every_field(
    api: TestClient, answers: dict[str, int]
) -> None:
    body = api.get("/api/v1/responses").json()
    assert body["next_cursor"] is None
    assert [row["id"] for row in body["data"]] == [
        answers["mar_promoter"],
        answers["mar_passive"],
        answers["csat"],
        answers["feb_detractor"],
        answers["feb_promoter"],
    ]
    first = body["data"][0]
    assert set(first) == {
        "id",
        "survey",
        "invitation_id",
        "contact_id",
        "score",
        "category",
        "comment",
        "answers",
        "channel",
        "touchpoint",
        "stage",
        "responded_at",
        "updated_at",
    }
    assert (first["survey"], first["score"], first["category"]) == ("nps", 9, "promoter")
    assert datetime.fromisoformat(first["responded_at"]) == datetime(2026, 3, 3, 9, tzinfo=UTC)
    assert body["data"][2]["category"] is None, "CSAT answers have no NPS category"
    assert body["data"][-1]["comment"] == "<b>great</b>", "JSON carries the text as written"


def test_pages_follow_the_cursor(api: TestClient, answers: dict[str, int]) -> None:
    seen: list[int] = []
    cursor: str | None = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        body = api.get("/api/v1/responses", params=params).json()
        assert len(body["data"]) <= 2
        seen += [row["id"] for row in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(answers.values())
    assert len(seen) == len(set(seen))


FILTER_CASES: list[tuple[dict[str, Any], list[str]]] = [
    ({"survey": "csat"}, ["csat"]),
    ({"category": "detractor"}, ["feb_detractor"]),
    ({"category": "promoter", "since": "2026-03-01"}, ["mar_promoter"]),
    ({"min_score": 8, "max_score": 9}, ["mar_promoter", "mar_passive"]),
    ({"has_comment": "true"}, ["feb_promoter"]),
    ({"since": "2026-02-01", "until": "2026-02-28"}, ["feb_detractor", "feb_promoter"]),
    ({"until": "2026-03-02T00:00:00Z"}, ["csat", "feb_detractor", "feb_promoter"]),
]


def test_filters(api: TestClient, answers: dict[str, int]) -> None:
    for params, expected in FILTER_CASES:
        body = api.get("/api/v1/responses", params=params)
        assert body.status_code == 200, body.text
        found = [row["id"] for row in body.json()["data"]]
        assert found == [answers[name] for name in expected], params


def test_the_contact_filter(api: TestClient, answers: dict[str, int], runtime: Runtime) -> None:
    one = api.get(f"/api/v1/responses/{answers['feb_detractor']}").json()
    body = api.get("/api/v1/responses", params={"contact_id": one["contact_id"]}).json()
    assert [row["id"] for row in body["data"]] == [
        answers["mar_promoter"],
        answers["feb_detractor"],
    ]


BAD_LIST_PARAMETERS: list[tuple[dict[str, Any], str]] = [
    ({"cursor": "garbage"}, "cursor"),
    ({"cursor": "x" * 500}, "cursor"),
    ({"limit": 0}, "limit"),
    ({"limit": 201}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"since": "yesterday"}, "since"),
    ({"until": "2026-02-30"}, "until"),
    ({"since": "2026-03-05", "until": "2026-03-01"}, "since"),
    ({"category": "fan"}, "category"),
    ({"min_score": 11}, "min_score"),
    ({"min_score": 9, "max_score": 2}, "min_score"),
    ({"has_comment": "perhaps"}, "has_comment"),
    ({"contact_id": "ana"}, "contact_id"),
    ({"survey": "nope"}, "survey"),
    ({"min-score": 3}, "min-score"),
]


def test_bad_parameters_are_422_naming_the_parameter(
    api: TestClient, answers: dict[str, int]
) -> None:
    for params, field in BAD_LIST_PARAMETERS:
        _problem(api.get("/api/v1/responses", params=params), 422, field)


def test_one_response(api: TestClient, answers: dict[str, int]) -> None:
    found = api.get(f"/api/v1/responses/{answers['mar_passive']}")
    assert found.status_code == 200
    assert (found.json()["score"], found.json()["touchpoint"]) == (8, "support")
    missing = api.get("/api/v1/responses/999999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    _problem(api.get("/api/v1/responses/abc"), 422, "response_id")
    _problem(api.get(f"/api/v1/responses/{2**63}"), 422, "response_id")


# the NPS report


def test_the_report_defaults_to_the_90_days_up_to_today(
    api: TestClient, answers: dict[str, int]
) -> None:
    report = api.get("/api/v1/reports/nps").json()
    end_of_today = datetime(2026, 3, 4, tzinfo=UTC)
    assert datetime.fromisoformat(report["until"]) == end_of_today
    assert datetime.fromisoformat(report["since"]) == end_of_today - timedelta(days=90)
    assert (report["promoters"], report["passives"], report["detractors"]) == (2, 1, 1)
    assert report["responses"] == 4
    assert report["nps"] == 25.0
    assert report["promoter_share"] == 50.0
    assert report["passive_share"] == 25.0
    assert report["detractor_share"] == 25.0
    assert report["margin_of_error"] == 81.3  # 196 · √((0.5 + 0.25 − 0.25²) / 4)
    assert (report["by"], report["groups"], report["survey"]) == (None, [], None)


def test_the_report_for_a_period_of_dates(api: TestClient, answers: dict[str, int]) -> None:
    report = api.get("/api/v1/reports/nps", params={"since": "2026-02-01", "until": "2026-02-28"})
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["responses"], body["nps"]) == (2, 0.0)
    assert datetime.fromisoformat(body["until"]) == datetime(2026, 3, 1, tzinfo=UTC)


def test_the_report_broken_down_by_month(api: TestClient, answers: dict[str, int]) -> None:
    body = api.get("/api/v1/reports/nps", params={"by": "month", "survey": "nps"}).json()
    assert body["by"] == "month" and body["survey"] == "nps"
    assert [(g["key"], g["label"], g["responses"], g["nps"]) for g in body["groups"]] == [
        ("2026-02", "February 2026", 2, 0.0),
        ("2026-03", "March 2026", 2, 50.0),
    ]
    assert body["groups"][0]["change"] is None
    change = body["groups"][1]["change"]
    assert change["delta"] == 50.0 and change["significant"] is False
    assert set(body["groups"][0]) >= {"promoter_share", "margin_of_error", "detractors"}


def test_the_report_on_an_empty_period(api: TestClient) -> None:
    body = api.get("/api/v1/reports/nps", params={"by": "touchpoint"}).json()
    assert body["responses"] == 0
    assert body["nps"] is None and body["margin_of_error"] is None
    assert body["groups"] == []


BAD_REPORT_PARAMETERS: list[tuple[dict[str, Any], str]] = [
    ({"by": "planet"}, "by"),
    ({"since": "last week"}, "since"),
    ({"since": "2026-03-10", "until": "2026-03-01"}, "since"),
    ({"until": "9999-12-31"}, "until"),
    ({"survey": "nope"}, "survey"),
    ({"period": "30d"}, "period"),
]


def test_bad_report_parameters_are_422(api: TestClient) -> None:
    for params, field in BAD_REPORT_PARAMETERS:
        _problem(api.get("/api/v1/reports/nps", params=params), 422, field)


def test_the_openapi_document_shows_the_endpoints_with_examples(api: TestClient) -> None:
    document = api.get("/openapi.json").json()
    assert {"/api/v1/responses", "/api/v1/responses/{response_id}", "/api/v1/reports/nps"} <= set(
        document["paths"]
    )
    assert not any(path.startswith("/r/") for path in document["paths"])
    listing = document["paths"]["/api/v1/responses"]["get"]
    names = {parameter["name"] for parameter in listing["parameters"]}
    assert {"survey", "since", "until", "category", "has_comment", "limit", "cursor"} <= names
    schemas = document["components"]["schemas"]
    assert schemas["NpsReportOut"]["examples"]
    assert schemas["ResponseList"]["examples"]
