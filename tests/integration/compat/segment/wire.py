"""Speaking Segment's wire format to the test app, and reading back what it stored."""

from __future__ import annotations

import base64
import gzip
import itertools
import json
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from closeloop.contacts.models import Contact
from closeloop.events.models import Event
from closeloop.runtime import Runtime

BATCH = "/compat/segment/v1/batch"
_numbers = itertools.count(1)


def basic(key: str) -> dict[str, str]:
    """The header Segment's libraries send: the write key as the Basic user, no password."""
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def message(kind: str, **fields: Any) -> dict[str, Any]:
    """A message as a library builds it: a fresh messageId and a userId unless given."""
    built: dict[str, Any] = {"type": kind, "messageId": f"msg-{next(_numbers)}"}
    if kind != "alias":
        built["userId"] = "user-1"
    built.update(fields)
    return {key: value for key, value in built.items() if value is not None}


def post(
    client: TestClient,
    key: str,
    body: dict[str, Any],
    *,
    path: str = BATCH,
    compress: bool = False,
) -> httpx.Response:
    data = json.dumps(body).encode()
    headers = {**basic(key), "Content-Type": "application/json"}
    if compress:
        data = gzip.compress(data)
        headers["Content-Encoding"] = "gzip"
    return client.post(path, content=data, headers=headers)


def send(client: TestClient, key: str, *messages: dict[str, Any]) -> dict[str, Any]:
    """Post a batch that must be read (200); its receipt."""
    response = post(client, key, {"batch": list(messages)})
    assert response.status_code == 200, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


def contacts(runtime: Runtime) -> list[Contact]:
    with runtime.read_transaction() as session:
        return list(session.scalars(select(Contact).order_by(Contact.id)))


def contact(runtime: Runtime, external_id: str) -> Contact:
    with runtime.read_transaction() as session:
        found = session.scalars(select(Contact).where(Contact.external_id == external_id)).one()
        found.account  # noqa: B018 - load it while the session is open
        return found


def events(runtime: Runtime) -> list[Event]:
    with runtime.read_transaction() as session:
        return list(session.scalars(select(Event).order_by(Event.id)))
