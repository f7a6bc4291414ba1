"""Three replica processes on one PostgreSQL database, 200 loopback feeds whose items change over four rounds, and
one replica killed with SIGKILL in the middle of a poll. At the end every matching item was posted exactly once,
and no feed was fetched by two replicas at the same time, from the replicas' own record of who fetched what when
and from the feed server's record of its requests."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store
from tests.conftest import ROOT
from tests.feeds.helpers import Answer, FeedServer, Item, propaganda_texts, rss

FEEDS = 200
ROUNDS = 3  # after the first (silent) poll; each adds one matching and one neutral item to every feed
REPLICAS = ("r0", "r1", "r2")
VICTIM = "r1"
SPEED = 60.0  # the replicas' clock: the 120 s poll floor is 2 s
LEASE = 240.0  # 4 s of wall clock
PROPAGANDA = propaganda_texts()


def _items(server: FeedServer, feed: int, upto: int) -> list[Item]:
    items = [Item(f"n-{feed}-0", f"Wire {feed}", "The Bank of Russia kept its key rate unchanged on Friday.",
                  link=server.url(f"/news/{feed}/n0"), pubdate=1_700_000_000)]
    for r in range(1, upto + 1):
        _, text = PROPAGANDA[(feed + r) % len(PROPAGANDA)]
        items.append(Item(f"p-{feed}-{r}", f"Report {feed}.{r}", text, link=server.url(f"/news/{feed}/p{r}"),
                          pubdate=1_700_000_000 + 10 * r))
        items.append(Item(f"n-{feed}-{r}", f"Weather {feed}.{r}", "Heavy snow closed two runways on Tuesday.",
                          link=server.url(f"/news/{feed}/n{r}"), pubdate=1_700_000_001 + 10 * r))
    return list(reversed(items))


def _serve_round(server: FeedServer, r: int) -> float:
    for feed in range(FEEDS):
        # A little latency, so that polls are in flight whenever the victim is killed.
        server.answers[f"/feed/{feed}.xml"] = Answer(body=rss(_items(server, feed, r)), delay_s=0.01)
    return time.time()


def _wait(condition: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _all_fetched_since(server: FeedServer, since: float) -> bool:
    done = {r.path for r in list(server.requests) if r.started_at >= since and r.ended_at is not None}
    return all(f"/feed/{feed}.xml" in done for feed in range(FEEDS))


def _leases(store: Store, owner: str) -> int:
    return int(store.query("SELECT COUNT(*) FROM feeds WHERE lease_owner = ?", (owner,))[0][0])


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line] if path.exists() else []


@pytest.fixture
def replicas(tmp_path: Path, postgres_dsn: str, feed_server: FeedServer) -> Iterator[dict[str, subprocess.Popen[str]]]:
    store = Store(postgres_dsn)
    for feed in range(FEEDS):
        store.add_subscription("console", "console", feed_server.url(f"/feed/{feed}.xml"))
    store.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "NARRATIVE_BOT_"))}
    env.update(NARRATIVE_BOT_SEMANTIC="off", LOG_LEVEL="warning")
    epoch = time.time()
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "tests.feeds.replica", "--name", name, "--db", postgres_dsn,
             "--port", str(feed_server.port), "--records", str(tmp_path), "--epoch", str(epoch),
             "--speed", str(SPEED), "--lease", str(LEASE)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"stderr-{name}.log", "w"),  # noqa: SIM115
            text=True,
        )
        for name in REPLICAS
    }
    try:
        yield procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_three_replicas_one_killed_post_every_matching_item_once(
    tmp_path: Path, postgres_dsn: str, feed_server: FeedServer, replicas: dict[str, subprocess.Popen[str]]
) -> None:
    _wait(lambda: all((tmp_path / f"ready-{n}").exists() for n in REPLICAS), 60, "the replicas to start")
    switched = _serve_round(feed_server, 0)
    _wait(lambda: _all_fetched_since(feed_server, switched), 30, "the first (silent) round")
    killed_at = None
    for r in range(1, ROUNDS + 1):
        switched = _serve_round(feed_server, r)
        if r == 2:
            # Kill the victim while it holds feed leases, i.e. in the middle of its polls.
            store = Store(postgres_dsn)
            try:
                _wait(lambda db=store: _leases(db, VICTIM) > 0, 20, f"{VICTIM} to lease feeds")
                replicas[VICTIM].send_signal(signal.SIGKILL)
                killed_at = time.time()
                replicas[VICTIM].wait(10)
                orphaned = _leases(store, VICTIM)
            finally:
                store.close()
            assert orphaned > 0, "the victim died holding leases"
        _wait(lambda since=switched: _all_fetched_since(feed_server, since), 40, f"round {r} to be fetched")
    expected = FEEDS * ROUNDS
    channel = tmp_path / "channel.jsonl"
    _wait(lambda: len(_lines(channel)) >= expected, 30, f"{expected} alerts")
    time.sleep(1.0)  # a repeat would show up here
    for name, proc in replicas.items():
        if name != VICTIM:  # alive all along, and they stop cleanly when asked (their last fetches end)
            assert proc.poll() is None, (tmp_path / f"stderr-{name}.log").read_text()[-2000:]
            proc.terminate()
    for name, proc in replicas.items():
        if name != VICTIM:
            assert proc.wait(30) == 0, (tmp_path / f"stderr-{name}.log").read_text()[-2000:]

    # Every matching item posted exactly once, nothing else posted.
    posts = _lines(channel)
    items = Counter(str(p["item"]) for p in posts)
    wanted = {feed_server.url(f"/news/{feed}/p{r}") for feed in range(FEEDS) for r in range(1, ROUNDS + 1)}
    assert set(items) == wanted
    assert [i for i, n in items.items() if n != 1] == []
    assert len({p["key"] for p in posts}) == len(posts) == expected

    # Who fetched what when: no feed in the hands of two replicas at once. A fetch the victim never finished ends
    # when it was killed.
    spans: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for name in REPLICAS:
        open_starts: dict[str, float] = {}
        for rec in _lines(tmp_path / f"fetches-{name}.jsonl"):
            url, t = str(rec["url"]), float(rec["t"])  # type: ignore[arg-type]
            if rec["event"] == "start":
                assert url not in open_starts, f"{name} fetched {url} twice at once"
                open_starts[url] = t
            else:
                spans[url].append((open_starts.pop(url), t, name))
        for url, start in open_starts.items():
            assert name == VICTIM and killed_at is not None
            spans[url].append((start, killed_at, name))
    assert len(spans) == FEEDS
    for url, intervals in spans.items():
        intervals.sort()
        for (_, end, who), (start, _, other) in itertools.pairwise(intervals):
            assert start >= end, f"{url}: fetched by {who} and {other} at the same time"
    workers = Counter(who for intervals in spans.values() for _, _, who in intervals)
    assert set(workers) == set(REPLICAS), workers  # all three took a share

    # The feed server's own record agrees: no two requests for one feed overlapped.
    by_path: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for req in feed_server.requests:
        by_path[req.path].append((req.started_at, req.ended_at if req.ended_at is not None else float("inf")))
    for path, reqs in by_path.items():
        reqs.sort()
        assert all(b[0] >= a[1] for a, b in itertools.pairwise(reqs)), path
