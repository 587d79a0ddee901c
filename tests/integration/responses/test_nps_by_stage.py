"""NPS per journey stage: in the service, the API and the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from closeloop.analytics.breakdown import Dimension
from closeloop.api.app import create_app
from closeloop.auth.models import Scope
from closeloop.auth.service import create_api_key
from closeloop.cli import app
from closeloop.journeys import service as journeys
from closeloop.journeys.schemas import StageIn
from closeloop.responses import service as responses
from closeloop.runtime import Runtime
from tests.conftest import TEST_SECRET
from tests.integration.responses import factories


def _answer(session: Session, runtime: Runtime, *, stage: str | None, score: int) -> None:
    """An answer to an invitation made at ``stage``; the response copies the stage."""
    at = runtime.clock.now() - timedelta(days=1)
    invitation = factories.invitation(session, now=at)
    invitation.stage = stage
    session.flush()
    response = responses.record_score(
        session=session, invitation_id=invitation.id, score=score, now=at
    )
    assert response.stage == stage


@pytest.fixture
def answered(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        journeys.merge_stages(
            session=session,
            stages=[
                StageIn(key="purchase", name="Purchase"),
                StageIn(key="retention", name="Retention"),
            ],
            now=runtime.clock.now(),
        )
        for stage, score in (
            ("retention", 10),
            ("retention", 9),
            ("retention", 2),
            ("purchase", 7),
            ("churned", 0),  # a stage deleted since: shown by its key
            (None, 10),
        ):
            _answer(session, runtime, stage=stage, score=score)


@pytest.mark.usefixtures("answered")
def test_the_breakdown_by_stage(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.read_transaction() as session:
        groups = responses.nps_breakdown(
            session=session, by=Dimension.STAGE, since=now - timedelta(days=7), until=now
        )
    assert [
        (g.key, g.label, g.summary.promoters, g.summary.passives, g.summary.detractors)
        for g in groups
    ] == [
        ("retention", "Retention", 2, 0, 1),
        (None, "(no stage)", 1, 0, 0),
        ("purchase", "Purchase", 0, 1, 0),
        ("churned", "churned", 0, 0, 1),
    ]


@pytest.mark.usefixtures("answered")
def test_the_report_api_by_stage(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        _, key = create_api_key(
            session=session, name="a", scope=Scope.ADMIN, now=runtime.clock.now()
        )
    with TestClient(create_app(runtime), headers={"Authorization": f"Bearer {key}"}) as client:
        body = client.get("/api/v1/reports/nps", params={"by": "stage"}).json()
    assert body["by"] == "stage"
    assert [(g["key"], g["responses"], g["nps"]) for g in body["groups"]] == [
        ("retention", 3, 33.3),
        (None, 1, 100.0),
        ("purchase", 1, 0.0),
        ("churned", 1, -100.0),
    ]


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLOSELOOP_DATABASE_URL", db_url)
    monkeypatch.setenv("CLOSELOOP_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("CLOSELOOP_DATA_DIR", str(tmp_path / "data"))
    yield CliRunner()


@pytest.mark.usefixtures("answered")
def test_the_report_command_by_stage(cli: CliRunner) -> None:
    period = ["--since", "2026-02-25", "--until", "2026-03-03"]  # around the frozen clock
    result = cli.invoke(app, ["report", "nps", "--by", "stage", *period, "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [group["label"] for group in report["groups"]] == [
        "Retention",
        "(no stage)",
        "Purchase",
        "churned",
    ]
