"""Fixtures for the Discord tests: a fake Discord, a loopback news page, and a client connected to both."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.adapters.discord import NarrativeClient, apply_api_base, build_discord_client
from bot.app import App, build_app
from bot.config import Secret, Settings, bundled_library_path
from matchers import load_library
from tests.discord.fakediscord import FakeDiscord

FIXTURES = Path(__file__).parent / "fixtures"


def propaganda(narrative_id: str = "troops-denial") -> str:
    """A text the shipped library itself gives as an example of the narrative."""
    narrative = load_library(bundled_library_path()).get(narrative_id)
    assert narrative is not None and narrative.examples
    return narrative.examples[0]


def article_html(text: str) -> bytes:
    template = (FIXTURES / "article.html").read_text(encoding="utf-8")
    return template.replace("{{TEXT}}", text).encode("utf-8")


# A one-item RSS feed, for `/narrative feeds add`, which tries a feed before subscribing.
FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><item><guid>1</guid><title>A</title>'
    b"<link>https://news.example/a</link><description>Road repairs.</description></item></channel></rss>"
)


@dataclass
class PageServer:
    port: int
    runner: web.AppRunner

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


async def start_page_server(pages: dict[str, bytes]) -> PageServer:
    async def serve(request: web.Request) -> web.Response:
        body = pages.get(request.path)
        if body is None:
            return web.Response(status=404, text="not found")
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    assert site._server is not None
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[attr-defined,union-attr]
    return PageServer(port, runner)


@pytest.fixture
async def pages() -> AsyncIterator[PageServer]:
    server = await start_page_server({"/news/troops.html": article_html(propaganda()), "/rss": FEED})
    try:
        yield server
    finally:
        await server.runner.cleanup()


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        apply_api_base(None)  # the REST base is process-wide in discord.py: put Discord's back


def settings_for(tmp_path: Path, fake: FakeDiscord, pages: PageServer, **extra: Any) -> Settings:
    return Settings(
        semantic=False,
        db_path=tmp_path / "state.sqlite3",
        allow_nets=(ipaddress.ip_network("127.0.0.0/8"),),
        allowed_ports=(pages.port,),
        discord_token=Secret("test-token"),
        discord_api_base=fake.api_base,
        **extra,
    )


@pytest.fixture
async def app(tmp_path: Path, fake: FakeDiscord, pages: PageServer) -> AsyncIterator[App]:
    async with build_app(settings_for(tmp_path, fake, pages)) as built:
        yield built


@pytest.fixture
async def client(app: App, fake: FakeDiscord) -> AsyncIterator[NarrativeClient]:
    """The real client logged in to the fake REST API and connected to its gateway, in this event loop."""
    bot = build_discord_client(app)
    await bot.login("test-token")
    task = asyncio.create_task(bot.connect(reconnect=False))
    try:
        ready = asyncio.create_task(bot.wait_until_ready())
        await asyncio.wait({ready, task}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # a gateway payload discord.py could not parse: show its error
        assert ready.done(), "the client never became ready"
        yield bot
    finally:
        await bot.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
