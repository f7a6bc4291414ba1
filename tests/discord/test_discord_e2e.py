"""End to end: `python -m bot run --platform discord` in its own process, against a loopback fake Discord."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import bundled_library_path
from matchers import load_library
from tests.discord.conftest import PageServer
from tests.discord.fakediscord import CHANNEL_ID, FakeDiscord, message_payload

ROOT = Path(__file__).resolve().parents[2]


@contextlib.asynccontextmanager
async def bot_process(env: dict[str, str], log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--platform",
            "discord",
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
        try:
            yield proc
        finally:
            # Always end the bot: SIGTERM first (a clean close), then SIGKILL if it lingers.
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 10)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


async def test_bot_process_replies_to_a_propaganda_link(fake: FakeDiscord, pages: PageServer, tmp_path: Path) -> None:
    fake.script.append(
        ("MESSAGE_CREATE", message_payload("930000000000000001", f"read: {pages.url('/news/troops.html')}"))
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_", "NARRATIVE_BOT_"))} | {
        "DISCORD_TOKEN": "test-token",
        "NARRATIVE_BOT_SEMANTIC": "off",
        "DISCORD_API_BASE": fake.api_base,
        "NARRATIVE_BOT_DB": str(tmp_path / "state.sqlite3"),
        "NARRATIVE_BOT_ALLOW_NETS": "127.0.0.0/8",
        "NARRATIVE_BOT_ALLOWED_PORTS": str(pages.port),
        "LOG_LEVEL": "info",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "bot.log"
    async with bot_process(env, log) as proc:
        try:
            posted = await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages", timeout=60)
        except TimeoutError:
            pytest.fail(f"no reply posted (exit code {proc.returncode}); bot log:\n{log.read_text()[-4000:]}")

    # The bot found the gateway through the overridden API and synced its commands there.
    assert fake.calls("GET", "/gateway/bot")
    assert fake.calls("PUT", "/applications/")
    body = posted.json
    assert str(body["message_reference"]["message_id"]) == "930000000000000001"
    assert body["allowed_mentions"]["parse"] == []
    assert body["allowed_mentions"].get("replied_user", False) is False
    narrative = load_library(bundled_library_path()).get("troops-denial")
    assert narrative is not None and narrative.title_in("en") in body["embeds"][0]["title"]  # "read:" is English
    assert proc.returncode == 0, log.read_text()[-4000:]  # SIGTERM closed the gateway and the store cleanly
    assert "test-token" not in log.read_text()  # the token never reaches the log
