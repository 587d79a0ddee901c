"""Settings, read from ``CLOSELOOP_*`` environment variables (and a ``.env`` file).

The secret key signs respondent links; if none is configured we generate one and keep
it in the data directory so that links already sent keep working after a restart.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from closeloop.contacts.fields import normalise_locale
from closeloop.policy.fatigue import FatiguePolicy
from closeloop.policy.windows import SendWindow, parse_window_setting

log = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path("closeloop-data")
# one send can wait on connect, EHLO, STARTTLS, AUTH, MAIL, RCPT and DATA in turn
LEASE_PER_SMTP_TIMEOUT = 8
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


class SmtpServer:
    """The parts of ``CLOSELOOP_SMTP_URL`` (``smtp://user:pass@host:port?starttls=1``)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"}:
            raise ValueError(f"SMTP URL scheme must be smtp or smtps, not {parts.scheme!r}")
        if not parts.hostname:
            raise ValueError("SMTP URL needs a host")
        query = parse_qs(parts.query)
        self.host: str = parts.hostname
        self.implicit_tls: bool = parts.scheme == "smtps"
        self.port: int = parts.port or (465 if self.implicit_tls else 25)
        self.username: str | None = unquote(parts.username) if parts.username else None
        self.password: str | None = unquote(parts.password) if parts.password else None
        self.starttls: bool = query.get("starttls", ["0"])[0].lower() in {"1", "true", "yes"}
        self.timeout: float = float(query.get("timeout", ["30"])[0])


class Settings(BaseSettings):
    """Every knob of a closeloop process; the names are a public contract."""

    model_config = SettingsConfigDict(
        env_prefix="CLOSELOOP_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    smtp_url: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr | None = None
    from_email: str = "surveys@closeloop.localhost"
    from_name: str = "closeloop"
    product_name: str = "our product"
    workspace_name: str = "closeloop"
    # the respondents' language when neither they nor the request name one we have
    # (BCP 47: "en", "es", "de", "fr", "pt", or a regional tag such as "pt-BR")
    default_locale: str = "en"
    # respondents
    token_ttl_days: int = Field(default=30, ge=1, le=365)
    answer_window_days: int = Field(default=7, ge=0, le=365)
    # dispatcher
    dispatch_batch_size: int = Field(default=50, ge=1, le=1000)
    dispatch_interval_seconds: float = Field(default=2.0, gt=0)
    dispatch_lease_seconds: int = Field(default=300, ge=10)
    dispatch_max_attempts: int = Field(default=8, ge=1, le=50)
    # policy: respect for the customer
    fatigue_days: int = Field(default=30, ge=0, le=3650)
    recontact_days: int = Field(default=90, ge=0, le=3650)
    # the send window rules use unless they name their own: "mon-fri 09:00-17:00" or "none"
    send_window: str = "mon-fri 09:00-17:00"
    # the Delighted-compatible API: its requests' send window ("none": at once, as Delighted
    # sent them) and each API key's rate limit there, in requests a minute per process
    delighted_send_window: str = "none"
    delighted_rate_limit: int = Field(default=600, ge=1, le=1_000_000)
    # where recipients are when neither they nor their account say (IANA zone, ISO country)
    workspace_time_zone: str = "UTC"
    workspace_country: str | None = None
    # how often the worker runs the schedulers (recurring, date traits, campaigns)
    planner_interval_seconds: float = Field(default=30.0, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("send_window", "delighted_send_window")
    @classmethod
    def _valid_send_window(cls, value: str) -> str:
        parse_window_setting(value)
        return value

    @field_validator("default_locale")
    @classmethod
    def _language_tag(cls, value: str) -> str:
        return normalise_locale(value)

    @field_validator("workspace_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Madrid") from None
        return value

    @cached_property
    def default_send_window(self) -> SendWindow | None:
        return parse_window_setting(self.send_window)

    @cached_property
    def delighted_window(self) -> SendWindow | None:
        return parse_window_setting(self.delighted_send_window)

    @cached_property
    def fatigue_policy(self) -> FatiguePolicy:
        return FatiguePolicy(global_days=self.fatigue_days, per_survey_days=self.recontact_days)

    @field_validator("smtp_url")
    @classmethod
    def _valid_smtp_url(cls, value: str | None) -> str | None:
        if value:
            SmtpServer(value)
            return value
        return None

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> Settings:
        """A lease that can expire mid-send lets a second worker send the same survey."""
        if self.smtp_url:
            needed = LEASE_PER_SMTP_TIMEOUT * SmtpServer(self.smtp_url).timeout
            if self.dispatch_lease_seconds < needed:
                raise ValueError(
                    f"dispatch_lease_seconds ({self.dispatch_lease_seconds}) must be at least "
                    f"{LEASE_PER_SMTP_TIMEOUT} times the SMTP timeout ({needed:g} s): a lease "
                    "that expires during a send lets another worker send it again"
                )
        return self

    @cached_property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'closeloop.db'}"

    @cached_property
    def smtp(self) -> SmtpServer | None:
        return SmtpServer(self.smtp_url) if self.smtp_url else None

    @cached_property
    def signing_key(self) -> str:
        """The configured secret, or one generated once and kept in the data directory."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        key_file = self.data_dir / SECRET_KEY_FILE
        if not key_file.exists():
            _create_key_file(key_file)
        key = key_file.read_text().strip()
        if not key:
            raise RuntimeError(f"{key_file} is empty: delete it or set CLOSELOOP_SECRET_KEY")
        return key


def _create_key_file(key_file: Path) -> None:
    """Publish a new key whole, or not at all when another process published one first.

    When a server and a worker start together, exactly one key must win, and neither may
    read a file the other has created but not yet written (an empty signing key). So
    the key is written to a private file first and then hard-linked into place: the link
    appears complete, and fails if the name is already taken.
    """
    key_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=key_file.parent, prefix=f".{key_file.name}.")
    draft = Path(name)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        key_file.hardlink_to(draft)
    except FileExistsError:
        return  # the other process's key wins; it is read like any stored key
    finally:
        draft.unlink()
    log.warning(
        "No CLOSELOOP_SECRET_KEY set: generated one and saved it in %s "
        "(set CLOSELOOP_SECRET_KEY in production)",
        key_file,
    )
