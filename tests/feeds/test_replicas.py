"""Replicas on one database share the feed work: each due feed is leased by one poller, a dead poller's lease runs
out, a URL costs one fetch whatever its subscribers, one replica delivers at a time. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from bot.feed_store import FeedStore, LeaseLost
from bot.models import FeedAlert, FeedNotice
from bot.store import Store
from tests.feeds.conftest import RigFactory
from tests.feeds.helpers import Answer, FakeClock, FeedServer, RecordingSender, rss
from tests.feeds.test_poller import bad_item, neutral_items

SLOW_S = 0.05


def _serve(feed_server: FeedServer, paths: list[str], *, matching: bool = False, delay_s: float = SLOW_S) -> None:
    for n, path in enumerate(paths):
        items = ([bad_item(feed_server, n)] if matching else []) + neutral_items(feed_server)
        feed_server.answers[path] = Answer(body=rss(items), delay_s=delay_s)


async def test_two_replicas_poll_each_due_feed_once(make_rig: RigFactory, feed_server: FeedServer) -> None:
    first, second = make_rig(lease_batch=3), make_rig(lease_batch=3)
    paths = [f"/wire/{n}.xml" for n in range(12)]
    for path in paths:
        first.store.add_subscription("console", "console", feed_server.url(path))
    _serve(feed_server, paths)
    a, b = await asyncio.gather(first.poller.poll_once(), second.poller.poll_once())
    assert {r.url for r in a}.isdisjoint({r.url for r in b})
    assert a and b, "both replicas took a share"
    assert sorted(r.url for r in [*a, *b]) == sorted(feed_server.url(p) for p in paths)
    assert all(len(feed_server.hits(p)) == 1 for p in paths)
    # Nothing is due any more, for either of them; the leases were handed back with the schedule.
    assert await first.poller.poll_once() == [] and await second.poller.poll_once() == []
    assert all(FeedStore(first.store).lease_holder(feed_server.url(p)) == (None, None) for p in paths)


async def test_many_subscriptions_to_one_url_cost_one_fetch_per_poll(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    first, second = make_rig(), make_rig()
    url = feed_server.url("/shared.xml")
    for platform, channel in [("slack", "C1"), ("slack", "C2"), ("discord", "9"), ("console", "console")]:
        first.store.add_subscription(platform, channel, url)
    _serve(feed_server, ["/shared.xml"])
    await asyncio.gather(first.poller.poll_once(), second.poller.poll_once())
    assert len(feed_server.hits("/shared.xml")) == 1
    _serve(feed_server, ["/shared.xml"], matching=True)
    clock.advance(601)
    results = [*await first.poller.poll_once(), *await second.poller.poll_once()]
    assert len(feed_server.hits("/shared.xml")) == 2
    (result,) = results
    assert sorted((a.platform, a.channel_id) for a in result.alerts) == [
        ("console", "console"), ("discord", "9"), ("slack", "C1"), ("slack", "C2")
    ]


async def test_a_dead_replicas_lease_runs_out_and_another_polls_the_feed(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/feed.xml")
    rig.store.add_subscription("console", "console", url)
    _serve(feed_server, ["/feed.xml"], delay_s=0)
    feeds = FeedStore(rig.store)
    feeds.sync_feeds(clock())
    (leased,) = feeds.lease_due("dead-replica", now=clock(), lease_s=rig.poller.lease_s)
    assert leased.url == url and feeds.lease_holder(url)[0] == "dead-replica"
    assert await rig.poller.poll_once() == []  # held by the replica that died
    assert feed_server.hits("/feed.xml") == []
    clock.advance(rig.poller.lease_s)
    (result,) = await rig.poller.poll_once()
    assert result.first_poll and len(feed_server.hits("/feed.xml")) == 1
    # The dead replica, were it only slow, finds its lease gone and records nothing over the new holder's poll.
    with pytest.raises(LeaseLost):
        feeds.record_success(url, now=clock(), title="late", etag=None, last_modified=None, next_poll_at=0,
                             item_keys=[("id", "late")], lease_owner="dead-replica")
    with pytest.raises(LeaseLost):
        feeds.record_failure(url, now=clock(), error="late", backoff_s=lambda n: 1.0, max_failures=3,
                             disabled_notice="", lease_owner="dead-replica")
    state = feeds.state(url)
    assert state is not None and state.title != "late" and state.failures == 0 and state.next_poll_at > clock()
    assert feeds.seen(url, [("id", "late")]) == set()


def test_feeds_leased_at_the_same_moment_are_disjoint(state_location: Path | str) -> None:
    """Eight pollers lease from one table at once, each with its own connection: no feed is handed out twice."""
    setup = Store(state_location)
    for n in range(200):
        setup.add_subscription("console", "console", f"https://wire.example/{n}.xml")
    FeedStore(setup).sync_feeds(0.0)
    setup.close()
    stores = [Store(state_location) for _ in range(8)]
    taken: dict[str, list[str]] = {}
    barrier = threading.Barrier(len(stores))

    def lease(n: int) -> None:
        barrier.wait()
        feeds = FeedStore(stores[n])
        while batch := feeds.lease_due(f"replica-{n}", now=1.0, lease_s=60.0, limit=7):
            taken[f"replica-{n}"] = taken.get(f"replica-{n}", []) + [s.url for s in batch]
            time.sleep(0.005)  # a poll's worth of pause: the others get their turns

    threads = [threading.Thread(target=lease, args=(n,)) for n in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for store in stores:
        store.close()
    urls = [url for batch in taken.values() for url in batch]
    assert len(urls) == len(set(urls)) == 200
    assert len(taken) > 1


class SlowSender(RecordingSender):
    """Posts take a while, so two replicas' delivery rounds overlap."""

    async def send_alert(self, alert: FeedAlert) -> None:
        await asyncio.sleep(0.05)
        await super().send_alert(alert)

    async def send_notice(self, notice: FeedNotice) -> None:
        await asyncio.sleep(0.05)
        await super().send_notice(notice)


