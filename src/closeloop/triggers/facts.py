"""The facts a condition sees about a person, built in one place for every caller.

The live engine, the audience recheck and the simulation must present a contact the
same way, or a rule would select different people in each. Pure: plain values in, the
JSON-like dicts of :class:`closeloop.triggers.evaluation.Facts` out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from closeloop.triggers.evaluation import Facts

if TYPE_CHECKING:
    from closeloop.contacts.models import Account, Contact


def contact_facts(
    *,
    role: str | None,
    locale: str | None,
    time_zone: str | None,
    name: str | None,
    email: str | None,
    phone: str | None,
    external_id: str | None,
    traits: Mapping[str, Any] | None,
) -> dict[str, object]:
    return {
        "role": role,
        "locale": locale,
        "time_zone": time_zone,
        "name": name,
        "email": email,
        "phone": phone,
        "external_id": external_id,
        "traits": dict(traits or {}),
    }


def account_facts(
    *,
    name: str | None,
    domain: str | None,
    time_zone: str | None,
    traits: Mapping[str, Any] | None,
) -> dict[str, object]:
    return {"name": name, "domain": domain, "time_zone": time_zone, "traits": dict(traits or {})}


def person_facts(
    contact: Contact, account: Account | None, event: Mapping[str, object] | None = None
) -> Facts:
    """A stored person (and the event that fired, if any) as a rule's conditions see them."""
    return Facts(
        event=event or {},
        contact=contact_facts(
            role=contact.role,
            locale=contact.locale,
            time_zone=contact.time_zone,
            name=contact.name,
            email=contact.email,
            phone=contact.phone,
            external_id=contact.external_id,
            traits=contact.traits,
        ),
        account=account_facts(
            name=account.name,
            domain=account.domain,
            time_zone=account.time_zone,
            traits=account.traits,
        )
        if account is not None
        else {},
    )
