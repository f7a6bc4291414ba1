"""Console mode posts feed alerts: a feed subscribed to `console`, polled from the command line, prints its
pending alert when the console starts, and a second start prints nothing again."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from matchers import Library
from tests.feeds.helpers import FeedServer, Item, rss
from tests.feeds.helpers import start_feed_server as start_server
from tests.feeds.test_poller import bad_item, neutral_items


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    state, httpd = start_server()
    yield state
    httpd.shutdown()
    httpd.server_close()


def bot(args: list[str], tmp_path: Path, port: int, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "NARRATIVE_BOT_"))}
    env["NARRATIVE_BOT_SEMANTIC"] = "off"  # the lexical stage: see tests/conftest.py
    env.update(
        {
            "NARRATIVE_BOT_DB": str(tmp_path / "state.sqlite3"),
            "NARRATIVE_BOT_ALLOW_NETS": "127.0.0.0/8",
            "NARRATIVE_BOT_ALLOWED_PORTS": str(port),
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, timeout=120,
        cwd=tmp_path, env=env,
    )


def test_console_prints_feed_alerts_once(tmp_path: Path, feeds: FeedServer) -> None:
    url = feeds.url("/wire.xml")
    feeds.serve_feed("/wire.xml", rss(neutral_items(feeds)))
    assert bot(["feeds", "add", url, "--platform", "console"], tmp_path, feeds.port).returncode == 0
    assert bot(["feeds", "poll", "--once"], tmp_path, feeds.port).returncode == 0  # first poll: silent
    item: Item = bad_item(feeds, 1)
    feeds.serve_feed("/wire.xml", rss([item, *neutral_items(feeds)]))
    polled = bot(["feeds", "poll", "--once", "--force", "--json"], tmp_path, feeds.port)
    assert polled.returncode == 0 and item.link in polled.stdout

    first = bot(["run"], tmp_path, feeds.port, stdin="/narrative feeds list\n")
    assert first.returncode == 0, first.stderr
    assert "Лента: Test Wire" in first.stdout and str(item.link) in first.stdout  # a Russian item, a Russian card
    second = bot(["run"], tmp_path, feeds.port, stdin="/narrative feeds list\n")
    assert "Лента: Test Wire" not in second.stdout  # posted once, restarts included


def test_a_second_console_session_answers_its_first_lines_too(tmp_path: Path, library: Library) -> None:
    example = library.get("west-in-panic").examples[0]  # type: ignore[union-attr]
    title = library.get("west-in-panic").title_in("ru")  # type: ignore[union-attr]
    for _session in range(2):  # the same state file: console message ids must not collide across sessions
        result = bot(["run"], tmp_path, 80, stdin=f"{example}\n")
        assert result.returncode == 0 and title in result.stdout, result.stderr
