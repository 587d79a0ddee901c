"""Whether an invitation may go out at all. Pure: plain values in, a reason out.

Asked twice: when the invitation is scheduled (so "why did they not get a survey?" has
an answer from the start) and again just before sending, because a person can
unsubscribe, bounce or be erased, and a survey can be switched off, in between.
"""

from __future__ import annotations

SUPPORTED_CHANNELS = frozenset({"email"})


def suppression_reason(
    *,
    contact_suppressed: str | None,
    contact_email: str | None,
    channel: str,
    survey_active: bool,
) -> str | None:
    """Why nothing may be sent, or None when the invitation may go out."""
    if contact_suppressed is not None:
        return contact_suppressed
    if channel not in SUPPORTED_CHANNELS:
        return f"channel {channel!r} is not available"
    if channel == "email" and not (contact_email and contact_email.strip()):
        return "no email address"
    if not survey_active:
        return "survey inactive"
    return None


def reachable_channels(*, email: str | None, phone: str | None) -> frozenset[str]:
    """The channels this person has an address for, among those this install can send."""
    reachable = set()
    if email and email.strip():
        reachable.add("email")
    if phone and phone.strip():
        reachable.add("sms")
    return frozenset(reachable) & SUPPORTED_CHANNELS