async def test_one_replica_delivers_at_a_time_and_each_alert_once(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    first, second = make_rig(), make_rig()
    paths = [f"/wire/{n}.xml" for n in range(4)]
    for path in paths:
        first.store.add_subscription("slack", "C1", feed_server.url(path))
    _serve(feed_server, paths, delay_s=0)
    await first.poller.poll_once()
    _serve(feed_server, paths, matching=True, delay_s=0)
    clock.advance(601)
    await first.poller.poll_once()
    assert FeedStore(first.store).counts() == {"pending": 4}
    sender = SlowSender("slack")
    posted = await asyncio.gather(first.poller.deliver(sender), second.poller.deliver(sender))
    assert sorted(posted) == [0, 4]  # the second found the delivery lease held
    assert sorted(a.alert_id for a in sender.alerts) == sorted(set(a.alert_id for a in sender.alerts))
    assert len(sender.alerts) == 4 and FeedStore(first.store).counts() == {"posted": 4}
    assert await second.poller.deliver(sender) == 0  # released: it may deliver, and finds nothing left


def test_chat_claims_are_atomic_across_connections(state_location: Path | str) -> None:
    """Sixteen connections claim one event and one message at once (two replicas receiving one Slack retry)."""
    stores = [Store(state_location) for _ in range(16)]
    barrier = threading.Barrier(len(stores))
    wins: list[tuple[bool, bool]] = []

    def claim(store: Store) -> None:
        barrier.wait()
        wins.append((store.claim_event("slack", "Ev42"), store.claim_message("slack", "C1", "171.2")))

    threads = [threading.Thread(target=claim, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for store in stores:
        store.close()
    assert len(wins) == 16
    assert sum(event for event, _ in wins) == 1 and sum(message for _, message in wins) == 1


async def test_a_feed_due_again_within_one_call_leaves_no_lease_behind(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    """A long round (or a fast clock): feeds polled early in a call are due again before it ends. Every leased feed
    is polled and handed back, and the call ends once the round has gone full circle."""
    rig = make_rig(lease_batch=2)
    paths = [f"/wire/{n}.xml" for n in range(3)]
    for path in paths:
        rig.store.add_subscription("console", "console", feed_server.url(path))
    _serve(feed_server, paths, delay_s=0)

    def ticking() -> float:
        clock.advance(700)  # more than the poll interval at every reading
        return clock()

    rig.poller.clock = ticking
    results = await rig.poller.poll_once()
    assert {r.url for r in results} == {feed_server.url(p) for p in paths}
    feeds = FeedStore(rig.store)
    assert [feeds.lease_holder(feed_server.url(p)) for p in paths] == [(None, None)] * 3


async def test_a_restart_takes_back_the_leases_of_its_killed_predecessor(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    """One process on SQLite, killed mid-poll and started again, need not wait for its old leases to expire; a
    lease of a live process, or of another host, waits."""
    import os
    import socket
    import subprocess
    import sys

    rig = make_rig()
    paths = ["/a.xml", "/b.xml", "/c.xml", "/d.xml"]
    for path in paths:
        rig.store.add_subscription("console", "console", feed_server.url(path))
    _serve(feed_server, paths, delay_s=0)
    feeds = FeedStore(rig.store)
    feeds.sync_feeds(clock())
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)  # a process that has exited
    host = socket.gethostname()
    owners = [
        f"{host}:{dead_pid}:0a0a0a",  # exited
        f"{host}:{os.getppid()}:0b0b0b",  # alive (the test runner's parent)
        f"elsewhere:{dead_pid}:0c0c0c",  # another host: its lease expiry decides
        f"{host}:{os.getpid()}:0d0d0d",  # this pid, no poller of this process: a predecessor (pid 1 in a container)
    ]
    for owner in owners:
        feeds.lease_due(owner, now=clock(), lease_s=rig.poller.lease_s, limit=1)
    assert feeds.take_lease("deliver:console", owners[0], now=clock(), lease_s=rig.poller.lease_s)
    results = await rig.poller.poll_once()
    assert sorted(r.url for r in results) == [feed_server.url("/a.xml"), feed_server.url("/d.xml")]  # at once
    assert [feeds.lease_holder(feed_server.url(p))[0] for p in paths] == [None, owners[1], owners[2], None]
    assert await rig.poller.deliver(RecordingSender("console")) == 0  # the delivery lease was taken back too
    assert feeds.take_lease("deliver:console", "someone", now=clock(), lease_s=1)
