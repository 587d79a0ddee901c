"""NPS figures from the database: the summary, breakdowns, week and month buckets."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from closeloop.analytics.breakdown import Dimension, NpsGroup
from closeloop.analytics.nps import NpsSummary, summarise
from closeloop.errors import InvalidInput
from closeloop.responses import service
from closeloop.runtime import Runtime
from closeloop.surveys.models import SurveyKind
from tests.integration.responses import factories

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = datetime(2026, 4, 1, tzinfo=UTC)


@contextmanager
def _statements(runtime: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)


def _counts(groups: tuple[NpsGroup, ...]) -> dict[str | None, tuple[int, int, int]]:
    return {
        group.key: (group.summary.promoters, group.summary.passives, group.summary.detractors)
        for group in groups
    }


def test_the_summary_matches_the_arithmetic_on_the_same_answers(runtime: Runtime) -> None:
    rng = random.Random(20260303)
    in_period: list[int] = []
    with runtime.transaction() as session:
        csat = factories.survey(session, now=SINCE, key="csat", kind=SurveyKind.CSAT)
        for _ in range(80):
            at = SINCE + timedelta(minutes=rng.randrange(0, 90 * 24 * 60))
            score = rng.randrange(0, 11)
            factories.answered(session, at=at, score=score)
            in_period.append(score)
        for at in (SINCE - timedelta(seconds=1), UNTIL, UNTIL + timedelta(days=3)):
            factories.answered(session, at=at, score=0)
        for _ in range(5):
            factories.answered(session, at=SINCE, score=1, survey_row=csat)
        factories.answered(session, at=SINCE, score=5, survey_row=csat)

    with runtime.transaction() as session, _statements(runtime) as statements:
        summary = service.nps_summary(session=session, since=SINCE, until=UNTIL)
    assert summary == summarise(in_period)
    queries = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 1, "one query, whatever the number of answers"
    assert "count(" in queries[0].lower()


def test_the_summary_of_one_survey_and_of_nothing(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        other = factories.survey(session, now=SINCE, key="onboarding")
        factories.answered(session, at=SINCE, score=10)
        factories.answered(session, at=SINCE, score=2, survey_row=other)
        factories.answered(session, at=SINCE, score=8, survey_row=other)
        other_id = other.id
    with runtime.transaction() as session:
        assert service.nps_summary(
            session=session, since=SINCE, until=UNTIL, survey_id=other_id
        ) == NpsSummary(promoters=0, passives=1, detractors=1)
        empty = service.nps_summary(session=session, since=UNTIL, until=UNTIL + timedelta(days=1))
    assert empty == NpsSummary(0, 0, 0)
    assert empty.nps is None


def test_breakdowns_by_survey_touchpoint_role_and_account(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        onboarding = factories.survey(session, now=SINCE, key="onboarding")
        csat = factories.survey(session, now=SINCE, key="csat", kind=SurveyKind.CSAT)
        acme = factories.account(session, name="Acme Facturas SL", now=SINCE)
        boss = factories.contact(session, now=SINCE, role="decision_maker", account_id=acme.id)
        user = factories.contact(session, now=SINCE, role="end_user", account_id=acme.id)
        loner = factories.contact(session, now=SINCE)
        factories.answered(session, at=SINCE, score=10, contact_row=boss, touchpoint="renewal")
        factories.answered(session, at=SINCE, score=9, contact_row=boss, survey_row=onboarding)
        factories.answered(session, at=SINCE, score=3, contact_row=user, touchpoint="support")
        factories.answered(session, at=SINCE, score=7, contact_row=loner, touchpoint=None)
        factories.answered(session, at=SINCE, score=1, contact_row=loner, survey_row=csat)
        acme_id = acme.id

    def by(dimension: Dimension) -> tuple[NpsGroup, ...]:
        with runtime.transaction() as session:
            return service.nps_breakdown(session=session, by=dimension, since=SINCE, until=UNTIL)

    surveys = by(Dimension.SURVEY)
    assert _counts(surveys) == {"nps": (1, 1, 1), "onboarding": (1, 0, 0)}
    assert [group.label for group in surveys] == ["Relationship NPS", "Survey onboarding"]
    assert _counts(by(Dimension.TOUCHPOINT)) == {
        "renewal": (1, 0, 0),
        "onboarding": (1, 0, 0),
        "support": (0, 0, 1),
        None: (0, 1, 0),
    }
    assert _counts(by(Dimension.ROLE)) == {
        "decision_maker": (2, 0, 0),
        "end_user": (0, 0, 1),
        None: (0, 1, 0),
    }
    accounts = by(Dimension.ACCOUNT)
    assert _counts(accounts) == {str(acme_id): (2, 0, 1), None: (0, 1, 0)}
    assert [group.label for group in accounts] == ["Acme Facturas SL", "(no account)"]


def test_week_and_month_buckets_split_at_utc_midnight(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        # Saturday 28 Feb and Sunday 1 Mar belong to the week of Monday 23 Feb
        factories.answered(session, at=datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC), score=10)
        factories.answered(session, at=datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC), score=0)
        factories.answered(session, at=datetime(2026, 3, 2, 0, 0, tzinfo=UTC), score=9)
        factories.answered(session, at=datetime(2026, 3, 8, 12, 0, tzinfo=UTC), score=8)
        factories.answered(session, at=datetime(2026, 1, 5, 0, 0, tzinfo=UTC), score=8)

    with runtime.transaction() as session:
        weeks = service.nps_breakdown(session=session, by=Dimension.WEEK, since=SINCE, until=UNTIL)
        months = service.nps_breakdown(
            session=session, by=Dimension.MONTH, since=SINCE, until=UNTIL
        )
    assert _counts(weeks) == {
        "2026-01-05": (0, 1, 0),
        "2026-02-23": (1, 0, 1),
        "2026-03-02": (1, 1, 0),
    }
    assert [group.label for group in weeks] == ["2026-W02", "2026-W09", "2026-W10"]
    assert _counts(months) == {"2026-01": (0, 1, 0), "2026-02": (1, 0, 0), "2026-03": (1, 1, 1)}
    assert months[0].change is None
    assert months[1].change is None, "one answer has no margin to compare"


def test_a_trend_marks_a_significant_change(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        for index in range(30):
            feb = datetime(2026, 2, 1 + index % 28, 12, tzinfo=UTC)
            mar = datetime(2026, 3, 1 + index % 28, 12, tzinfo=UTC)
            factories.answered(session, at=feb, score=2 if index % 3 else 9)
            factories.answered(session, at=mar, score=10 if index % 3 else 4)
    with runtime.transaction() as session:
        months = service.nps_breakdown(
            session=session, by=Dimension.MONTH, since=SINCE, until=UNTIL
        )
    assert [group.key for group in months] == ["2026-02", "2026-03"]
    change = months[1].change
    assert change is not None
    assert change.delta == pytest.approx(200 / 3)  # from -33.3 to +33.3
    assert change.significant


def test_the_report_puts_summary_and_groups_together(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        factories.answered(session, at=SINCE, score=10)
        factories.answered(session, at=SINCE, score=0, touchpoint="support")
    with runtime.transaction() as session:
        report = service.nps_report(
            session=session, since=SINCE, until=UNTIL, survey="nps", by=Dimension.TOUCHPOINT
        )
        plain = service.nps_report(session=session, since=SINCE, until=UNTIL)
    assert report.summary == NpsSummary(1, 0, 1)
    assert report.survey == "nps"
    assert _counts(report.groups) == {"onboarding": (1, 0, 0), "support": (0, 0, 1)}
    assert plain.groups == () and plain.by is None

    with pytest.raises(InvalidInput) as error, runtime.transaction() as session:
        service.nps_report(session=session, since=SINCE, until=UNTIL, survey="missing")
    assert error.value.field == "survey"
