"""Combining two records of one person: the survivor wins, gaps fill, consent is kept."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from closeloop.contacts.identity import Profile, combine

T0 = datetime(2026, 3, 1, tzinfo=UTC)
BLANK = Profile(
    external_id=None,
    email=None,
    phone=None,
    name=None,
    locale=None,
    time_zone=None,
    role=None,
    traits={},
    account_id=None,
    unsubscribed_at=None,
    bounced_at=None,
    bounce_reason=None,
    created_at=T0,
)


def _profile(**fields: object) -> Profile:
    return dataclasses.replace(BLANK, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name", ["external_id", "email", "phone", "name", "locale", "time_zone", "role"]
)
def test_the_survivors_value_wins_and_a_gap_is_filled(name: str) -> None:
    assert (
        getattr(combine(_profile(**{name: "mine"}), _profile(**{name: "theirs"})), name) == "mine"
    )
    assert getattr(combine(BLANK, _profile(**{name: "theirs"})), name) == "theirs"
    assert getattr(combine(_profile(**{name: "mine"}), BLANK), name) == "mine"


def test_the_account_follows_the_same_rule() -> None:
    assert combine(_profile(account_id=1), _profile(account_id=2)).account_id == 1
    assert combine(BLANK, _profile(account_id=2)).account_id == 2


def test_traits_merge_with_the_survivors_winning() -> None:
    survivor = _profile(traits={"plan": "pro", "seats": 5})
    absorbed = _profile(traits={"plan": "free", "utm_source": "ads"})
    assert combine(survivor, absorbed).traits == {"plan": "pro", "seats": 5, "utm_source": "ads"}


@pytest.mark.parametrize(
    ("survivor", "absorbed", "expected"),
    [
        (None, None, None),
        (T0, None, T0),
        (None, T0, T0),
        (T0 + timedelta(days=1), T0, T0),
    ],
)
def test_an_unsubscribe_under_either_identity_stays_from_its_first_moment(
    survivor: datetime | None, absorbed: datetime | None, expected: datetime | None
) -> None:
    merged = combine(_profile(unsubscribed_at=survivor), _profile(unsubscribed_at=absorbed))
    assert merged.unsubscribed_at == expected


def test_a_bounce_follows_the_address_that_is_kept() -> None:
    bounced = {"bounced_at": T0, "bounce_reason": "550 no such user"}
    # the survivor keeps its own address, so the absorbed one's bounce no longer applies
    kept = combine(_profile(email="a@x.test"), _profile(email="b@x.test", **bounced))
    assert (kept.email, kept.bounced_at) == ("a@x.test", None)
    # the survivor takes the absorbed address, and its bounce with it
    taken = combine(BLANK, _profile(email="b@x.test", **bounced))
    assert (taken.email, taken.bounced_at, taken.bounce_reason) == (
        "b@x.test",
        T0,
        "550 no such user",
    )
    # an address the survivor already had keeps its own record
    own = combine(_profile(email="a@x.test", **bounced), _profile(email="b@x.test"))
    assert own.bounced_at == T0


def test_the_person_existed_since_the_earlier_record() -> None:
    earlier = T0 - timedelta(days=90)
    assert combine(BLANK, _profile(created_at=earlier)).created_at == earlier
    assert combine(_profile(created_at=earlier), BLANK).created_at == earlier
