"""``closeloop worker`` as its own process: it sends, and SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from closeloop.channels.models import OutboxMessage
from closeloop.db.migrate import upgrade
from closeloop.invitations.models import Invitation
from tests.integration.invitations.factories import make_contact, make_survey

CLOSELOOP = Path(sys.executable).with_name("closeloop")


def test_the_worker_sends_then_exits_zero_on_sigterm(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'closeloop.db'}"
    upgrade(database_url)
    engine = create_engine(database_url)
    now = datetime.now(UTC)  # the worker runs on the system clock
    with Session(engine) as session, session.begin():
        survey = make_survey(session)
        session.add(
            Invitation(
                survey_id=survey.id,
                contact_id=make_contact(session, email="ana@example.com").id,
                due_at=now,
                created_at=now,
            )
        )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "CLOSELOOP_DATABASE_URL": database_url,
        "CLOSELOOP_DATA_DIR": str(tmp_path / "data"),
        "CLOSELOOP_SECRET_KEY": "worker-test-secret-with-enough-entropy-0123",
        "CLOSELOOP_DISPATCH_INTERVAL_SECONDS": "0.1",
    }
    worker = subprocess.Popen(
        [str(CLOSELOOP), "worker"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60  # generous: a loaded CI machine starts slowly
        while True:
            with Session(engine) as session:
                if session.scalar(select(OutboxMessage.recipient)) == "ana@example.com":
                    break
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline, "the worker did not send within 60 s"
            time.sleep(0.05)

        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=5)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
        engine.dispose()
    assert worker.returncode == 0, stderr
    assert "received SIGTERM" in stderr
    assert "stopped" in stderr
