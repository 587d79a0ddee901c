"""/healthz answers for the database; /metrics reads the whole system's figures."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from closeloop.api.app import create_app
from closeloop.clock import FrozenClock
from closeloop.config import Settings
from closeloop.invitations.models import InvitationState
from closeloop.runtime import Runtime
from tests.integration.web import factories


def _broken_runtime(settings: Settings, clock: FrozenClock, tmp_path: Path) -> Runtime:
    """The same settings pointing at a database that cannot be opened."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        broken = f"sqlite:///{tmp_path}"  # a directory, not a database file
    else:
        broken = url.set(database="closeloop_no_such_database").render_as_string(
            hide_password=False
        )
    # a new Settings, not model_copy: that would keep the cached resolved_database_url
    return Runtime.create(
        Settings(**{**settings.model_dump(), "database_url": broken}), clock=clock
    )


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_healthz_ok_without_a_login(runtime: Runtime) -> None:
    with TestClient(create_app(runtime)) as client:
        response = client.get("/healthz", follow_redirects=False)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_the_database_is_unreachable(
    settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    broken = _broken_runtime(settings, clock, tmp_path)
    try:
        with TestClient(create_app(broken)) as client:
            response = client.get("/healthz")
            metrics = client.get("/metrics")
    finally:
        broken.close()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "error"
    assert body["error"]
    assert "\n" not in body["error"]
    assert metrics.status_code == 503
    assert metrics.text.startswith("database unavailable: ")


def test_metrics_of_an_empty_system(runtime: Runtime) -> None:
    with TestClient(create_app(runtime)) as client:
        response = client.get("/metrics", follow_redirects=False)  # no login needed
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = {family.name: family for family in text_string_to_metric_families(response.text)}
    assert families["closeloop_invitations"].type == "gauge"
    assert families["closeloop_responses"].type == "counter"
    assert families["closeloop_dispatch_lag_seconds"].type == "gauge"
    assert families["closeloop_outbox_messages"].type == "gauge"
    assert all(family.documentation for family in families.values())
    samples = _samples(response.text)
    for state in InvitationState:
        assert samples[("closeloop_invitations", (("state", state.value),))] == 0
    assert samples[("closeloop_responses_total", ())] == 0
    assert samples[("closeloop_dispatch_lag_seconds", ())] == 0
    assert samples[("closeloop_outbox_messages", ())] == 0


def test_metrics_have_the_right_values(runtime: Runtime, clock: FrozenClock) -> None:
    now = clock.now()
    with runtime.transaction() as session:
        person = factories.contact(session, now=now)
        for minutes in (2, 30):  # due and waiting: the oldest sets the lag
            factories.invitation(
                session,
                state=InvitationState.SCHEDULED,
                due_at=now - timedelta(minutes=minutes),
                person=person,
            )
        factories.invitation(
            session, state=InvitationState.SCHEDULED, due_at=now + timedelta(days=3), person=person
        )
        factories.invitation(
            session, state=InvitationState.SENDING, due_at=now - timedelta(hours=5), person=person
        )
        for _ in range(2):
            factories.invitation(
                session, state=InvitationState.ANSWERED, due_at=now - timedelta(days=2)
            )
        for score in (10, 9, 0):
            factories.answer(session, score=score, responded_at=now - timedelta(days=1))
        factories.outbox_message(session, created_at=now)

    with TestClient(create_app(runtime)) as client:
        samples = _samples(client.get("/metrics").text)

    assert samples[("closeloop_invitations", (("state", "scheduled"),))] == 3
    assert samples[("closeloop_invitations", (("state", "sending"),))] == 1
    assert samples[("closeloop_invitations", (("state", "answered"),))] == 2
    assert samples[("closeloop_invitations", (("state", "failed"),))] == 0
    assert samples[("closeloop_responses_total", ())] == 3
    assert samples[("closeloop_dispatch_lag_seconds", ())] == 30 * 60
    assert samples[("closeloop_outbox_messages", ())] == 1


def test_the_lag_follows_the_clock(runtime: Runtime, clock: FrozenClock) -> None:
    with runtime.transaction() as session:
        factories.invitation(
            session, state=InvitationState.SCHEDULED, due_at=clock.now() + timedelta(seconds=10)
        )
    with TestClient(create_app(runtime)) as client:
        before = _samples(client.get("/metrics").text)[("closeloop_dispatch_lag_seconds", ())]
        clock.advance(seconds=70)
        after = _samples(client.get("/metrics").text)[("closeloop_dispatch_lag_seconds", ())]
    assert (before, after) == (0, 60)
