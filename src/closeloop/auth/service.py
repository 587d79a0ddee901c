"""API keys and dashboard users.

API keys are 32 random bytes, so a single SHA-256 is enough to store them safely
(nobody can brute-force 256 bits) and lets every request be checked with one indexed
lookup. Passwords are chosen by people and get argon2 (see docs/adr/0002).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closeloop.auth.models import ApiKey, Scope, User
from closeloop.errors import Conflict, InvalidInput, Unauthorized

KEY_PREFIX = "cl_"
KEY_BYTES = 30
LAST_USED_RESOLUTION = timedelta(minutes=1)
_password_hasher = PasswordHasher()


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(
    *, session: Session, name: str, scope: Scope, now: datetime
) -> tuple[ApiKey, str]:
    """Create a key; the plain key is returned once and never stored."""
    if not name.strip():
        raise InvalidInput("a key needs a name", field="name")
    # 30 bytes: 240 bits, and 43 characters in all, so "key:" base64-encodes to one line
    # even in encoders that wrap at 60 characters (the Delighted Ruby gem's pack("m"))
    plain = KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)
    api_key = ApiKey(
        name=name.strip(),
        prefix=plain[:10],
        key_hash=_hash_key(plain),
        scope=scope.value,
        created_at=now,
    )
    session.add(api_key)
    session.flush()
    return api_key, plain


def authenticate_key(*, session: Session, key: str) -> ApiKey:
    """The key's row, read only: checking a key must not take a write lock per request."""
    api_key = session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash_key(key)))
    if api_key is None or api_key.revoked_at is not None:
        raise Unauthorized("the API key is not valid")
    return api_key


def use_is_stale(api_key: ApiKey, now: datetime) -> bool:
    """Whether ``last_used_at`` is worth a write: once a minute at most, not per request."""
    return api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION


def record_use(*, session: Session, key_id: int, now: datetime) -> None:
    api_key = session.get(ApiKey, key_id)
    if api_key is not None and use_is_stale(api_key, now):
        api_key.last_used_at = now


def revoke_api_key(*, session: Session, key_id: int, now: datetime) -> None:
    api_key = session.get(ApiKey, key_id)
    if api_key is not None and api_key.revoked_at is None:
        api_key.revoked_at = now


def create_user(
    *, session: Session, email: str, password: str, name: str | None, now: datetime
) -> User:
    # a login name, not a mailbox we write to: local names such as demo@closeloop.local pass
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput("not an email address", field="email")
    if len(password) < 8:
        raise InvalidInput("use at least 8 characters", field="password")
    taken = Conflict(f"a user with email {email} already exists", field="email")
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise taken
    user = User(
        email=email, name=name, password_hash=_password_hasher.hash(password), created_at=now
    )
    try:
        # a savepoint: a concurrent creation of the same user is a conflict, not a crash
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise taken from None
    return user


def authenticate_user(*, session: Session, email: str, password: str, now: datetime) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        # spend the same time as a real check so timing does not reveal who exists
        _password_hasher.hash(password)
        raise Unauthorized("wrong email or password")
    try:
        _password_hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise Unauthorized("wrong email or password") from None
    if _password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _password_hasher.hash(password)
    user.last_login_at = now
    return user
