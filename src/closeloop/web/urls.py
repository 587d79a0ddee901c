"""Where the dashboard may send someone after logging in: only back into itself. Pure.

A ``next`` parameter that could name another site is an open redirect (a phishing link
that bounces through our login page and lands on a look-alike), so anything but a plain
local path becomes ``/``. Browsers forgive a lot (``/\\evil``, ``//evil``, a tab inside
``/\t/evil``), so the rule is an allow-list, not a list of known tricks.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
HOME_PATH = "/"
MAX_NEXT_LENGTH = 2000


def _plain_character(character: str) -> bool:
    return character.isprintable() and not character.isspace() and character != "\\"


def safe_next(value: str | None) -> str:
    """``value`` when it is a page on this site (not logging in or out), else ``/``."""
    if not value or len(value) > MAX_NEXT_LENGTH:
        return HOME_PATH
    if not value.startswith("/") or value.startswith("//"):
        return HOME_PATH
    if not all(_plain_character(character) for character in value):
        return HOME_PATH
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in {LOGIN_PATH, LOGOUT_PATH}:
        return HOME_PATH
    return value


def login_url(next_path: str | None) -> str:
    """The login page, remembering where to go afterwards when that is not the overview."""
    target = safe_next(next_path)
    if target == HOME_PATH:
        return LOGIN_PATH
    return f"{LOGIN_PATH}?{urlencode({'next': target})}"
