"""Fixtures for the feed tests: a loopback feed server, a fake clock, and real pollers over a real database."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import Settings, bundled_library_path
from bot.core import Core
from bot.feeds import FeedPoller
from bot.fetch import FetchSettings, SafeFetcher
from bot.library_holder import LibraryHolder
from bot.reader import ArticleReader
from bot.store import Store
from tests.feeds.helpers import FakeClock, FeedServer, start_feed_server

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    state, httpd = start_feed_server()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def library_holder() -> LibraryHolder:
    return LibraryHolder(bundled_library_path())


@dataclass
class Rig:
    """One "process": a Store, fetcher, core and poller over the shared database."""

    store: Store
    fetcher: SafeFetcher
    core: Core
    poller: FeedPoller
    settings: Settings


RigFactory = Callable[..., Rig]


@pytest.fixture
async def make_rig(
    tmp_path: Path, state_location: Path | str, feed_server: FeedServer, clock: FakeClock,
    library_holder: LibraryHolder,
) -> AsyncIterator[RigFactory]:
    """Build a Rig; call it again for a "restart" (new Store and FeedPoller on the same database). Every test that
    uses it runs once on SQLite and once on PostgreSQL (`state_location`, tests/conftest.py)."""
    rigs: list[Rig] = []

    def build(**options: object) -> Rig:
        read_articles = bool(options.pop("feed_read_articles", True))
        lease_s = options.pop("feed_lease_s", 300.0)
        assert isinstance(lease_s, float)
        settings = Settings(
            semantic=False,
            db_path=tmp_path / "state.sqlite3",
            allow_nets=LOOPBACK,
            allowed_ports=(feed_server.port,),
            feed_interval_s=600.0,
            feed_read_articles=read_articles,
            feed_lease_s=lease_s,
        )
        store = Store(state_location, clock=clock)
        fetcher = SafeFetcher(FetchSettings(allow_nets=LOOPBACK, allowed_ports=(feed_server.port,), timeout_s=10))
        core = Core(library_holder, store, settings, reader=ArticleReader(fetcher))  # type: ignore[arg-type]
        poller = FeedPoller(store, fetcher, core, settings, clock=clock, **options)  # type: ignore[arg-type]
        rig = Rig(store, fetcher, core, poller, settings)
        rigs.append(rig)
        return rig

    yield build
    for rig in rigs:
        await rig.fetcher.aclose()
        rig.store.close()
