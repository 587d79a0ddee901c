"""``alias``: the person known as ``previousId`` is the one known as ``userId``, history and all."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from closeloop.invitations.models import Invitation
from closeloop.responses import service as responses
from closeloop.responses.models import Response
from closeloop.runtime import Runtime
from closeloop.surveys.models import Survey
from closeloop.triggers import rules
from closeloop.triggers.models import Decision
from tests.integration.compat.segment.wire import contact, contacts, events, message, send


def _answer(runtime: Runtime, contact_id: int, score: int) -> None:
    """The person answers the invitation the rule made for them."""
    with runtime.transaction() as session:
        invitation = session.scalars(
            select(Invitation).where(Invitation.contact_id == contact_id)
        ).one()
        responses.record_score(
            session=session, invitation_id=invitation.id, score=score, now=runtime.clock.now()
        )


def _count(runtime: Runtime, model: type[Invitation | Response | Decision], contact_id: int) -> int:
    with runtime.read_transaction() as session:
        query = select(func.count()).select_from(model).where(model.contact_id == contact_id)
        return session.scalar(query) or 0


def test_alias_moves_the_whole_history_to_the_user(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        session.add(Survey(key="nps", name="NPS", kind="nps", created_at=now))
        session.flush()
        rules.save(
            session=session,
            data={
                "kind": "event",
                "key": "welcome",
                "name": "Welcome",
                "survey": "nps",
                "event": "Signed Up",
                "send_window": "none",
            },
            now=now,
        )
    send(
        client,
        write_key,
        message("identify", userId="crm-77", traits={"email": "ana@acme.example", "plan": "pro"}),
        message("identify", userId="user-1", traits={"name": "Ana García"}),
        message("track", userId="user-1", event="Logged In"),
        message("track", userId="crm-77", event="Signed Up"),
    )
    old = contact(runtime, "crm-77")
    _answer(runtime, old.id, 9)
    history = [_count(runtime, model, old.id) for model in (Invitation, Response, Decision)]
    assert history == [1, 1, 1]

    receipt = send(client, write_key, message("alias", previousId="crm-77", userId="user-1"))

    assert receipt == {"success": True, "accepted": 1, "rejected": []}
    [ana] = contacts(runtime)
    assert (ana.external_id, ana.email, ana.name, ana.traits) == (
        "user-1",
        "ana@acme.example",
        "Ana García",
        {"plan": "pro"},
    )
    assert sorted(e.name for e in events(runtime) if e.contact_id == ana.id) == [
        "Logged In",
        "Signed Up",
    ]
    assert _count(runtime, Invitation, ana.id) == 1
    assert _count(runtime, Response, ana.id) == 1
    assert _count(runtime, Decision, ana.id) == 1


def test_alias_to_a_new_user_id_renames_the_person(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    send(client, write_key, message("track", userId=None, anonymousId="a-7", event="Viewed Docs"))
    [visitor] = contacts(runtime)
    send(client, write_key, message("alias", previousId="a-7", userId="user-1"))
    [person] = contacts(runtime)
    assert (person.id, person.external_id) == (visitor.id, "user-1")


def test_alias_of_someone_never_seen_changes_nothing(
    client: TestClient, write_key: str, runtime: Runtime
) -> None:
    send(client, write_key, message("identify", userId="user-1"))
    receipt = send(client, write_key, message("alias", previousId="ghost", userId="user-1"))
    assert receipt["rejected"] == []
    assert [c.external_id for c in contacts(runtime)] == ["user-1"]
