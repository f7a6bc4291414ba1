"""Feed polling throughput of whole replica processes: SQLite with one replica, PostgreSQL with one and three.

Run: python bench/bench_replicas.py [--feeds 1000] [--rounds 2]

PostgreSQL: NARRATIVE_BOT_TEST_POSTGRES=postgresql://… names a server to create a scratch database on; without it
the script starts a throwaway cluster with .ci/postgres.sh (the server binaries must be installed).

The feeds (10 items each) are served on loopback from ten addresses, 127.0.0.1 to 127.0.0.10, so that the poller's
two-requests-per-host politeness limit applies as it would to ten real hosts. Each replica is the real poll loop
(tests/feeds/replica.py: fetch, parse, match with the lexical stage, record, deliver to a file) in its own process,
with a clock fast enough that every feed is always due: the figures are what the replicas can do, not what the
schedule asks. After a first round (every item new, recorded silently), each measured round gives every feed one new
matching item; a round lasts from the change until every feed has been fetched since, and feeds/s is feeds over
that time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.store import Store  # noqa: E402
from tests.feeds.helpers import Item, propaganda_texts, rss  # noqa: E402
from tests.postgres import fresh_database, postgres_server  # noqa: E402

HOSTS = 10
SPEED = 1000.0  # the replicas' clock: the 120 s poll floor passes in 0.12 s
LEASE_S = 300.0 * SPEED  # five real minutes: no poll here comes near it


class Feeds:
    """What every path answers, and when each path was last fetched completely."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.done: dict[str, float] = {}  # path -> end of its latest fetch
        self.lock = threading.Lock()


def _handler(feeds: Feeds) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = feeds.bodies.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            with feeds.lock:
                feeds.done[self.path] = time.time()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextlib.contextmanager
def servers(feeds: Feeds) -> Iterator[int]:
    """One server per loopback address, all on one port; the port."""
    first = ThreadingHTTPServer(("127.0.0.1", 0), _handler(feeds))
    port = first.server_address[1]
    running = [first] + [ThreadingHTTPServer((f"127.0.0.{n}", port), _handler(feeds)) for n in range(2, HOSTS + 1)]
    for httpd in running:
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield port
    finally:
        for httpd in running:
            httpd.shutdown()
            httpd.server_close()


def feed_url(port: int, n: int) -> str:
    return f"http://127.0.0.{n % HOSTS + 1}:{port}/feed/{n}.xml"


def serve_round(feeds: Feeds, count: int, generation: int) -> float:
    texts = propaganda_texts()
    for n in range(count):
        # Ten items: neutral ones, then one more matching item (and one neutral fewer) per round.
        items = [
            Item(f"n{n}-{i}", f"Wire {n}.{i}", "The Bank of Russia kept its key rate unchanged on Friday.",
                 link=f"https://wire.example/{n}/n{i}", pubdate=1_700_000_000 + i)
            for i in range(10 - generation)
        ]
        items += [
            Item(f"p{n}-{g}", f"Report {n}.{g}", texts[(n + g) % len(texts)][1],
                 link=f"https://wire.example/{n}/p{g}", pubdate=1_700_001_000 + g)
            for g in range(1, generation + 1)
        ]
        feeds.bodies[f"/feed/{n}.xml"] = rss(reversed(items))
    return time.time()


def wait_round(feeds: Feeds, count: int, since: float, timeout_s: float = 600.0) -> float:
    """Seconds from `since` until every feed was fetched after it."""
    deadline = time.monotonic() + timeout_s
    while True:
        with feeds.lock:
            ends = [feeds.done.get(f"/feed/{n}.xml", 0.0) for n in range(count)]
        if all(end > since for end in ends):
            return max(ends) - since
        if time.monotonic() > deadline:
            raise SystemExit(f"a round did not finish within {timeout_s:g} s")
        time.sleep(0.05)


def run_config(db: str, replicas: int, count: int, rounds: int, records: Path) -> list[float]:
    feeds = Feeds()
    with servers(feeds) as port:
        store = Store(db)
        for n in range(count):
            store.add_subscription("console", "console", feed_url(port, n))
        store.close()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "NARRATIVE_BOT_"))}
        env.update(NARRATIVE_BOT_SEMANTIC="off", LOG_LEVEL="warning")
        epoch = time.time()
        serve_round(feeds, count, 0)
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.feeds.replica", "--name", f"r{i}", "--db", db, "--port", str(port),
                 "--records", str(records), "--epoch", str(epoch), "--speed", str(SPEED), "--lease", str(LEASE_S),
                 "--tick", "0.05"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(records / f"stderr-r{i}.log", "w"),  # noqa: SIM115
            )
            for i in range(replicas)
        ]
        try:
            wait_round(feeds, count, epoch)  # the first, silent round (and the start-up)
            return [wait_round(feeds, count, serve_round(feeds, count, g)) for g in range(1, rounds + 1)]
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    rows: list[tuple[str, int, float]] = []
    with postgres_server() as admin:
        for backend, replicas in (("SQLite", 1), ("PostgreSQL", 1), ("PostgreSQL", 3)):
            scratch = Path(tempfile.mkdtemp(prefix="narrative-bench-"))
            try:
                if backend == "SQLite":
                    times = run_config(str(scratch / "state.sqlite3"), replicas, args.feeds, args.rounds, scratch)
                else:
                    if admin is None:
                        raise SystemExit("no PostgreSQL: set NARRATIVE_BOT_TEST_POSTGRES or install the server")
                    with fresh_database(admin) as dsn:
                        times = run_config(dsn, replicas, args.feeds, args.rounds, scratch)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            per_round = sum(times) / len(times)
            rows.append((backend, replicas, per_round))
            print(f"  {backend}, {replicas} replica(s): rounds of {', '.join(f'{t:.1f}' for t in times)} s",
                  file=sys.stderr)
    print(f"\n{args.feeds} loopback feeds, {os.cpu_count()} cores\n")
    print("| state | replicas | feeds/s | seconds per full round |")
    print("|---|---|---|---|")
    for backend, replicas, per_round in rows:
        print(f"| {backend} | {replicas} | {args.feeds / per_round:.0f} | {per_round:.1f} |")


if __name__ == "__main__":
    main()
