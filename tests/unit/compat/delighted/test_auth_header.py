"""The API key in the Basic authorization header, however Delighted's clients encode it."""

from __future__ import annotations

import base64

import pytest

from closeloop.compat.delighted.auth import key_from_authorization


def _basic(user: str) -> str:
    return "Basic " + base64.b64encode(user.encode()).decode()


@pytest.mark.parametrize(
    ("header", "key"),
    [
        (_basic("cl_abc"), "cl_abc"),  # the Python client: the bare key
        (_basic("cl_abc:"), "cl_abc"),  # curl -u KEY:
        (_basic("cl_abc:ignored"), "cl_abc"),
        ("basic " + base64.b64encode(b"cl_abc").decode(), "cl_abc"),
        (None, None),
        ("Bearer cl_abc", None),
        ("Basic", None),
        ("Basic !!!", None),
        (_basic(":password-only"), None),
        ("Basic " + base64.b64encode(b"\xff\xfe").decode(), None),
    ],
)
def test_the_key_is_the_basic_user(header: str | None, key: str | None) -> None:
    assert key_from_authorization(header) == key
