"""Which stored person an incoming record is. Pure: identities in, a decision out.

A record may carry an id, an external id (the customer's own key) and an email. The id
is the strongest (it can only come from us), then the external id (stable in the
customer's systems), then the email (people change addresses). When the identifiers
point at two different people we refuse rather than guess: merging two people, or
moving an address from one to the other, is not something an import should do silently.
Merging is done only when a caller says two records are one person (``combine``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple


class Known(NamedTuple):
    """A stored (or about to be stored) contact, as far as identity goes.

    A named tuple, not a frozen dataclass: ingest builds one per known person per batch.
    """

    key: int
    email: str | None
    external_id: str | None


class IdentityConflict(Exception):
    """The identifiers of one record belong to different people."""

    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


def match(
    *,
    email: str | None,
    external_id: str | None,
    by_id: Known | None = None,
    by_email: Known | None,
    by_external_id: Known | None,
) -> Known | None:
    """The person the record is, or None for a new person; ``IdentityConflict`` if torn."""
    if by_id is not None and by_external_id is not None and by_external_id.key != by_id.key:
        raise IdentityConflict(
            f"external_id {external_id!r} belongs to contact {by_external_id.key}, "
            f"not to contact {by_id.key}",
            field="external_id",
        )
    strongest = by_id or by_external_id
    if strongest is not None and by_email is not None and by_email.key != strongest.key:
        named = "id" if by_id is not None else f"external_id {external_id!r}"
        raise IdentityConflict(
            f"email {email} belongs to contact {by_email.key}, "
            f"but {named} to contact {strongest.key}",
            field="email",
        )
    found = strongest or by_email
    if (
        found is not None
        and external_id is not None
        and found.external_id is not None
        and found.external_id != external_id
    ):
        raise IdentityConflict(
            f"contact {found.key} already has external_id {found.external_id!r}, "
            f"not {external_id!r}",
            field="external_id",
        )
    return found


def pick_by_phone(candidates: Sequence[Known], *, phone: str) -> Known | None:
    """A phone finds a person only when it is the record's sole identifier and unambiguous."""
    if len(candidates) > 1:
        keys = ", ".join(str(candidate.key) for candidate in candidates[:5])
        raise IdentityConflict(
            f"several contacts ({keys}) have phone {phone}; send an email or external_id",
            field="phone",
        )
    return candidates[0] if candidates else None


@dataclass(frozen=True)
class Profile:
    """A stored person as far as merging goes: identifiers, profile, company and consent."""

    external_id: str | None
    email: str | None
    phone: str | None
    name: str | None
    locale: str | None
    time_zone: str | None
    role: str | None
    traits: Mapping[str, Any]
    account_id: int | None
    unsubscribed_at: datetime | None
    bounced_at: datetime | None
    bounce_reason: str | None
    created_at: datetime


_FILLED_IN = ("external_id", "email", "phone", "name", "locale", "time_zone", "role", "account_id")


def combine(survivor: Profile, absorbed: Profile) -> Profile:
    """The person once ``absorbed`` (say, an anonymous visitor) is folded into ``survivor``.

    The survivor's values win and the absorbed record only fills gaps, so what the
    customer's own systems said about a known user is never overwritten by an older,
    anonymous record. Consent is the exception: whoever unsubscribed under either identity
    stays unsubscribed, from the earlier moment. A bounce belongs to an address, so it
    follows whichever address is kept.
    """
    gaps = {name: getattr(absorbed, name) for name in _FILLED_IN if getattr(survivor, name) is None}
    unsubscribed = [t for t in (survivor.unsubscribed_at, absorbed.unsubscribed_at) if t]
    address_owner = survivor if survivor.email is not None or absorbed.email is None else absorbed
    return dataclasses.replace(
        survivor,
        **gaps,
        traits={**absorbed.traits, **survivor.traits},
        unsubscribed_at=min(unsubscribed, default=None),
        bounced_at=address_owner.bounced_at,
        bounce_reason=address_owner.bounce_reason,
        created_at=min(survivor.created_at, absorbed.created_at),
    )
