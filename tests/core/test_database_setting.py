"""NARRATIVE_BOT_DB: a file path or sqlite:/// URL selects SQLite, postgresql:// selects PostgreSQL, anything else
is refused at start (it used to create a folder named after the scheme)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, Secret, load_settings


def test_a_plain_path_is_a_sqlite_file(tmp_path: Path) -> None:
    settings = load_settings({"NARRATIVE_BOT_DB": str(tmp_path / "s.db")})
    assert settings.db_path == tmp_path / "s.db" and not settings.postgres_dsn
    assert settings.database == tmp_path / "s.db"


def test_sqlite_urls_follow_the_three_and_four_slash_spelling() -> None:
    assert load_settings({"NARRATIVE_BOT_DB": "sqlite:///state/s.db"}).db_path == Path("state/s.db")
    assert load_settings({"NARRATIVE_BOT_DB": "sqlite:////var/lib/bot/s.db"}).db_path == Path("/var/lib/bot/s.db")
    with pytest.raises(ConfigError, match="sqlite:///relative/path"):
        load_settings({"NARRATIVE_BOT_DB": "sqlite://host/s.db"})


@pytest.mark.parametrize("url", ["postgresql://bot:pw@db:5432/narrative", "postgres://db/narrative"])
def test_postgres_urls_select_postgres_and_stay_secret(url: str) -> None:
    settings = load_settings({"NARRATIVE_BOT_DB": url})
    assert settings.postgres_dsn == Secret(url) and settings.database == Secret(url)
    assert "pw" not in repr(settings)


@pytest.mark.parametrize("url", ["mysql://bot:hunter2@db/narrative", "redis://db", "file:///tmp/x.db"])
def test_other_schemes_are_refused_without_echoing_the_value(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"NARRATIVE_BOT_DB": url})
    message = str(caught.value)
    assert "NARRATIVE_BOT_DB" in message and "unsupported database URL scheme" in message
    assert "hunter2" not in message and "@db" not in message


def test_a_scheme_without_slashes_or_a_database_is_refused() -> None:
    with pytest.raises(ConfigError, match="starts with postgresql://"):
        load_settings({"NARRATIVE_BOT_DB": "postgresql:db"})
    with pytest.raises(ConfigError, match="needs a host or a database"):
        load_settings({"NARRATIVE_BOT_DB": "postgresql://"})


def test_a_windows_drive_letter_is_a_path() -> None:
    assert load_settings({"NARRATIVE_BOT_DB": "C:/bot/s.db"}).db_path == Path("C:/bot/s.db")


def test_run_refuses_an_unknown_scheme_and_creates_no_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "NARRATIVE_BOT_"))}
    env.update(NARRATIVE_BOT_SEMANTIC="off", NARRATIVE_BOT_DB="mysql://bot:hunter2@db/narrative")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"], input="", capture_output=True, text=True, timeout=120,
        cwd=tmp_path, env=env,
    )
    assert done.returncode == 2
    assert "unsupported database URL scheme 'mysql'" in done.stderr and "hunter2" not in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no folder named "mysql:"
