"""A poll that runs out of time for matching, or for reading articles, records what it did and leaves the rest for
the next poll."""

from __future__ import annotations

import asyncio

from bot.feed_store import FeedStore
from bot.feeds import BACKLOG_RETRY_S
from tests.feeds.conftest import Rig, RigFactory
from tests.feeds.helpers import Answer, FakeClock, FeedServer, Item, RecordingSender, propaganda_texts, rss
from tests.feeds.test_poller import ARTICLE, neutral_items


def _backlog(feed_server: FeedServer, count: int) -> list[Item]:
    texts = propaganda_texts()
    return [
        Item(f"b{i}", f"Backlog {i}", texts[i * 7 % len(texts)][1], link=feed_server.url(f"/b/{i}"), pubdate=1.7e9 + i)
        for i in range(count)
    ]


async def _subscribed_and_primed(rig: Rig, feed_server: FeedServer, path: str) -> str:
    """A feed of neutral items at `path`, subscribed in one channel and polled once (recorded silently)."""
    url = feed_server.url(path)
    rig.store.add_subscription("slack", "C1", url)
    feed_server.serve_feed(path, rss(neutral_items(feed_server)), ETag='"v1"')
    await rig.poller.poll_once()
    return url


async def test_a_backlog_is_worked_off_over_several_polls_oldest_first_with_nothing_lost_or_doubled(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    # No time for matching at all: each poll matches the one item it must, and leaves the others.
    rig = make_rig(assess_budget_s=0.0, max_posts_per_poll=10)
    url = await _subscribed_and_primed(rig, feed_server, "/backlog.xml")
    backlog = _backlog(feed_server, 4)
    feed_server.serve_feed("/backlog.xml", rss(backlog), ETag='"v2"')
    feeds = FeedStore(rig.store)

    results = []
    for left in (3, 2, 1, 0):
        clock.advance(601)
        (result,) = await rig.poller.poll_once()
        results.append(result)
        # A success, not a failure: the feed keeps no failure count and no error.
        assert result.error is None and result.deferred == left and result.new_items == 1
        state = feeds.state(url)
        assert state is not None and state.failures == 0 and state.last_error is None
        if left:
            # Due again soon, and fetched whole: the stored validators would get a 304 and hide the backlog.
            assert state.next_poll_at - clock.now == BACKLOG_RETRY_S
            assert state.etag is None
        else:
            assert state.etag == '"v2"' and state.next_poll_at - clock.now > BACKLOG_RETRY_S
    polls = feed_server.hits("/backlog.xml")[1:]
    assert [r.headers.get("if-none-match") for r in polls] == ['"v1"', None, None, None]

    sender = RecordingSender("slack")
    assert await rig.poller.deliver(sender) == 4
    titles = [a.verdict.article.title for a in sender.alerts if a.verdict.article]
    assert titles == ["Backlog 0", "Backlog 1", "Backlog 2", "Backlog 3"]  # oldest first, each once

    clock.advance(601)
    (after,) = await rig.poller.poll_once()  # validators are back: the unchanged feed answers 304
    assert after.not_modified and after.deferred == 0
    assert await rig.poller.deliver(sender) == 0


async def test_a_poll_with_time_to_spare_matches_every_new_item_at_once(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig(max_posts_per_poll=10)  # the default budget: half the lease
    url = await _subscribed_and_primed(rig, feed_server, "/calm.xml")
    feed_server.serve_feed("/calm.xml", rss(_backlog(feed_server, 4)), ETag='"v2"')
    clock.advance(601)
    (result,) = await rig.poller.poll_once()
    assert result.deferred == 0 and result.new_items == 4 and result.alerts_created == 4
    state = FeedStore(rig.store).state(url)
    assert state is not None and state.etag == '"v2"'


async def test_article_reads_still_running_late_in_the_lease_are_stopped_and_their_items_read_at_the_next_poll(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    # A 4 s lease: reads stop 2.8 s into the poll, the poll itself would be cut off at 3.2 s.
    rig = make_rig(feed_lease_s=4.0, max_posts_per_poll=10)
    url = await _subscribed_and_primed(rig, feed_server, "/teasers.xml")
    (_, fast_text), (_, slow_text) = propaganda_texts()[0], propaganda_texts()[7]
    for path, title, text, delay in (("/a/fast", "Fast", fast_text, 0.0), ("/a/slow", "Slow", slow_text, 3.5)):
        page = ARTICLE.format(title=title, text=text).encode("utf-8")
        feed_server.answers[path] = Answer(body=page, content_type="text/html; charset=utf-8", delay_s=delay)
    teasers = [
        Item(name, name, "Читайте репортаж нашего корреспондента.", link=feed_server.url(f"/a/{name.lower()}"),
             pubdate=1.7e9 + i)
        for i, name in enumerate(("Fast", "Slow"))
    ]
    feed_server.serve_feed("/teasers.xml", rss(teasers), ETag='"v2"')
    feeds = FeedStore(rig.store)

    clock.advance(601)
    (first,) = await rig.poller.poll_once()
    # A success that says what it left, not a cut-off poll that loses its work.
    assert first.error is None and first.deferred == 1 and first.alerts_created == 1
    state = feeds.state(url)
    assert state is not None and state.failures == 0 and state.etag is None
    assert state.next_poll_at - clock.now == BACKLOG_RETRY_S

    # The stopped read's fetch goes on in the reader (one fetch per URL, shared), and its article is cached.
    for _ in range(200):
        if feed_server.hits("/a/slow")[0].ended_at is not None:
            break
        await asyncio.sleep(0.05)
    clock.advance(BACKLOG_RETRY_S)
    (second,) = await rig.poller.poll_once()
    assert second.error is None and second.deferred == 0 and second.alerts_created == 1
    sender = RecordingSender("slack")
    assert await rig.poller.deliver(sender) == 2
    assert [a.verdict.article.title for a in sender.alerts if a.verdict.article] == ["Fast", "Slow"]
    # Each page fetched once: the fast item was recorded by the first poll, the slow one's fetch was not lost.
    assert len(feed_server.hits("/a/fast")) == 1 and len(feed_server.hits("/a/slow")) == 1
