"""Delighted's official Python client against closeloop, over real HTTP and real SMTP.

The server runs on loopback with its embedded dispatcher, mail goes to an aiosmtpd sink,
and the only change to a Delighted integration is the one the migration guide asks for:
``delighted.api_key`` and ``delighted.api_base_url``.
"""

from __future__ import annotations

import importlib
import re
import time
import warnings
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import httpx
import pytest

from closeloop.api.app import create_app
from closeloop.auth import service as auth
from closeloop.auth.models import Scope
from closeloop.clock import FrozenClock
from closeloop.config import Settings
from closeloop.runtime import Runtime
from tests.conftest import TEST_SECRET
from tests.servers import SmtpSink, free_port, live_server

pytestmark = pytest.mark.e2e
T = TypeVar("T")


def _import_delighted() -> ModuleType:
    # the package warns on import that Delighted is being sunset: that is why we are here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return importlib.import_module("delighted")


delighted = _import_delighted()


def _serve(
    db_url: str, tmp_path: Path, clock: FrozenClock, smtp_port: int, **settings: Any
) -> Iterator[tuple[str, str]]:
    port = free_port()
    runtime = Runtime.create(
        Settings(
            database_url=db_url,
            data_dir=tmp_path / "data",
            secret_key=TEST_SECRET,  # type: ignore[arg-type]
            base_url=f"http://127.0.0.1:{port}",
            smtp_url=f"smtp://127.0.0.1:{smtp_port}",
            from_email="surveys@facturaplus.test",
            product_name="FacturaPlus",
            dispatch_interval_seconds=0.05,
            **settings,
        ),
        clock=clock,
    )
    with runtime.transaction() as session:
        _, key = auth.create_api_key(
            session=session, name="delighted", scope=Scope.ADMIN, now=clock.now()
        )
    try:
        with live_server(create_app(runtime, with_worker=True), port=port) as base_url:
            yield base_url, key
    finally:
        runtime.close()


