"""The invitation state machine, as data. Pure: no database, no clock.

scheduled → sending → sent → answered, with cancelled / suppressed / failed as ends.
``sending → scheduled`` is a retry after a failed attempt (or an expired lease).
An answer can arrive for a ``sending`` or ``scheduled`` invitation too: the email may
have gone out just before the worker died, or the server may have accepted it while we
recorded a failure and scheduled a retry. A valid answer token exists only in a rendered
message, so the respondent's click is proof enough that it arrived, and it counts.
"""

from __future__ import annotations

from closeloop.invitations.models import InvitationState as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.SCHEDULED: frozenset({S.SENDING, S.CANCELLED, S.SUPPRESSED, S.ANSWERED}),
    S.SENDING: frozenset({S.SENT, S.SCHEDULED, S.FAILED, S.SUPPRESSED, S.CANCELLED, S.ANSWERED}),
    S.SENT: frozenset({S.ANSWERED}),
    S.ANSWERED: frozenset(),
    S.CANCELLED: frozenset(),
    S.SUPPRESSED: frozenset(),
    S.FAILED: frozenset(),
}

PENDING: frozenset[S] = frozenset({S.SCHEDULED, S.SENDING})
ENDED: frozenset[S] = frozenset(state for state, nexts in TRANSITIONS.items() if not nexts)


class IllegalTransition(ValueError):
    """This invitation cannot move to that state."""


def check_transition(current: S, target: S) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(f"an invitation cannot go from {current} to {target}")


def can_be_answered(state: S) -> bool:
    """Whether a respondent's answer is accepted for an invitation in this state."""
    return state in {S.SCHEDULED, S.SENDING, S.SENT, S.ANSWERED}
