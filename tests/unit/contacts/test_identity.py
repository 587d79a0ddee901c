"""Which stored person an incoming record is, and when identifiers disagree."""

from __future__ import annotations

import pytest

from closeloop.contacts.identity import IdentityConflict, Known, match, pick_by_phone

ANA = Known(key=1, email="ana@acme.example", external_id="u-1")
BOB = Known(key=2, email="bob@acme.example", external_id=None)
CARLA = Known(key=3, email=None, external_id="u-3")


@pytest.mark.parametrize(
    ("email", "external_id", "by_id", "by_email", "by_external_id", "expected"),
    [
        # nobody known: a new person
        ("new@acme.example", None, None, None, None, None),
        (None, "u-9", None, None, None, None),
        # found by one identifier
        ("ana@acme.example", None, None, ANA, None, ANA),
        (None, "u-1", None, None, ANA, ANA),
        ("ana@acme.example", "u-1", None, ANA, ANA, ANA),
        # an email that nobody has yet: the external id wins, the address changes
        ("ana.new@acme.example", "u-1", None, None, ANA, ANA),
        # a person without external id gets one
        ("bob@acme.example", "u-2", None, BOB, None, BOB),
        # the id is strongest
        (None, None, CARLA, None, None, CARLA),
        ("carla@acme.example", "u-3", CARLA, None, CARLA, CARLA),
    ],
)
def test_who_a_record_is(
    email: str | None,
    external_id: str | None,
    by_id: Known | None,
    by_email: Known | None,
    by_external_id: Known | None,
    expected: Known | None,
) -> None:
    found = match(
        email=email,
        external_id=external_id,
        by_id=by_id,
        by_email=by_email,
        by_external_id=by_external_id,
    )
    assert found == expected


@pytest.mark.parametrize(
    ("email", "external_id", "by_id", "by_email", "by_external_id", "field", "says"),
    [
        # the email is Bob's, the external id Carla's
        ("bob@acme.example", "u-3", None, BOB, CARLA, "email", "belongs to contact 2"),
        # the id is Carla's, the external id Ana's
        (None, "u-1", CARLA, None, ANA, "external_id", "not to contact 3"),
        # the id is Carla's, the email Bob's
        ("bob@acme.example", None, CARLA, BOB, None, "email", "but id to contact 3"),
        # Ana already has another external id
        ("ana@acme.example", "u-7", None, ANA, None, "external_id", "already has"),
    ],
)
def test_identifiers_of_two_people_are_a_conflict(
    email: str | None,
    external_id: str | None,
    by_id: Known | None,
    by_email: Known | None,
    by_external_id: Known | None,
    field: str,
    says: str,
) -> None:
    with pytest.raises(IdentityConflict, match=says) as raised:
        match(
            email=email,
            external_id=external_id,
            by_id=by_id,
            by_email=by_email,
            by_external_id=by_external_id,
        )
    assert raised.value.field == field


def test_a_phone_finds_one_person_or_nobody() -> None:
    assert pick_by_phone([], phone="+34600") is None
    assert pick_by_phone([BOB], phone="+34600") == BOB


def test_a_phone_shared_by_several_people_is_ambiguous() -> None:
    with pytest.raises(IdentityConflict, match=r"several contacts \(1, 2\)") as raised:
        pick_by_phone([ANA, BOB], phone="+34600")
    assert raised.value.field == "phone"
