"""Which stored person an incoming record is. Pure: identities in, a decision out.

A record may carry an id, an external id (the customer's own key) and an email. The id
is the strongest (it can only come from us), then the external id (stable in the
customer's systems), then the email (people change addresses). When the identifiers
point at two different people we refuse rather than guess: merging two people, or
moving an address from one to the other, is not something an import should do silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


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
