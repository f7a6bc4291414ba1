"""The store (SQLite and PostgreSQL), settings from the environment and library hot reload."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path

import pytest

from bot.config import ConfigError, Secret, Settings, load_settings
from bot.library_holder import LibraryHolder
from bot.store import MIGRATIONS, Store
from tests.conftest import LIBRARY_PATH

# -- store -----------------------------------------------------------------------------------------------------


def test_store_migrates_once_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = Store(path)
    assert store.schema_version == len(MIGRATIONS)
    assert store.query("PRAGMA journal_mode")[0][0] == "wal"
    store.close()
    again = Store(path)  # a restart runs no migration twice
    assert again.schema_version == len(MIGRATIONS)
    again.close()


def test_store_migrates_once_on_postgres(postgres_dsn: str) -> None:
    store = Store(postgres_dsn)
    assert store.dialect == "postgresql" and store.schema_version == len(MIGRATIONS)
    store.close()
    again = Store(postgres_dsn)
    assert again.schema_version == len(MIGRATIONS)
    assert again.query("SELECT COUNT(*) FROM schema_version")[0][0] == 1
    again.close()


def test_postgres_refuses_a_newer_schema(postgres_dsn: str) -> None:
    Store(postgres_dsn).close()
    import psycopg

    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = %s", (len(MIGRATIONS) + 5,))
    with pytest.raises(RuntimeError, match="newer than this program"):
        Store(postgres_dsn)


def test_store_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    db.close()
    with pytest.raises(RuntimeError, match="newer than this program"):
        Store(path)


def test_claims_survive_a_restart_and_can_be_released(state_location: Path | str) -> None:
    path = state_location
    store = Store(path)
    assert store.claim_message("slack", "C1", "1.1")
    assert not store.claim_message("slack", "C1", "1.1")
    assert store.claim_event("slack", "Ev1") and not store.claim_event("slack", "Ev1")
    store.close()
    store = Store(path)
    assert not store.claim_message("slack", "C1", "1.1")
    store.release_message("slack", "C1", "1.1")
    store.release_event("slack", "Ev1")
    assert store.claim_message("slack", "C1", "1.1") and store.claim_event("slack", "Ev1")
    store.close()


def test_prune_forgets_old_dedup_records(state_location: Path | str) -> None:
    now = [1000.0]
    store = Store(state_location, clock=lambda: now[0])
    store.claim_message("discord", "c", "m")
    now[0] += 8 * 86400
    store.prune()
    assert store.claim_message("discord", "c", "m")
    store.close()


def test_feedback_rejects_unknown_values(state_location: Path | str) -> None:
    store = Store(state_location)
    with pytest.raises(ValueError):
        store.record_feedback("slack", "C", "ts", "troops-denial", "U", "maybe")
    store.close()


def test_feedback_and_subscriptions_round_trip(state_location: Path | str) -> None:
    store = Store(state_location)
    store.record_feedback("slack", "C", "ts1", "troops-denial", "U1", "wrong")
    store.record_feedback("slack", "C", "ts1", "troops-denial", "U1", "correct")  # a second click replaces
    store.record_feedback("slack", "C", "ts1", "troops-denial", "U2", "wrong")
    assert [(f.user_id, f.value) for f in store.feedback("troops-denial")] == [("U1", "correct"), ("U2", "wrong")]
    assert store.feedback("west-in-panic") == []
    assert store.add_subscription("slack", "C1", "https://a.example/rss", created_by="U1")
    assert not store.add_subscription("slack", "C1", "https://a.example/rss")
    assert store.add_subscription("slack", "C2", "https://a.example/rss")
    assert store.add_subscription("discord", "9", "https://a.example/rss")
    assert [s.channel_id for s in store.subscriptions("slack")] == ["C1", "C2"]
    assert store.remove_subscription("slack", None, "https://a.example/rss") == 2
    assert [(s.platform, s.channel_id) for s in store.subscriptions()] == [("discord", "9")]
    store.close()


def test_a_failed_transaction_leaves_nothing(state_location: Path | str) -> None:
    store = Store(state_location)
    with pytest.raises(ZeroDivisionError), store.transaction() as db:
        db.execute("INSERT INTO handled_events VALUES ('x', 'e', 0)")
        raise ZeroDivisionError
    assert store.claim_event("x", "e")
    store.close()


# -- settings --------------------------------------------------------------------------------------------------


def test_settings_defaults_pick_console() -> None:
    settings = load_settings({})
    assert settings.platform() == "console"
    assert settings.library_path.name == "narratives.yaml" and settings.library_path.is_file()


def test_settings_pick_the_platform_from_credentials() -> None:
    slack = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert slack.platform() == "slack"
    assert load_settings({"DISCORD_TOKEN": "abc"}).platform() == "discord"


def test_settings_report_every_problem_and_never_a_secret() -> None:
    env = {
        "NARRATIVE_BOT_ALERT_THRESHOLD": "150",
        "NARRATIVE_BOT_ALLOW_NETS": "10.0.0.0/8,not-a-net",
        "NARRATIVE_BOT_MAX_LINKS": "0",
        "SLACK_BOT_TOKEN": "xoxp-super-secret-value",
        "NARRATIVE_BOT_LIBRARY": "/nonexistent/narratives.yaml",
    }
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    message = str(caught.value)
    for name in ("ALERT_THRESHOLD", "ALLOW_NETS", "MAX_LINKS", "SLACK_BOT_TOKEN", "NARRATIVE_BOT_LIBRARY"):
        assert name in message
    assert "super-secret" not in message


def test_secrets_hide_in_reprs() -> None:
    settings = load_settings({"DISCORD_TOKEN": "very-secret-token"})
    assert "very-secret-token" not in repr(settings)
    assert settings.discord_token.get() == "very-secret-token"
    assert repr(Secret("x")) == "Secret('***')"


def test_allow_nets_and_ports_parse() -> None:
    settings = load_settings({"NARRATIVE_BOT_ALLOW_NETS": "127.0.0.0/8, 10.1.0.0/16", "NARRATIVE_BOT_ALLOWED_PORTS": "80,8080"})
    assert [str(n) for n in settings.allow_nets] == ["127.0.0.0/8", "10.1.0.0/16"]
    assert settings.allowed_ports == (80, 8080)


def test_dotenv_file_is_read_without_overriding_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("NARRATIVE_BOT_MAX_LINKS=7\nNARRATIVE_BOT_FEED_INTERVAL=120\n", encoding="utf-8")
    monkeypatch.setenv("NARRATIVE_BOT_FEED_INTERVAL", "900")
    monkeypatch.delenv("NARRATIVE_BOT_MAX_LINKS", raising=False)
    settings = load_settings(dotenv=dotenv)
    assert settings.max_links == 7 and settings.feed_interval_s == 900
    os.environ.pop("NARRATIVE_BOT_MAX_LINKS", None)


# -- library reload --------------------------------------------------------------------------------------------


def _bump_mtime(path: Path) -> None:
    stamp = time.time() + 5
    os.utime(path, (stamp, stamp))


def test_library_reloads_on_change_and_keeps_the_last_good(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "narratives.yaml"
    original = LIBRARY_PATH.read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    now = [0.0]
    holder = LibraryHolder(path, check_every_s=1.0, clock=lambda: now[0])
    assert "troops-denial" in holder.library.ids

    path.write_text(original.replace("id: troops-denial", "id: troops-denial-renamed"), encoding="utf-8")
    _bump_mtime(path)
    now[0] += 2
    assert "troops-denial-renamed" in holder.matcher.library.ids

    with caplog.at_level(logging.ERROR):
        path.write_text(original.replace("version: 1", "version: 1\nversion: 2", 1), encoding="utf-8")
        _bump_mtime(path)
        now[0] += 2
        still = holder.matcher.library
    assert "troops-denial-renamed" in still.ids  # the broken edit did not replace the good library
    assert holder.last_error is not None and "duplicate key 'version'" in holder.last_error
    assert f"{path}:2:1" in caplog.text


def test_settings_type_is_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().max_links = 5  # type: ignore[misc]
