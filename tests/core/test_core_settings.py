"""Settings that cannot mean what they say are refused (or, when harmless, named) at start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import (
    MAX_FEED_INTERVAL_S,
    MIN_FEED_INTERVAL_S,
    ConfigError,
    admin_group_for,
    load_settings,
    parse_admin_groups,
    settings_warnings,
)
from bot.feed_parse import MAX_INTERVAL_S, MIN_INTERVAL_S


def test_an_alert_threshold_below_the_default_suggest_threshold_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"NARRATIVE_BOT_ALERT_THRESHOLD": "20", "NARRATIVE_BOT_MAX_LINKS": "0"})
    message = str(caught.value)
    assert "NARRATIVE_BOT_ALERT_THRESHOLD (20)" in message and "SUGGEST_THRESHOLD (30, default)" in message
    assert "NARRATIVE_BOT_MAX_LINKS" in message  # every problem at once, as before


def test_a_suggest_threshold_above_the_default_alert_threshold_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"ALERT_THRESHOLD \(44, default\)"):
        load_settings({"NARRATIVE_BOT_SUGGEST_THRESHOLD": "50"})
    assert load_settings({"NARRATIVE_BOT_ALERT_THRESHOLD": "30"}).alert_threshold == 30  # equal is fine


def test_a_feed_interval_below_the_floor_is_named() -> None:
    assert MIN_FEED_INTERVAL_S == MIN_INTERVAL_S  # the warning tells the poller's real floor
    (warning,) = settings_warnings(load_settings({"NARRATIVE_BOT_FEED_INTERVAL": "30"}))
    assert "NARRATIVE_BOT_FEED_INTERVAL" in warning and "120 s is used" in warning
    assert settings_warnings(load_settings({"NARRATIVE_BOT_FEED_INTERVAL": "120"})) == []


def test_a_feed_interval_above_the_ceiling_is_named() -> None:
    assert MAX_FEED_INTERVAL_S == MAX_INTERVAL_S
    (warning,) = settings_warnings(load_settings({"NARRATIVE_BOT_FEED_INTERVAL": "86400"}))
    assert "at least every 21600 s" in warning


def _run(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "NARRATIVE_BOT_"))}
    full["NARRATIVE_BOT_SEMANTIC"] = "off"  # the lexical stage: see tests/conftest.py
    full.update({"NARRATIVE_BOT_DB": str(tmp_path / "state.sqlite3"), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"], input="hello\n", capture_output=True, text=True, timeout=120,
        cwd=tmp_path, env=full,
    )


def test_run_refuses_crossed_thresholds_and_names_a_short_interval(tmp_path: Path) -> None:
    crossed = _run(tmp_path, {"NARRATIVE_BOT_ALERT_THRESHOLD": "10"})
    assert crossed.returncode == 2 and "NARRATIVE_BOT_ALERT_THRESHOLD" in crossed.stderr
    assert "Traceback" not in crossed.stderr
    short = _run(tmp_path, {"NARRATIVE_BOT_FEED_INTERVAL": "30"})
    assert short.returncode == 0, short.stderr
    assert "NARRATIVE_BOT_FEED_INTERVAL is 30 s" in short.stderr


def test_library_size_cap_is_a_setting() -> None:
    from bot.library_holder import LibraryHolder
    from matchers import LibraryError

    settings = load_settings({"NARRATIVE_BOT_MAX_LIBRARY_BYTES": "1000"})
    assert settings.max_library_bytes == 1000
    assert load_settings({}).max_library_bytes == 64 * 1024 * 1024
    with pytest.raises(LibraryError, match="larger than 1000 bytes"):
        LibraryHolder(settings.library_path, max_bytes=settings.max_library_bytes)


def test_the_slack_editors_group_is_one_id_or_one_per_workspace() -> None:
    assert parse_admin_groups("S0123ABCD") == {"": "S0123ABCD"}
    assert parse_admin_groups(" T0ALPHA:S01, T0BETA:S02 ,S03") == {"T0ALPHA": "S01", "T0BETA": "S02", "": "S03"}
    assert admin_group_for("T0ALPHA:S01,S03", "T0ALPHA") == "S01"
    assert admin_group_for("T0ALPHA:S01,S03", "T0GAMMA") == "S03"
    assert admin_group_for("T0ALPHA:S01", "T0GAMMA") == ""
    assert admin_group_for("T0ALPHA:S01", "") == "S01"  # the one workspace of a single-token app
    assert admin_group_for("", "T0ALPHA") == ""
    for bad, said in (("@editors", "not its @handle"), ("T0ALPHA:S01,T0ALPHA:S02", "named twice")):
        with pytest.raises(ConfigError, match=said):
            load_settings({"NARRATIVE_BOT_SLACK_ADMIN_GROUP": bad})
