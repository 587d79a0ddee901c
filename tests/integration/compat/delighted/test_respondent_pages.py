"""What a Delighted request's special properties change on the respondent's pages."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from closeloop.invitations.models import Invitation
from closeloop.responses.links import answer_token
from closeloop.runtime import Runtime
from closeloop.surveys import service as surveys
from closeloop.surveys.schemas import SurveyCreate
from tests.integration.compat.delighted.conftest import API
from tests.integration.compat.delighted.factories import contact_by_email, invitations_of


def _invited(
    client: TestClient, admin: dict[str, str], runtime: Runtime, properties: dict[str, Any]
) -> Invitation:
    client.post(
        f"{API}/people",
        json={"email": "ana@acme.test", "name": "Ana", "properties": properties},
        headers=admin,
    )
    ana = contact_by_email(runtime, "ana@acme.test")
    assert ana is not None
    (invitation,) = invitations_of(runtime, ana.id)
    return invitation


def _token(runtime: Runtime, invitation: Invitation) -> str:
    return answer_token(
        settings=runtime.settings, invitation_id=invitation.id, now=runtime.clock.now()
    )


def test_the_pages_name_the_product_and_thank_as_asked(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    invitation = _invited(
        client,
        admin,
        runtime,
        {
            "question_product_name": "The London Trench",
            "thank_you_message": "Thanks! Your next order ships free.",
            "thank_you_link_url": "https://acme.test/orders?promo=thanks",
            "thank_you_link_text": "Order again",
        },
    )
    token = _token(runtime, invitation)
    answered = client.get(f"/r/{token}/9")
    assert answered.status_code == 200
    assert "The London Trench" in answered.text
    thanks = client.get(f"/r/{token}/thanks")
    assert "Thanks! Your next order ships free." in thanks.text
    assert 'href="https://acme.test/orders?promo=thanks"' in thanks.text.replace("&amp;", "&")
    assert "Order again" in thanks.text
    assert "Your feedback goes straight to the people" not in thanks.text


def test_without_special_properties_the_pages_are_the_usual_ones(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    token = _token(runtime, _invited(client, admin, runtime, {"plan": "pro"}))
    assert "FacturaPlus" in client.get(f"/r/{token}/9").text
    thanks = client.get(f"/r/{token}/thanks").text
    assert "Your feedback goes straight to the people" in thanks


def test_a_link_that_is_not_http_is_never_shown(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    """The API refuses such links; the page checks again whatever put one on an invitation."""
    invitation = _invited(client, admin, runtime, {"thank_you_message": "Thanks"})
    with runtime.transaction() as session:
        session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id)
            .values(context={"thank_you_link_url": "javascript:alert(1)"})
        )
    token = _token(runtime, invitation)
    client.get(f"/r/{token}/9")
    thanks = client.get(f"/r/{token}/thanks").text
    assert "javascript:" not in thanks


def test_a_channel_survey_the_workspace_made_is_used(
    client: TestClient, admin: dict[str, str], runtime: Runtime
) -> None:
    with runtime.transaction() as session:
        surveys.create(
            session=session,
            survey_in=SurveyCreate(
                key="delighted-email", name="Delighted email", product_name="Acme Shop"
            ),
            now=runtime.clock.now(),
        )
    invitation = _invited(client, admin, runtime, {})
    with runtime.read_transaction() as session:
        survey = surveys.get_by_key(session=session, key="delighted-email")
    assert survey is not None and invitation.survey_id == survey.id
    assert "Acme Shop" in client.get(f"/r/{_token(runtime, invitation)}/9").text
