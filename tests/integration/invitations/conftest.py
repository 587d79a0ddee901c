"""Shared pieces for the invitation tests: an outbox dispatcher on the test runtime."""

from __future__ import annotations

import pytest

from closeloop.channels.outbox import OutboxChannel
from closeloop.invitations.dispatcher import Dispatcher
from closeloop.runtime import Runtime


@pytest.fixture
def dispatcher(runtime: Runtime) -> Dispatcher:
    return Dispatcher(runtime, OutboxChannel(runtime.sessions), worker_id="test-worker")
