"""`narrative-bot db migrate` and `narrative-bot health`, as separate processes, on SQLite and a real PostgreSQL."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

from bot.store import MIGRATIONS
from tests.core.test_core_cli import run

LATEST = len(MIGRATIONS)


def test_db_migrate_creates_then_reports_a_current_schema(tmp_path: Path, state_location: Path | str) -> None:
    env = {"NARRATIVE_BOT_DB": str(state_location)}
    first = run(["db", "migrate"], tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert f"migrated from schema v0 to v{LATEST}" in first.stdout
    again = run(["db", "migrate"], tmp_path, env=env)
    assert again.returncode == 0 and f"schema v{LATEST} is current" in again.stdout


def test_db_migrate_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {LATEST + 1}")
    db.close()
    result = run(["db", "migrate"], tmp_path, env={"NARRATIVE_BOT_DB": str(path)})
    assert result.returncode == 1 and "newer than this program" in result.stderr
    assert "Traceback" not in result.stderr


def test_health_on_postgres(tmp_path: Path, postgres_dsn: str) -> None:
    result = run(["health"], tmp_path, env={"NARRATIVE_BOT_DB": postgres_dsn})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok:") and f"schema v{LATEST} (postgresql)" in result.stdout


def test_health_fails_when_the_server_is_unreachable(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dsn = f"postgresql://bot:hunter2@127.0.0.1:{port}/narrative?connect_timeout=1"
    result = run(["health"], tmp_path, env={"NARRATIVE_BOT_DB": dsn})
    assert result.returncode == 1
    assert "unhealthy" in result.stderr and f"127.0.0.1:{port}/narrative" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout and "Traceback" not in result.stderr
    started = run(["run"], tmp_path, env={"NARRATIVE_BOT_DB": dsn})
    assert started.returncode == 1 and "state database cannot be used" in started.stderr
    assert "hunter2" not in started.stderr and "Traceback" not in started.stderr