@pytest.fixture
def configured(
    db_url: str,
    tmp_path: Path,
    clock: FrozenClock,
    smtp: tuple[SmtpSink, int],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """The server, and the client pointed at it exactly as the migration guide says."""
    for base_url, key in _serve(db_url, tmp_path, clock, smtp[1]):
        monkeypatch.setattr(delighted, "api_key", key)
        monkeypatch.setattr(delighted, "api_base_url", f"{base_url}/compat/delighted/v1/")
        monkeypatch.setattr(delighted, "shared_client", None)  # made again with the new key
        yield base_url


def _eventually(check: Callable[[], T | None], timeout: float = 10.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError("the condition did not hold in time")


def _html(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, "the email has no HTML part"
    return str(part.get_content())


def test_a_person_is_surveyed_and_their_answer_read_back(
    configured: str, smtp: tuple[SmtpSink, int]
) -> None:
    base_url, (sink, _) = configured, smtp
    person = delighted.Person.create(
        email="ana.garcia@acme.test",
        name="Ana García",
        properties={
            "plan": "pro",
            "question_product_name": "The London Trench",
            "thank_you_message": "Gracias, Ana: we read every answer.",
        },
    )
    assert person.email == "ana.garcia@acme.test"
    assert isinstance(person.id, str) and person.survey_scheduled_at is not None

    (message,) = sink.wait_for(1)
    html = _html(message)
    assert "The London Trench" in html
    links = {
        int(score): url.replace("&amp;", "&")
        for url, score in re.findall(rf'href="({re.escape(base_url)}/r/[^"/]+/(\d+))"', html)
    }
    assert sorted(links) == list(range(11))
    with httpx.Client(timeout=10, follow_redirects=True) as respondent:
        page = respondent.get(links[9])
        assert page.status_code == 200 and "The London Trench" in page.text
        action = re.search(r'<form[^>]*method="post"[^>]*action="([^"]+)"', page.text)
        assert action is not None
        thanks = respondent.post(
            httpx.URL(links[9]).join(action.group(1)),
            data={"comment": "Fits perfectly", "score": "9"},
        )
        assert thanks.status_code == 200
        assert "Gracias, Ana: we read every answer." in thanks.text

    (answer,) = delighted.SurveyResponse.all()
    assert (answer.person, answer.score, answer.comment) == (person.id, 9, "Fits perfectly")
    assert answer.survey_type == "nps" and answer.person_properties == {"plan": "pro"}
    (expanded,) = delighted.SurveyResponse.all(expand=["person"])
    assert isinstance(expanded.person, delighted.Person)
    assert expanded.person.email == "ana.garcia@acme.test"

    metrics = delighted.Metrics.retrieve()
    assert (metrics.nps, metrics.response_count, metrics.promoter_count) == (100, 1, 1)
    assert metrics.promoter_percent == 100.0

    expanded.comment = "Fits perfectly, fast delivery"
    saved = expanded.save()
    assert saved.comment == "Fits perfectly, fast delivery" and saved.score == 9


def test_pagination_unsubscribes_bounces_and_erasure(
    configured: str, smtp: tuple[SmtpSink, int]
) -> None:
    sink, _ = smtp
    emails = [f"p{number}@acme.test" for number in range(5)]
    for email in emails:
        delighted.Person.create(email=email, send=False)
    listed = delighted.Person.list(per_page=2).auto_paging_iter()
    assert [person.email for person in listed] == emails

    delighted.Person.create(email="later@acme.test", delay=3600)
    assert delighted.SurveyRequest.delete_pending(person_email="later@acme.test") == {"ok": True}

    delighted.Unsubscribe.create(person_email="p1@acme.test")
    assert [u.email for u in delighted.Unsubscribe.all()] == ["p1@acme.test"]
    refused = delighted.Person.create(email="p1@acme.test")
    assert refused.survey_scheduled_at is None

    sink.reject_with = "550 5.1.1 no such user"
    delighted.Person.create(email="gone@acme.test")
    bounced = _eventually(lambda: delighted.Bounce.all() or None)
    assert [b.email for b in bounced] == ["gone@acme.test"]

    assert delighted.Person.delete(email="p0@acme.test") == {"ok": True}
    person = delighted.Person.list(email="p2@acme.test").auto_paging_iter()
    (p2,) = list(person)
    assert delighted.Person.delete(id=p2.id) == {"ok": True}
    remaining = [p.email for p in delighted.Person.list().auto_paging_iter()]
    assert "p0@acme.test" not in remaining and "p2@acme.test" not in remaining


def test_the_clients_error_classes(configured: str) -> None:
    with pytest.raises(delighted.errors.ResourceValidationError) as invalid:
        delighted.Person.create(name="Nobody")
    assert "email" in invalid.value.response.body
    wrong = delighted.Client(api_key="cl_not-a-key")
    with pytest.raises(delighted.errors.AuthenticationError):
        delighted.Metrics.retrieve(client=wrong)


@pytest.fixture
def strict(
    db_url: str, tmp_path: Path, clock: FrozenClock, smtp: tuple[SmtpSink, int]
) -> Iterator[Any]:
    """A server allowing each key two requests a minute, and a client for it."""
    for base_url, key in _serve(db_url, tmp_path, clock, smtp[1], delighted_rate_limit=2):
        yield delighted.Client(api_key=key, api_base_url=f"{base_url}/compat/delighted/v1/")


def test_a_rate_limited_client_is_told_when_to_retry(strict: Any, clock: FrozenClock) -> None:
    for _ in range(2):
        delighted.Metrics.retrieve(client=strict)
    with pytest.raises(delighted.errors.TooManyRequestsError) as limited:
        delighted.Metrics.retrieve(client=strict)
    assert limited.value.retry_after == 30
    clock.advance(seconds=30)
    assert delighted.Metrics.retrieve(client=strict).response_count == 0
