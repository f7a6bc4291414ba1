"""`narrative-bot run` with no terminal and no input (docker run without -it) never ends silently with status 0:
it keeps serving the console's feeds, or says why there is nothing to do."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.test_core_console_feeds import bot
from tests.feeds.helpers import FeedServer, rss
from tests.feeds.helpers import start_feed_server as start_server
from tests.feeds.test_poller import neutral_items

# A bound on waiting for a line from the bot, not a timing assertion: the bot normally answers in a second.
PATIENCE_S = 60


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    state, httpd = start_server()
    yield state
    httpd.shutdown()
    httpd.server_close()


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "NARRATIVE_BOT_"))}
    env["NARRATIVE_BOT_SEMANTIC"] = "off"  # the lexical stage: see tests/conftest.py
    env.update(
        {
            "NARRATIVE_BOT_DB": str(tmp_path / "state.sqlite3"),
            "NARRATIVE_BOT_ALLOW_NETS": "127.0.0.0/8",
            "NARRATIVE_BOT_ALLOWED_PORTS": str(port),
        }
    )
    return env


def test_no_input_and_no_feeds_says_so_and_fails(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=120, cwd=tmp_path, env=_env(tmp_path, 80),
    )
    assert result.returncode == 1
    assert "standard input is closed" in result.stderr and "docker run -it" in result.stderr


def test_no_input_keeps_serving_the_console_feeds_until_sigterm(tmp_path: Path, feeds: FeedServer) -> None:
    url = feeds.url("/wire.xml")
    feeds.serve_feed("/wire.xml", rss(neutral_items(feeds)))
    assert bot(["feeds", "add", url, "--platform", "console"], tmp_path, feeds.port).returncode == 0
    tried = len(feeds.hits("/wire.xml"))  # `feeds add` reads the feed once before subscribing
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=_env(tmp_path, feeds.port),
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stderr is not None
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()  # type: ignore[union-attr]
    try:
        seen = []
        while not any("still watching 1 feed" in line for line in seen):
            seen.append(lines.get(timeout=PATIENCE_S))
        pause = threading.Event()
        for _ in range(PATIENCE_S * 10):  # the poller runs: the feed is fetched with stdin closed
            if len(feeds.hits("/wire.xml")) > tried or proc.poll() is not None:
                break
            pause.wait(0.1)
        assert len(feeds.hits("/wire.xml")) > tried, "".join(seen)
        assert proc.poll() is None  # still serving
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=PATIENCE_S) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
