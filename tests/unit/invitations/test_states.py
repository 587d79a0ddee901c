"""The invitation state machine, as a table of what may follow what."""

from __future__ import annotations

import itertools

import pytest

from closeloop.invitations.models import InvitationState as S
from closeloop.invitations.states import (
    ENDED,
    PENDING,
    TRANSITIONS,
    IllegalTransition,
    can_be_answered,
    check_transition,
)

ALLOWED = {
    (S.SCHEDULED, S.SENDING),  # claimed by a worker
    (S.SCHEDULED, S.CANCELLED),
    (S.SCHEDULED, S.SUPPRESSED),
    (S.SCHEDULED, S.ANSWERED),  # accepted by the server, but a retry was scheduled
    (S.SENDING, S.SENT),
    (S.SENDING, S.SCHEDULED),  # a retry, or handed back by a stopping worker
    (S.SENDING, S.FAILED),
    (S.SENDING, S.SUPPRESSED),  # the re-check just before sending
    (S.SENDING, S.CANCELLED),
    (S.SENDING, S.ANSWERED),  # sent just before the worker died
    (S.SENT, S.ANSWERED),
}


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_allowed_transitions(current: S, target: S) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    sorted(set(itertools.product(S, S)) - ALLOWED),
)
def test_every_other_transition_is_refused(current: S, target: S) -> None:
    with pytest.raises(IllegalTransition, match=f"from {current} to {target}"):
        check_transition(current, target)


def test_the_table_covers_every_state() -> None:
    assert set(TRANSITIONS) == set(S)


@pytest.mark.parametrize("state", sorted(ENDED))
def test_ended_states_are_final(state: S) -> None:
    assert not TRANSITIONS[state]
    assert state not in PENDING


@pytest.mark.parametrize(
    ("state", "answerable"),
    [
        (S.SCHEDULED, True),
        (S.SENDING, True),
        (S.SENT, True),
        (S.ANSWERED, True),
        (S.CANCELLED, False),
        (S.SUPPRESSED, False),
        (S.FAILED, False),
    ],
)
def test_which_states_accept_an_answer(state: S, answerable: bool) -> None:
    assert can_be_answered(state) is answerable
