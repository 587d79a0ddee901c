"""Settings: the generated signing key (made once, never half-written) and sane dispatch limits."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from closeloop.config import SECRET_KEY_FILE, Settings


def unconfigured(data_dir: Path) -> Settings:
    """Settings with no secret key, whatever the environment running the tests says."""
    return Settings(data_dir=data_dir, secret_key=None)


def test_a_generated_key_is_kept_for_the_next_start(tmp_path: Path) -> None:
    first = unconfigured(tmp_path / "data").signing_key
    assert len(first) >= 32
    assert unconfigured(tmp_path / "data").signing_key == first
    assert (tmp_path / "data" / SECRET_KEY_FILE).stat().st_mode & 0o077 == 0
    assert [path.name for path in (tmp_path / "data").iterdir()] == [SECRET_KEY_FILE]


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    keys: list[str] = []
    start = threading.Barrier(8)

    def read_key() -> None:
        start.wait()
        keys.append(unconfigured(tmp_path / "data").signing_key)

    threads = [threading.Thread(target=read_key) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8
    assert len(set(keys)) == 1
    assert keys[0]


def test_an_empty_key_file_is_refused_not_used(tmp_path: Path) -> None:
    (tmp_path / SECRET_KEY_FILE).write_text("\n")
    with pytest.raises(RuntimeError, match="empty"):
        _ = unconfigured(tmp_path).signing_key


def test_a_configured_key_wins_over_the_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="configured")  # type: ignore[arg-type]
    assert settings.signing_key == "configured"
    assert not (tmp_path / SECRET_KEY_FILE).exists()


def test_the_dispatch_lease_must_outlast_a_send(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="dispatch_lease_seconds"):
        Settings(
            data_dir=tmp_path,
            smtp_url="smtp://mail.example.test:587?starttls=1&timeout=60",
            dispatch_lease_seconds=300,
        )
    settings = Settings(
        data_dir=tmp_path,
        smtp_url="smtp://mail.example.test:587?timeout=30",
        dispatch_lease_seconds=300,
    )
    assert settings.smtp is not None
    assert settings.smtp.timeout == 30
