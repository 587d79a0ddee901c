"""Send to N % of the matches, the same N % every time. Pure: keys in, a verdict out.

The verdict hangs on a stable hash of (rule, contact) — ``hashlib``, not ``hash()``, which is
salted per process — so a re-run, a second worker or a simulation over past events decides
exactly as the live engine did. Each use of the hash is tagged with a purpose, so whether a
contact is sampled in says nothing about where its stagger slot falls.
"""

from __future__ import annotations

import hashlib
import math

_SEPARATOR = "\x1f"  # unit separator: cannot be confused with a character of a key


def stable_fraction(*parts: str) -> float:
    """A number in [0, 1) that depends only on ``parts``, the same in every process."""
    digest = hashlib.blake2b(_SEPARATOR.join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def sampled_in(*, contact_key: str, rule_key: str, percent: float) -> bool:
    """Whether a contact falls in a rule's ``percent`` sample (0 → never, 100 → always)."""
    if math.isnan(percent) or not 0 <= percent <= 100:
        raise ValueError(f"a sample is 0–100 %, not {percent}")
    if percent == 100:  # everyone, without hashing (and without the 2⁻⁵⁴ chance of 1.0)
        return True
    return stable_fraction("sample", rule_key, contact_key) * 100 < percent
