"""`narrative-bot run --platform slack` as a separate process in HTTP mode, against the fake Web API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from tests.slack.conftest import narrative
from tests.slack.fakeslack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlackApi,
    PageServer,
    message_event,
    signed_headers,
    slash_command,
)

ROOT = Path(__file__).resolve().parents[2]
PYTHON = "/work/venv/bin/python" if Path("/work/venv/bin/python").exists() else sys.executable


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_for_port(port: int, proc: asyncio.subprocess.Process, log: Path, timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if proc.returncode is not None:
            raise AssertionError(f"the bot exited with {proc.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the bot did not listen on {port} within {timeout}s:\n{log.read_text()}")


@contextlib.asynccontextmanager
async def running_bot(tmp_path: Path, api: FakeSlackApi, pages: PageServer) -> AsyncIterator[int]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NARRATIVE_BOT_", "DISCORD_"))}
    env["NARRATIVE_BOT_SEMANTIC"] = "off"  # the lexical stage: see tests/conftest.py
    env.update(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "PORT": str(port),
            "SLACK_API_URL": api.url,
            "NARRATIVE_BOT_DB": str(tmp_path / "e2e.sqlite3"),
            "NARRATIVE_BOT_ALLOW_NETS": "127.0.0.0/8",
            "NARRATIVE_BOT_ALLOWED_PORTS": str(pages.port),
            "PYTHONUNBUFFERED": "1",
        }
    )
    log = tmp_path / "bot.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            PYTHON, "-m", "bot", "run", "--platform", "slack", cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        await _wait_for_port(port, proc, log)
        yield port
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def _post(port: int, body: str, content_type: str, **kwargs: object) -> tuple[int, str]:
    headers = {k: str(v) for k, v in signed_headers(body, content_type, **kwargs).items()}  # type: ignore[arg-type]
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{port}/slack/events"
        async with session.post(url, data=body.encode(), headers=headers) as response:
            return response.status, await response.text()


async def test_http_mode_end_to_end(tmp_path: Path, api: FakeSlackApi, pages: PageServer) -> None:
    async with asyncio.timeout(120), running_bot(tmp_path, api, pages) as port:
        event = message_event(f"look <{pages.url('/propaganda')}>", event_id="EvE2E", ts="777.0001")
        status, _ = await _post(port, event, "application/json")
        assert status == 200
        (post,) = await api.wait_for("chat.postMessage", timeout=60)
        assert post.params["thread_ts"] == "777.0001"
        assert narrative().title_in("en") in post.params["text"]  # "look" is English
        assert any(b["type"] == "actions" for b in post.params["blocks"])

        status, _ = await _post(port, event, "application/json", retry_num=1)  # Slack's retry: no second reply
        assert status == 200
        status, _ = await _post(port, event, "application/json", secret="forged")
        assert status == 401

        command = slash_command("show sanctions-illegitimate", api.response_url())
        status, text = await _post(port, command, "application/x-www-form-urlencoded")
        assert status == 200
        assert narrative().title_in("en") in json.loads(text)["text"]
        await asyncio.sleep(1.0)  # room for a wrong second reply to arrive
        assert len(api.calls_to("chat.postMessage")) == 1
    log = (tmp_path / "bot.log").read_text()
    assert BOT_TOKEN not in log and SIGNING_SECRET not in log  # secrets never logged
    assert "Slack adapter stopped" in log  # SIGTERM stopped it cleanly
