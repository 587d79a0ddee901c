"""The demo story is reproducible and keeps the product's own rules."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closeloop.analytics.nps import categorise, summarise
from closeloop.demo.catalog import ACCOUNT_MANAGERS, COMMENTS
from closeloop.demo.records import Story
from closeloop.demo.story import FATIGUE, build

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
SIX_WEEKS = timedelta(days=42)
moments = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


@pytest.fixture(scope="module")
def story() -> Story:
    return build(now=NOW)


def test_the_same_seed_and_now_tell_the_same_story(story: Story) -> None:
    assert build(now=NOW) == story


def test_another_seed_tells_another_story(story: Story) -> None:
    assert build(now=NOW, seed=1).answers != story.answers


def test_the_cast(story: Story) -> None:
    assert len(story.accounts) == 40
    assert len(story.contacts) == 200
    assert len({contact.email for contact in story.contacts}) == 200
    assert Counter(contact.role for contact in story.contacts).keys() == {
        "decision_maker",
        "primary_contact",
        "end_user",
    }
    zones = {contact.time_zone for contact in story.contacts}
    assert {"Europe/Madrid", "America/Mexico_City", "America/Bogota", "Europe/Lisbon"} <= zones
    assert {"America/New_York", "Asia/Kolkata"} <= zones
    assert all(contact.email.endswith(".example") for contact in story.contacts)
    for account in story.accounts:
        renewal = datetime.fromisoformat(account.traits["renewal_date"]).date()
        assert NOW.date() < renewal <= NOW.date() + timedelta(days=366)
        assert account.traits["plan"] in {"Starter", "Growth", "Scale", "Enterprise"}


def test_six_weeks_of_journey_events(story: Story) -> None:
    names = Counter(event.name for event in story.events)
    assert {"Signed Up", "Invoice Paid", "Ticket Solved", "Ticket Reopened"} <= names.keys()
    assert "Feature Released" in names
    assert "Order Delivered" not in names
    assert all(NOW - SIX_WEEKS - timedelta(days=1) < e.occurred_at < NOW for e in story.events)
    assert [e.occurred_at for e in story.events] == sorted(e.occurred_at for e in story.events)


def test_invitations_and_answers(story: Story) -> None:
    states = Counter(invitation.state for invitation in story.invitations)
    assert 280 <= len(story.invitations) <= 360
    assert {"answered", "sent", "scheduled"} <= states.keys()
    assert 270 <= len(story.answers) <= 330
    future = [i for i in story.invitations if i.state == "scheduled" and i.due_at > NOW]
    assert 3 <= len(future) <= 40
    assert sum(1 for i in story.invitations if i.state == "scheduled" and i.due_at == NOW) == 3
    for invitation in story.invitations:
        assert (invitation.answer is not None) == (invitation.state == "answered")
        if invitation.state in {"answered", "sent"}:
            assert invitation.sent_at is not None
            assert invitation.sent_at < NOW
        if invitation.answer is not None:
            assert invitation.sent_at is not None
            assert invitation.sent_at < invitation.answer.responded_at < NOW


def test_the_nps_is_that_of_a_decent_b2b_saas(story: Story) -> None:
    summary = summarise([answer.score for answer in story.answers])
    assert summary.nps is not None
    assert 20 <= summary.nps <= 35


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(moments)
def test_the_nps_stays_in_range_whatever_the_day(now: datetime) -> None:
    summary = summarise([answer.score for answer in build(now=now).answers])
    assert summary.nps is not None
    assert 18 <= summary.nps <= 37


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(moments)
def test_nothing_happens_after_now(now: datetime) -> None:
    story = build(now=now)
    assert all(event.occurred_at < now for event in story.events)
    assert all(answer.responded_at < now for answer in story.answers)


def test_surveys_go_out_on_weekdays_in_office_hours(story: Story) -> None:
    for invitation in story.invitations:
        if invitation.sent_at is None:
            continue
        zone = ZoneInfo(story.contacts[invitation.contact].time_zone)
        local = invitation.sent_at.astimezone(zone)
        assert local.weekday() < 5
        assert 9 <= local.hour < 17


def test_nobody_is_asked_twice_within_the_fatigue_period(story: Story) -> None:
    asked: dict[int, list[datetime]] = {}
    for invitation in story.invitations:
        if invitation.state in {"answered", "sent", "scheduled"}:
            asked.setdefault(invitation.contact, []).append(invitation.due_at)
    for times in asked.values():
        times.sort()
        assert all(later - earlier >= FATIGUE for earlier, later in itertools.pairwise(times))


def test_a_reopened_ticket_cancels_its_survey(story: Story) -> None:
    cancelled = [i for i in story.invitations if i.state == "cancelled"]
    assert cancelled
    assert all(i.touchpoint == "support" and i.sent_at is None for i in cancelled)
    assert all(i.reason == "cancelled by Ticket Reopened" for i in cancelled)


def test_comments_match_the_score(story: Story) -> None:
    managers = [email.split(".")[0].capitalize() for email in ACCOUNT_MANAGERS]
    texts = {
        category: {
            comment.text.format(manager=manager)
            for pool in COMMENTS[category].values()
            for comment in pool
            for manager in managers
        }
        for category in COMMENTS
    }
    commented = [answer for answer in story.answers if answer.comment]
    assert len(commented) > len(story.answers) / 2
    for answer in commented:
        assert answer.comment in texts[categorise(answer.score).value]
