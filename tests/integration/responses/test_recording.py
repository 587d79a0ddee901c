"""Recording answers: the first click, a change of mind, the window, closed invitations."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from closeloop.clock import FrozenClock
from closeloop.errors import Gone, InvalidInput, NotFound
from closeloop.invitations import service as invitation_service
from closeloop.invitations.models import Invitation, InvitationState
from closeloop.responses import service
from closeloop.responses.answering import MAX_COMMENT_LENGTH
from closeloop.responses.models import Response
from closeloop.runtime import Runtime
from closeloop.surveys.models import SurveyKind
from tests.integration.responses import factories

WEEK = timedelta(days=7)


def _responses(runtime: Runtime) -> list[Response]:
    with runtime.transaction() as session:
        return list(session.scalars(select(Response).order_by(Response.id)))


def _count(runtime: Runtime) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(Response)) or 0


def test_the_first_answer_creates_the_response_and_answers_the_invitation(
    runtime: Runtime,
) -> None:
    invitation_id = factories.sent_invitation(runtime, touchpoint="ticket_solved")
    now = runtime.clock.now()
    with runtime.transaction() as session:
        response = service.record_score(
            session=session, invitation_id=invitation_id, score=8, now=now
        )
        assert response.id is not None

    (stored,) = _responses(runtime)
    assert (stored.score, stored.channel, stored.touchpoint) == (8, "email", "ticket_solved")
    assert stored.responded_at == stored.updated_at == now
    assert stored.comment is None
    with runtime.transaction() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None
        assert invitation.state == InvitationState.ANSWERED
        assert invitation.answered_at == now
        assert stored.contact_id == invitation.contact_id
        assert stored.survey_id == invitation.survey_id


def test_an_answer_while_the_email_is_still_sending_counts(runtime: Runtime) -> None:
    invitation_id = factories.sent_invitation(runtime, state=InvitationState.SENDING)
    with runtime.transaction() as session:
        service.record_score(
            session=session, invitation_id=invitation_id, score=10, now=runtime.clock.now()
        )
    assert [r.score for r in _responses(runtime)] == [10]


def test_a_later_click_within_the_window_changes_the_same_response(
    runtime: Runtime, clock: FrozenClock
) -> None:
    invitation_id = factories.sent_invitation(runtime)
    first = runtime.clock.now()
    with runtime.transaction() as session:
        service.record_score(session=session, invitation_id=invitation_id, score=9, now=first)
    later = clock.advance(days=6, hours=23)
    with runtime.transaction() as session:
        service.record_score(
            session=session, invitation_id=invitation_id, score=4, now=later, answer_window=WEEK
        )

    (stored,) = _responses(runtime)
    assert stored.score == 4
    assert stored.responded_at == first, "the first answer's time stays"
    assert stored.updated_at == later
    with runtime.transaction() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None and invitation.answered_at == first


def test_after_the_window_the_answer_is_final(runtime: Runtime, clock: FrozenClock) -> None:
    invitation_id = factories.sent_invitation(runtime)
    with runtime.transaction() as session:
        service.record_score(
            session=session, invitation_id=invitation_id, score=9, now=runtime.clock.now()
        )
    clock.advance(WEEK)
    with (
        pytest.raises(Gone, match="you already answered on 3 March 2026"),
        runtime.transaction() as session,
    ):
        service.record_score(
            session=session,
            invitation_id=invitation_id,
            score=2,
            now=runtime.clock.now(),
            answer_window=WEEK,
        )
    assert [r.score for r in _responses(runtime)] == [9]


def test_the_window_comes_from_the_caller(runtime: Runtime) -> None:
    invitation_id = factories.sent_invitation(runtime)
    with runtime.transaction() as session:
        service.record_score(
            session=session, invitation_id=invitation_id, score=9, now=runtime.clock.now()
        )
    with pytest.raises(Gone), runtime.transaction() as session:
        service.record_score(
            session=session,
            invitation_id=invitation_id,
            score=3,
            now=runtime.clock.now(),
            answer_window=timedelta(0),
        )


def test_an_answer_to_an_invitation_awaiting_a_retry_counts(runtime: Runtime) -> None:
    # the server accepted the email, yet we recorded a failure and scheduled a retry
    invitation_id = factories.sent_invitation(runtime, state=InvitationState.SCHEDULED)
    with runtime.transaction() as session:
        response = service.record_score(
            session=session, invitation_id=invitation_id, score=7, now=runtime.clock.now()
        )
        assert response.score == 7
        assert (
            invitation_service.get_or_404(session=session, invitation_id=invitation_id).state
            == InvitationState.ANSWERED
        )


@pytest.mark.parametrize(
    "state",
    [
        InvitationState.CANCELLED,
        InvitationState.SUPPRESSED,
        InvitationState.FAILED,
    ],
)
def test_an_invitation_that_cannot_be_answered_records_nothing(
    runtime: Runtime, state: InvitationState
) -> None:
    invitation_id = factories.sent_invitation(runtime, state=state)
    with (
        pytest.raises(Gone, match=f"closed \\(the invitation was {state.value}\\)"),
        runtime.transaction() as session,
    ):
        service.record_score(
            session=session, invitation_id=invitation_id, score=7, now=runtime.clock.now()
        )
    assert _count(runtime) == 0
    with runtime.transaction() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None and invitation.state == state


def test_an_unknown_invitation_is_not_found(runtime: Runtime) -> None:
    with pytest.raises(NotFound), runtime.transaction() as session:
        service.record_score(session=session, invitation_id=999, score=7, now=runtime.clock.now())


@pytest.mark.parametrize(
    ("kind", "accepted", "refused"),
    [
        (SurveyKind.NPS, [0, 10], [-1, 11]),
        (SurveyKind.CSAT, [1, 5], [0, 6]),
        (SurveyKind.CES, [1, 7], [0, 8]),
    ],
)
def test_scores_follow_the_survey_scale(
    runtime: Runtime, kind: SurveyKind, accepted: list[int], refused: list[int]
) -> None:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        survey = factories.survey(session, now=now, key=f"s-{kind.value}", kind=kind)
        ids = [
            factories.invitation(session, now=now, survey_row=survey).id for _ in accepted + refused
        ]
    for invitation_id, score in zip(ids, accepted, strict=False):
        with runtime.transaction() as session:
            service.record_score(session=session, invitation_id=invitation_id, score=score, now=now)
    for invitation_id, score in zip(ids[len(accepted) :], refused, strict=True):
        with pytest.raises(InvalidInput) as error, runtime.transaction() as session:
            service.record_score(session=session, invitation_id=invitation_id, score=score, now=now)
        assert error.value.field == "score"
    assert sorted(r.score for r in _responses(runtime)) == sorted(accepted)
    with runtime.transaction() as session:
        states = session.scalars(select(Invitation.state).order_by(Invitation.id)).all()
    assert states == ["answered"] * len(accepted) + ["sent"] * len(refused)


# comments


def test_a_comment_is_trimmed_and_stored_as_written(runtime: Runtime, clock: FrozenClock) -> None:
    invitation_id = factories.sent_invitation(runtime)
    now = runtime.clock.now()
    with runtime.transaction() as session:
        service.record_score(session=session, invitation_id=invitation_id, score=6, now=now)
    later = clock.advance(minutes=2)
    with runtime.transaction() as session:
        service.add_comment(
            session=session,
            invitation_id=invitation_id,
            comment="  <script>alert('x')</script> & slow exports \r\n",
            now=later,
        )
    (stored,) = _responses(runtime)
    assert stored.comment == "<script>alert('x')</script> & slow exports"
    assert stored.score == 6
    assert stored.updated_at == later


def test_a_comment_with_a_score_answers_in_one_go(runtime: Runtime) -> None:
    invitation_id = factories.sent_invitation(runtime)
    with runtime.transaction() as session:
        service.add_comment(
            session=session,
            invitation_id=invitation_id,
            comment="Great onboarding",
            score=10,
            now=runtime.clock.now(),
        )
    (stored,) = _responses(runtime)
    assert (stored.score, stored.comment) == (10, "Great onboarding")


def test_a_comment_can_change_the_score_and_an_empty_one_clears_it(runtime: Runtime) -> None:
    invitation_id = factories.sent_invitation(runtime)
    now = runtime.clock.now()
    with runtime.transaction() as session:
        service.add_comment(
            session=session, invitation_id=invitation_id, comment="ok", score=7, now=now
        )
    with runtime.transaction() as session:
        service.add_comment(
            session=session, invitation_id=invitation_id, comment="   ", score=9, now=now
        )
    (stored,) = _responses(runtime)
    assert (stored.score, stored.comment) == (9, None)


def test_a_comment_before_any_score_asks_for_the_score(runtime: Runtime) -> None:
    invitation_id = factories.sent_invitation(runtime)
    with pytest.raises(InvalidInput) as error, runtime.transaction() as session:
        service.add_comment(
            session=session, invitation_id=invitation_id, comment="hi", now=runtime.clock.now()
        )
    assert error.value.field == "score"
    assert _count(runtime) == 0


def test_a_comment_at_the_limit_is_kept_whole(runtime: Runtime) -> None:
    invitation_id = factories.sent_invitation(runtime)
    text = "ñ" * MAX_COMMENT_LENGTH
    with runtime.transaction() as session:
        service.add_comment(
            session=session,
            invitation_id=invitation_id,
            comment=text,
            score=3,
            now=runtime.clock.now(),
        )
    (stored,) = _responses(runtime)
    assert stored.comment == text


@pytest.mark.parametrize(
    ("comment", "score"),
    [("x" * (MAX_COMMENT_LENGTH + 1), 8), ("x" * (MAX_COMMENT_LENGTH + 1), None), ("a\x00b", 8)],
)
def test_a_bad_comment_writes_nothing_not_even_the_score(
    runtime: Runtime, comment: str, score: int | None
) -> None:
    invitation_id = factories.sent_invitation(runtime)
    with pytest.raises(InvalidInput) as error, runtime.transaction() as session:
        service.add_comment(
            session=session,
            invitation_id=invitation_id,
            comment=comment,
            score=score,
            now=runtime.clock.now(),
        )
    assert error.value.field == "comment"
    assert _count(runtime) == 0
    with runtime.transaction() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None and invitation.state == InvitationState.SENT


def test_a_comment_after_the_window_is_refused(runtime: Runtime, clock: FrozenClock) -> None:
    invitation_id = factories.sent_invitation(runtime)
    with runtime.transaction() as session:
        service.record_score(
            session=session, invitation_id=invitation_id, score=5, now=runtime.clock.now()
        )
    clock.advance(days=8)
    with pytest.raises(Gone), runtime.transaction() as session:
        service.add_comment(
            session=session, invitation_id=invitation_id, comment="late", now=runtime.clock.now()
        )
    assert _responses(runtime)[0].comment is None


# the page model and unsubscribing


def test_the_follow_up_page_before_and_after_answering(runtime: Runtime) -> None:
    invitation_id = factories.sent_invitation(runtime)
    now = runtime.clock.now()
    with runtime.transaction() as session:
        page = service.follow_up(
            session=session, invitation_id=invitation_id, now=now, product_name="Fallback"
        )
    assert page.first_name == "Ana"
    assert page.question == (
        "How likely are you to recommend FacturaPlus to a friend or colleague?"
    )
    assert page.follow_up_question == "What is the main reason for your score?"
    assert (page.score, page.can_change, page.changeable_until) == (None, True, None)
    assert page.scale == range(0, 11)

    with runtime.transaction() as session:
        service.record_score(session=session, invitation_id=invitation_id, score=8, now=now)
        page = service.follow_up(
            session=session,
            invitation_id=invitation_id,
            now=now + WEEK,
            product_name="Fallback",
            answer_window=WEEK,
        )
    assert (page.score, page.answered_at, page.can_change) == (8, now, False)
    assert page.changeable_until == now + WEEK


def test_unsubscribing_through_an_invitation_suppresses_the_contact(runtime: Runtime) -> None:
    invitation_id = factories.sent_invitation(runtime)
    now = runtime.clock.now()
    with runtime.transaction() as session:
        assert service.unsubscribe_target(session=session, invitation_id=invitation_id).name
        contact = service.unsubscribe(session=session, invitation_id=invitation_id, now=now)
        assert contact.suppressed_reason == "unsubscribed"
    with runtime.transaction() as session:
        again = service.unsubscribe(session=session, invitation_id=invitation_id, now=now + WEEK)
        assert again.unsubscribed_at == now, "the first time is kept"
    with pytest.raises(NotFound), runtime.transaction() as session:
        service.unsubscribe(session=session, invitation_id=12345, now=now)


def test_two_clicks_at_once_make_one_response(runtime: Runtime) -> None:
    invitation_id = factories.sent_invitation(runtime)
    start = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def click(score: int) -> None:
        try:
            start.wait()
            with runtime.transaction() as session:
                service.record_score(
                    session=session,
                    invitation_id=invitation_id,
                    score=score,
                    now=runtime.clock.now(),
                )
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=click, args=(score,)) for score in (3, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert errors == []
    (stored,) = _responses(runtime)
    assert stored.score in {3, 9}
