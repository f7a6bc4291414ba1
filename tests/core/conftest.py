"""A real core over the shipped library, a real SQLite file and the safe fetcher allowed onto loopback."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleSession
from bot.app import App, build_app
from bot.config import Settings
from tests.fetch.loopback import LoopbackServer, start_server


@pytest.fixture
def page_server() -> Iterator[LoopbackServer]:
    state, httpd = start_server()
    yield state
    httpd.shutdown()


@pytest.fixture
def settings(tmp_path: Path, page_server: LoopbackServer) -> Settings:
    return Settings(
        semantic=False,
        db_path=tmp_path / "state.sqlite3",
        allow_nets=(ipaddress.ip_network("127.0.0.0/8"),),
        allowed_ports=(page_server.port,),
        fetch_timeout_s=5.0,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[App]:
    async with build_app(settings) as built:
        yield built


@pytest.fixture
def session(app: App) -> ConsoleSession:
    return ConsoleSession(app.core)


def settings_with(settings: Settings, **changes: object) -> Settings:
    return replace(settings, **changes)  # type: ignore[arg-type]
