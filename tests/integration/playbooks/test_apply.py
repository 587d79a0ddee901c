"""Applying playbooks on both databases: everything they bring, idempotent, all or nothing,
and rules that then run the journey."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from closeloop.cli import app
from closeloop.clock import FrozenClock
from closeloop.contacts.models import Contact
from closeloop.events import service as events
from closeloop.events.schemas import EventIn
from closeloop.invitations.models import Invitation
from closeloop.journeys import service as journeys
from closeloop.journeys.models import Stage, Touchpoint
from closeloop.journeys.schemas import TouchpointCreate
from closeloop.playbooks import loader
from closeloop.playbooks import service as playbooks
from closeloop.playbooks.parsing import InvalidPlaybook, Playbook, parse
from closeloop.playbooks.service import ApplySummary, Changes
from closeloop.runtime import Runtime
from closeloop.surveys import service as surveys
from closeloop.surveys.models import Survey
from closeloop.surveys.schemas import SurveyCreate
from closeloop.triggers import rules
from closeloop.triggers import service as triggers
from closeloop.triggers.models import Rule
from tests.conftest import TEST_SECRET

B2B_SAAS = loader.load_shipped("b2b-saas")
B2B_SAAS_KEYS = tuple(rule.key for rule in B2B_SAAS.rules)
B2B_SAAS_TEXT = (Path(loader.__file__).parent / "b2b-saas.yaml").read_text(encoding="utf-8")


def _apply(runtime: Runtime, playbook: Playbook) -> ApplySummary:
    with runtime.transaction() as session:
        return playbooks.apply(session=session, playbook=playbook, now=runtime.clock.now())


def _count(runtime: Runtime, model: type[Any]) -> int:
    with runtime.read_transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _rule_versions(runtime: Runtime) -> dict[str, tuple[int, bool, str]]:
    with runtime.read_transaction() as session:
        return {
            rule.key: (rule.version, rule.enabled, rule.origin)
            for rule in rules.list_(session=session)
        }


def _edited(*replacements: tuple[str, str]) -> Playbook:
    """The b2b-saas playbook with some lines changed."""
    text = B2B_SAAS_TEXT
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return parse(text, source="b2b-saas.yaml")


def test_b2b_saas_brings_its_journey_surveys_and_rules(runtime: Runtime) -> None:
    summary = _apply(runtime, B2B_SAAS)
    assert summary.stages.created == (
        "awareness",
        "consideration",
        "purchase",
        "retention",
        "advocacy",
    )
    assert len(summary.touchpoints.created) == 8
    assert len(summary.surveys.created) == 7
    assert len(summary.rules.created) == 8
    with runtime.read_transaction() as session:
        stages = journeys.list_stages(session=session)
        assert [stage.key for stage in stages] == list(summary.stages.created)
        by_stage = {
            stage.key: sorted(touchpoint.key for touchpoint in stage.touchpoints)
            for stage in stages
        }
        assert by_stage["purchase"] == ["first_billing", "onboarding"]
        assert by_stage["advocacy"] == ["relationship"]
        support = journeys.get_touchpoint_or_404(session=session, key="support")
        assert support.events == ["Ticket Solved", "Ticket Reopened"]
        csat = surveys.get_by_key_or_404(session=session, key="support-csat")
        assert (csat.kind, csat.active, csat.product_name) == ("csat", True, None)
        assert csat.question is not None and "{product}" in csat.question
        onboarding = rules.get_or_404(session=session, key="onboarding")
        assert onboarding.definition["delay"] == "14d"
        assert onboarding.definition["event"] == "Signed Up"
    assert set(_rule_versions(runtime).values()) == {(1, True, "playbook:b2b-saas")}


def test_applying_again_changes_nothing(runtime: Runtime, clock: FrozenClock) -> None:
    _apply(runtime, B2B_SAAS)
    clock.advance(timedelta(days=1))
    again = _apply(runtime, B2B_SAAS)
    for part, changes in again.parts().items():
        assert not changes.created and not changes.updated, part
        assert changes.unchanged, part
    assert {version for version, _, _ in _rule_versions(runtime).values()} == {1}


def test_a_changed_playbook_changes_only_what_changed(runtime: Runtime) -> None:
    _apply(runtime, B2B_SAAS)
    revised = _edited(
        ("    delay: 14d\n", "    delay: 21d\n"),
        (
            "follow_up_question: What could we have done better?",
            "follow_up_question: What one thing would have helped most?",
        ),
    )
    summary = _apply(runtime, revised)
    assert summary.rules == Changes(
        updated=("onboarding",),
        unchanged=tuple(key for key in B2B_SAAS_KEYS if key != "onboarding"),
    )
    assert summary.surveys.updated == ("support-csat",)
    assert not summary.touchpoints.updated and not summary.stages.updated
    versions = _rule_versions(runtime)
    assert versions["onboarding"][0] == 2
    assert versions["support-csat"][0] == 1
    with runtime.read_transaction() as session:
        csat = surveys.get_by_key_or_404(session=session, key="support-csat")
        assert csat.follow_up_question == "What one thing would have helped most?"


def test_what_belongs_to_the_user_survives_a_new_apply(
    runtime: Runtime, clock: FrozenClock
) -> None:
    """The on/off switch of a rule, and the survey fields a playbook leaves out."""
    _apply(runtime, B2B_SAAS)
    with runtime.transaction() as session:
        rules.set_enabled(session=session, key="feature-release", enabled=False, now=clock.now())
        survey = surveys.get_by_key_or_404(session=session, key="onboarding-ces")
        survey.product_name, survey.active = "FacturaPlus", False
    summary = _apply(runtime, B2B_SAAS)
    assert not summary.rules.updated and not summary.surveys.updated
    assert _rule_versions(runtime)["feature-release"][:2] == (2, False)
    with runtime.read_transaction() as session:
        survey = surveys.get_by_key_or_404(session=session, key="onboarding-ces")
        assert (survey.product_name, survey.active) == ("FacturaPlus", False)


def test_a_conflict_with_the_database_applies_nothing_and_names_every_line(
    runtime: Runtime, clock: FrozenClock
) -> None:
    now = clock.now()
    with runtime.transaction() as session:
        journeys.merge_stages(session=session, stages=B2B_SAAS.stages[:1], now=now)
        journeys.create_touchpoint(
            session=session,
            touchpoint_in=TouchpointCreate(
                key="signup", name="Sign-up", stage="awareness", events=["Signed Up"]
            ),
            now=now,
        )
        surveys.create(
            session=session,
            survey_in=SurveyCreate(key="support-csat", name="Support", kind="nps"),
            now=now,
        )
    before = {model: _count(runtime, model) for model in (Stage, Touchpoint, Survey, Rule)}

    with pytest.raises(InvalidPlaybook) as refused:
        _apply(runtime, B2B_SAAS)

    lines = B2B_SAAS_TEXT.splitlines()
    problems = [(p.line, p.path) for p in refused.value.problems]
    assert problems == [
        (lines.index("    events: [Signed Up]") + 1, "touchpoints.0.events.0"),
        (lines.index("  - key: support-csat") + 3, "surveys.2.kind"),
        # a consequence, named all the same: the rule's touchpoint could not be made
        (lines.index("    touchpoint: onboarding") + 1, "rules.2.touchpoint"),
    ]
    assert "already marks touchpoint 'signup'" in str(refused.value)
    assert "exists as a nps survey" in str(refused.value)
    after = {model: _count(runtime, model) for model in (Stage, Touchpoint, Survey, Rule)}
    assert after == before


def test_an_event_can_move_between_the_playbooks_touchpoints(runtime: Runtime) -> None:
    _apply(runtime, B2B_SAAS)
    moved = _edited(
        ("    events: [Ticket Solved, Ticket Reopened]\n", "    events: [Ticket Solved]\n"),
        ("    events: [Signed Up]\n", "    events: [Signed Up, Ticket Reopened]\n"),
    )
    summary = _apply(runtime, moved)
    assert set(summary.touchpoints.updated) == {"onboarding", "support"}
    with runtime.read_transaction() as session:
        onboarding = journeys.get_touchpoint_or_404(session=session, key="onboarding")
        assert onboarding.events == ["Signed Up", "Ticket Reopened"]


def test_a_second_industry_composes_with_the_first(runtime: Runtime) -> None:
    _apply(runtime, B2B_SAAS)
    summary = _apply(runtime, loader.load_shipped("telecom"))
    assert "support" in summary.touchpoints.updated  # renamed "Customer service"
    assert "master_data_change" in summary.touchpoints.created
    assert summary.stages.unchanged == tuple(stage.key for stage in B2B_SAAS.stages)
    assert _rule_versions(runtime)["renewal"][:1] == (2,)  # now the subscriber's date


# the journey at work


def _post(runtime: Runtime, clock: FrozenClock, name: str, **properties: Any) -> None:
    event = EventIn.model_validate(
        {"name": name, "contact": {"email": "ana@example.com"}, "properties": properties}
    )
    with runtime.transaction() as session:
        result = events.ingest_one(session=session, event=event, now=clock.now())
        triggers.process_events(session=session, events=result.stored, settings=runtime.settings)


def test_the_applied_rules_place_surveys_on_the_journey(
    runtime: Runtime, clock: FrozenClock
) -> None:
    _apply(runtime, B2B_SAAS)
    now = clock.now()  # Tuesday 2026-03-03 10:00 UTC
    with runtime.transaction() as session:
        session.add(
            Contact(
                email="ana@example.com",
                role="end_user",
                time_zone="Europe/Madrid",
                created_at=now,
                updated_at=now,
            )
        )
    _post(runtime, clock, "Signed Up")
    clock.advance(timedelta(hours=1))
    _post(runtime, clock, "Ticket Solved", ticket_id="T-7")
    with runtime.read_transaction() as session:
        made = session.scalars(select(Invitation).order_by(Invitation.id)).all()
        placed = [(i.touchpoint, i.stage, i.state, i.due_at) for i in made]
    assert placed == [
        # 14 days later, inside the workspace's window: Tuesday 17 March, 10:00 UTC
        ("onboarding", "purchase", "cancelled", datetime(2026, 3, 17, 10, tzinfo=UTC)),
        # support outranks onboarding and goes at once, outside any window
        ("support", "retention", "scheduled", now + timedelta(hours=1)),
    ]


# the command line


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLOSELOOP_DATABASE_URL", db_url)
    monkeypatch.setenv("CLOSELOOP_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("CLOSELOOP_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def test_playbook_list_and_apply(cli: CliRunner, runtime: Runtime) -> None:
    listed = cli.invoke(app, ["playbook", "list"])
    assert listed.exit_code == 0, listed.output
    assert "b2b-saas: 5 stages, 8 touchpoints, 7 surveys, 8 rules" in listed.stdout
    assert listed.stdout.count(" stages, ") == 7

    first = cli.invoke(app, ["playbook", "apply", "b2b-saas"])
    assert first.exit_code == 0, first.output
    assert "Applied the b2b-saas playbook:" in first.stdout
    assert "  rules:       8 created (support-csat, cancellation, onboarding," in first.stdout
    second = cli.invoke(app, ["playbook", "apply", "b2b-saas"])
    assert "  rules:       8 unchanged\n" in second.stdout
    assert _count(runtime, Rule) == 8


def test_an_invalid_playbook_file_prints_its_lines_and_fails(
    cli: CliRunner, runtime: Runtime, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(B2B_SAAS_TEXT.replace("    delay: 14d\n", "    delay: fortnight\n"))
    result = cli.invoke(app, ["playbook", "apply", str(broken)])
    assert result.exit_code == 1
    line = B2B_SAAS_TEXT.splitlines().index("    delay: 14d") + 1
    assert result.stderr.splitlines() == [
        f"{broken}:{line}: rules.2.delay: 'fortnight' is not a duration such as 14d, 3h, 30m or 0",
        "error: the playbook is not valid (1 problem); nothing applied",
    ]
    assert result.stdout == ""
    assert _count(runtime, Stage) == 0

    missing = cli.invoke(app, ["playbook", "apply", "b2b-sass"])
    assert missing.exit_code == 1
    assert "'b2b-sass' is neither a shipped playbook" in missing.stderr
