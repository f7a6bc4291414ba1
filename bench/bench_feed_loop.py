"""Event-loop stall while a 10,000-item feed is polled: the poller (CPU work offloaded) against the baseline.

Run: python bench/bench_feed_loop.py [--items N]

A heartbeat task asks to wake every 10 ms; the figure is the longest it woke late, i.e. the longest time nothing
else (a Slack or Discord event to acknowledge within 3 s) could run. The poller's figure is one real poll through
FeedPoller, the loopback fetch and SQLite included, of a feed whose items are all new. The baseline does the same
parsing and matching on the event loop itself, as the poller did before the offload.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings, bundled_library_path  # noqa: E402
from bot.core import Core  # noqa: E402
from bot.feed_parse import parse_feed  # noqa: E402
from bot.feeds import FeedPoller  # noqa: E402
from bot.fetch import FetchSettings, SafeFetcher  # noqa: E402
from bot.library_holder import LibraryHolder  # noqa: E402
from bot.store import Store  # noqa: E402
from matchers import load_library  # noqa: E402

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
NEUTRAL = (
    "The Bank of Russia kept its key rate unchanged on Friday, citing slowing inflation.",
    "Moscow city council approved the budget for road repairs next year after a long debate.",
    "Heavy snow closed two runways at Sheremetyevo airport on Tuesday morning.",
)


def big_feed(items: int, generation: int) -> bytes:
    """An RSS document of `items` distinct items (library examples among neutral news), about 4 MB at 10,000."""
    library = load_library(bundled_library_path())
    texts = [t for n in library.narratives for t in (*n.examples, *n.non_examples)] + list(NEUTRAL) * 20
    parts = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Big wire</title>']
    for i in range(items):
        text = escape(f"<p>{texts[i % len(texts)]} ({generation}-{i})</p>")
        parts.append(
            f"<item><title>Report {generation}-{i}</title><guid>g{generation}-{i}</guid>"
            f"<link>https://wire.example/{generation}/{i}</link><description>{text}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def serve(bodies: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = bodies[self.path]
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


async def max_stall(work: Callable[[], Awaitable[object]], tick_s: float = 0.01) -> tuple[float, float]:
    """(longest heartbeat lateness, wall time) while `work` runs."""
    worst = 0.0
    done = asyncio.Event()

    async def heartbeat() -> None:
        nonlocal worst
        loop = asyncio.get_running_loop()
        while not done.is_set():
            before = loop.time()
            await asyncio.sleep(tick_s)
            worst = max(worst, loop.time() - before - tick_s)

    beat = asyncio.create_task(heartbeat())
    await asyncio.sleep(tick_s)  # the heartbeat is ticking before the work begins (the baseline never yields)
    started = time.perf_counter()
    try:
        await work()
    finally:
        done.set()
        await beat
    return worst, time.perf_counter() - started


async def run(items: int) -> None:
    bodies = {"/feed.xml": big_feed(items, 0)}
    httpd = serve(bodies)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/feed.xml"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(db_path=Path(tmp) / "state.sqlite3", allow_nets=LOOPBACK,
                            allowed_ports=(httpd.server_address[1],), feed_read_articles=False)
        store = Store(settings.db_path)
        fetcher = SafeFetcher(FetchSettings(allow_nets=LOOPBACK, allowed_ports=settings.allowed_ports))
        core = Core(LibraryHolder(bundled_library_path()), store, settings)
        poller = FeedPoller(store, fetcher, core, settings)
        store.add_subscription("slack", "C1", url)
        first = await max_stall(lambda: poller.poll_once(force=True))  # primes: parse and record, no matching
        bodies["/feed.xml"] = big_feed(items, 1)
        second = await max_stall(lambda: poller.poll_once(force=True))  # every item new: parse, dedup, match

        body = big_feed(items, 2)

        async def on_the_loop() -> None:
            parsed = parse_feed(body, url=url)
            for item in parsed.items:
                await core.assessor.assess(item.match_text)

        baseline = await max_stall(on_the_loop)
        await fetcher.aclose()
        store.close()
    httpd.shutdown()
    print(f"feed of {items:,} items ({len(body) / 1e6:.1f} MB); max event-loop stall, and wall time:")
    print("| run | max loop stall | wall time |")
    print("|---|---|---|")
    print(f"| poller, first poll (parse, record) | {first[0] * 1000:,.0f} ms | {first[1]:.1f} s |")
    print(f"| poller, all items new (parse, dedup, match) | {second[0] * 1000:,.0f} ms | {second[1]:.1f} s |")
    print(f"| baseline: parse and match on the loop | {baseline[0] * 1000:,.0f} ms | {baseline[1]:.1f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=10_000)
    asyncio.run(run(parser.parse_args().items))


if __name__ == "__main__":
    main()
