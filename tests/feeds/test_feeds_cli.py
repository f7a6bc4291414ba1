"""`narrative-bot feeds ...` in a subprocess against a loopback feed, and default feeds from a config file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import build_app
from bot.config import ConfigError, Settings
from tests.feeds.helpers import FIXTURES, FeedServer, Item, propaganda_texts, rss
from tests.feeds.test_poller import neutral_items

ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def cli_env(tmp_path: Path, feed_server: FeedServer) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")}
    keep["NARRATIVE_BOT_SEMANTIC"] = "off"  # the lexical stage: see tests/conftest.py
    return {
        **keep,
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp_path),
        "NARRATIVE_BOT_DB": str(tmp_path / "cli.sqlite3"),
        "NARRATIVE_BOT_ALLOW_NETS": "127.0.0.0/8",
        "NARRATIVE_BOT_ALLOWED_PORTS": str(feed_server.port),
    }


def test_feeds_cli_add_poll_list_remove(cli_env: dict[str, str], feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.url("/cli.xml")
    feed_server.serve_feed("/cli.xml", rss(neutral_items(feed_server)))
    added = run_cli(["feeds", "add", url], cli_env, tmp_path)
    assert added.returncode == 0, added.stderr
    assert f"Watching {url} in console/console" in added.stdout

    first = run_cli(["feeds", "poll", "--once", "--json"], cli_env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""  # the first poll records the feed's items silently

    narrative, text = propaganda_texts()[0]
    fresh = Item("cli-1", "Breaking", text, link=feed_server.url("/news/cli-1"))
    feed_server.serve_feed("/cli.xml", rss([fresh, *neutral_items(feed_server)]))
    not_due = run_cli(["feeds", "poll", "--once", "--json"], cli_env, tmp_path)
    assert not_due.returncode == 0 and not_due.stdout == ""  # the schedule holds: not due for 10 minutes
    polled = run_cli(["feeds", "poll", "--once", "--json", "--force"], cli_env, tmp_path)
    assert polled.returncode == 0, polled.stderr
    (line,) = [json.loads(x) for x in polled.stdout.splitlines()]
    assert line["feed"] == url and line["link"] == feed_server.url("/news/cli-1")
    assert line["title"] == "Breaking" and line["narrative"] == narrative and line["score"] >= 1
    again = run_cli(["feeds", "poll", "--once", "--json", "--force"], cli_env, tmp_path)
    assert again.stdout == ""

    listed = run_cli(["feeds", "list", "--json"], cli_env, tmp_path)
    (row,) = [json.loads(x) for x in listed.stdout.splitlines()]
    assert row["url"] == url and row["status"] == "ok" and row["title"] == "Test Wire"

    removed = run_cli(["feeds", "remove", url], cli_env, tmp_path)
    assert removed.returncode == 0 and "Stopped watching" in removed.stdout
    assert run_cli(["feeds", "list"], cli_env, tmp_path).stdout.strip() == "No feed subscriptions."


def test_feeds_cli_names_the_tenant_of_a_channel(
    cli_env: dict[str, str], feed_server: FeedServer, tmp_path: Path
) -> None:
    url = feed_server.url("/tenants.xml")
    feed_server.serve_feed("/tenants.xml", rss(neutral_items(feed_server)))
    for team in ("TA", "TB"):
        args = ["feeds", "add", url, "--platform", "slack", "--channel", "C1", "--tenant", team, "--no-check"]
        added = run_cli(args, cli_env, tmp_path)
        assert added.returncode == 0 and f"in slack/{team}/C1" in added.stdout, added.stderr
    only_a = run_cli(["feeds", "list", "--json", "--tenant", "TA"], cli_env, tmp_path)
    assert [(r["tenant"], r["channel"]) for r in map(json.loads, only_a.stdout.splitlines())] == [("TA", "C1")]
    removed = run_cli(["feeds", "remove", url, "--tenant", "TB"], cli_env, tmp_path)
    assert removed.returncode == 0 and "(1 subscription)" in removed.stdout
    listed = run_cli(["feeds", "list"], cli_env, tmp_path)
    assert listed.stdout.splitlines() == [f"slack/TA/C1  {url}  [not polled yet]"]


def test_cli_rejects_non_http_feed(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = run_cli(["feeds", "add", "file:///etc/passwd"], cli_env, tmp_path)
    assert result.returncode == 2 and "not an http(s) URL" in result.stderr


async def test_default_feeds_file_loaded_at_start_idempotently(tmp_path: Path) -> None:
    settings = Settings(semantic=False, db_path=tmp_path / "db.sqlite3", feeds_file=FIXTURES / "feeds.yaml")
    for _ in range(2):
        async with build_app(settings) as app:
            subs = [(s.platform, s.channel_id, s.feed_url) for s in app.store.subscriptions()]
    assert subs == [
        ("slack", "C123", "https://vesti.example/rss"),
        ("discord", "998877", "https://t.me/s/voenkor_daily"),
        ("console", "console", "https://wire.example/feed.xml"),
    ]


def test_invalid_feeds_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "feeds.yaml"
    bad.write_text("feeds:\n  - url: ftp://x.example/feed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not an http"):
        build_app(Settings(semantic=False, db_path=tmp_path / "db.sqlite3", feeds_file=bad))


def test_cli_add_tries_the_feed_first(cli_env: dict[str, str], feed_server: FeedServer, tmp_path: Path) -> None:
    missing = run_cli(["feeds", "add", feed_server.url("/missing.xml")], cli_env, tmp_path)
    assert missing.returncode == 3 and "I can't watch" in missing.stderr and "HTTP 404" in missing.stderr
    closed = {k: v for k, v in cli_env.items() if k != "NARRATIVE_BOT_ALLOW_NETS"}
    refused = run_cli(["feeds", "add", feed_server.url("/cli.xml")], closed, tmp_path)
    assert refused.returncode == 3 and "Hint:" in refused.stderr and "NARRATIVE_BOT_ALLOW_NETS" in refused.stderr
    assert run_cli(["feeds", "list"], cli_env, tmp_path).stdout.strip() == "No feed subscriptions."
    untried = run_cli(["feeds", "add", "https://feeds.example/rss", "--no-check"], cli_env, tmp_path)
    assert untried.returncode == 0 and "Watching https://feeds.example/rss" in untried.stdout
