"""Two dispatchers, 200 due invitations: every one is sent exactly once.

Each dispatcher has its own engine, as two worker processes would. On PostgreSQL they
claim concurrently through ``FOR UPDATE SKIP LOCKED``; on SQLite they take turns on the
write lock. The SMTP sink counts arrivals by Message-ID.
"""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import ExitStack, closing

from sqlalchemy import select

from closeloop.channels.smtp import SmtpChannel
from closeloop.clock import FrozenClock
from closeloop.config import Settings, SmtpServer
from closeloop.invitations.dispatcher import Dispatcher
from closeloop.invitations.models import Invitation
from closeloop.runtime import Runtime
from tests.integration.invitations.factories import changed, make_contact, make_survey
from tests.servers import SmtpSink

INVITATIONS = 200


def test_two_dispatchers_send_every_invitation_exactly_once(
    settings: Settings, clock: FrozenClock, smtp: tuple[SmtpSink, int]
) -> None:
    sink, port = smtp
    url = f"smtp://127.0.0.1:{port}"
    settings = changed(settings, smtp_url=url, dispatch_batch_size=7)
    with ExitStack() as stack:
        runtimes = [
            stack.enter_context(closing(Runtime.create(settings, clock=clock))) for _ in range(2)
        ]
        with runtimes[0].transaction() as session:
            survey = make_survey(session)
            for _ in range(INVITATIONS):
                session.add(
                    Invitation(
                        survey_id=survey.id,
                        contact_id=make_contact(session).id,
                        due_at=clock.now(),
                        created_at=clock.now(),
                    )
                )

        dispatchers = [
            Dispatcher(runtime, SmtpChannel(SmtpServer(url)), worker_id=f"worker-{n}")
            for n, runtime in enumerate(runtimes)
        ]
        start = threading.Barrier(len(dispatchers))
        handled = Counter[str]()
        errors: list[BaseException] = []

        def work(dispatcher: Dispatcher) -> None:
            try:
                start.wait(timeout=10)
                while count := dispatcher.run_once():
                    handled[dispatcher.worker_id] += count
            except BaseException as error:  # reported by the main thread
                errors.append(error)

        threads = [threading.Thread(target=work, args=(d,)) for d in dispatchers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors
        assert not any(thread.is_alive() for thread in threads)

        arrivals = Counter(str(message["Message-ID"]) for message in sink.wait_for(INVITATIONS))
        assert len(arrivals) == INVITATIONS
        assert set(arrivals.values()) == {1}, "a message arrived twice"
        with runtimes[0].transaction() as session:
            invitations = list(session.scalars(select(Invitation)))
        assert {invitation.state for invitation in invitations} == {"sent"}
        assert {invitation.attempts for invitation in invitations} == {1}
        assert {invitation.message_id for invitation in invitations} == set(arrivals)
        assert sum(handled.values()) == INVITATIONS
