"""One bot replica for the soak test and the benchmark: the real FeedPoller loop (poll, record, deliver) on a
shared database, with loopback feeds and a channel that is a file.

    python -m tests.feeds.replica --name r1 --db DSN --port 8080 --records DIR --epoch T [--speed 60]

Its clock runs `speed` times faster than the wall clock from `epoch` (the same for every replica, so that leases
and schedules agree), which turns the 2-minute poll floor into seconds. It records every fetch it makes
(`DIR/fetches-NAME.jsonl`: start and end, a line each, written as it happens so a SIGKILL loses nothing) and posts
alerts by appending a line to `DIR/channel.jsonl`; a repeated attempt looks in that file first, as the Slack and
Discord senders look in the channel.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import signal
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.config import Settings, bundled_library_path
from bot.core import Core
from bot.feeds import FeedPoller
from bot.fetch import FetchedPage, FetchSettings, SafeFetcher
from bot.library_holder import LibraryHolder
from bot.models import FeedAlert, FeedNotice
from bot.reader import ArticleReader
from bot.store import Store

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)


def _append(path: Path, record: Mapping[str, Any]) -> None:
    """One line, one write(2) on an O_APPEND file: whole lines from every replica, kept across a SIGKILL."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(record) + "\n").encode())
    finally:
        os.close(fd)


class RecordingFetcher(SafeFetcher):
    """The real fetcher, noting who fetched which URL from when to when."""

    def __init__(self, settings: FetchSettings, name: str, log: Path) -> None:
        super().__init__(settings)
        self.name = name
        self.log = log

    async def fetch(self, url: str, *args: Any, **kwargs: Any) -> FetchedPage:
        _append(self.log, {"replica": self.name, "url": url, "event": "start", "t": time.time()})
        try:
            return await super().fetch(url, *args, **kwargs)
        finally:
            _append(self.log, {"replica": self.name, "url": url, "event": "end", "t": time.time()})


class FileChannel:
    """An AlertSender whose channel is a file shared by the replicas."""

    platform = "console"

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path

    def _posted(self, key: str) -> bool:
        if not self.path.exists():
            return False
        return any(json.loads(line)["key"] == key for line in self.path.read_text().splitlines() if line)

    async def send_alert(self, alert: FeedAlert) -> None:
        if alert.attempted_at is not None and self._posted(alert.delivery_key):
            return  # an earlier attempt (maybe by a replica that died) did post it
        article = alert.verdict.article
        _append(self.path, {
            "replica": self.name, "key": alert.delivery_key, "channel": alert.channel_id,
            "item": article.url if article else None, "t": time.time(),
        })

    async def send_notice(self, notice: FeedNotice) -> None:
        key = notice.delivery_key or f"notice:{notice.text}"
        if notice.attempted_at is not None and self._posted(key):
            return
        _append(self.path, {"replica": self.name, "key": key, "channel": notice.channel_id, "item": None,
                            "t": time.time()})


async def main(args: argparse.Namespace) -> None:
    records = Path(args.records)
    settings = Settings(
        semantic=False, allow_nets=LOOPBACK, allowed_ports=(args.port,), feed_interval_s=120.0,
        feed_read_articles=False, feed_lease_s=args.lease,
    )
    epoch, speed = args.epoch, args.speed

    def clock() -> float:
        return epoch + (time.time() - epoch) * speed

    store = Store(args.db, clock=clock)
    fetcher = RecordingFetcher(
        FetchSettings(allow_nets=LOOPBACK, allowed_ports=(args.port,), timeout_s=10), args.name,
        records / f"fetches-{args.name}.jsonl",
    )
    core = Core(LibraryHolder(bundled_library_path()), store, settings, reader=ArticleReader(fetcher))
    poller = FeedPoller(store, fetcher, core, settings, clock=clock, replica_id=args.name)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    (records / f"ready-{args.name}").touch()
    try:
        await poller.run(FileChannel(args.name, records / "channel.jsonl"), stop=stop, tick_s=args.tick)
    finally:
        await fetcher.aclose()
        store.close()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True)
    parser.add_argument("--db", required=True, help="a SQLite path or a postgresql:// DSN")
    parser.add_argument("--port", type=int, required=True, help="the loopback feed server's port")
    parser.add_argument("--records", required=True)
    parser.add_argument("--epoch", type=float, required=True)
    parser.add_argument("--speed", type=float, default=60.0)
    parser.add_argument("--lease", type=float, default=240.0, help="lease, in the replica's (fast) seconds")
    parser.add_argument("--tick", type=float, default=0.2, help="wall-clock seconds between rounds")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
