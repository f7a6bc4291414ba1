"""Dedup never merges items whose guid, link and text all differ (issue 11, item 4)."""

from __future__ import annotations

from tests.feeds.conftest import RigFactory
from tests.feeds.helpers import NEUTRAL_TEXTS, FakeClock, FeedServer, Item, RecordingSender, propaganda_texts, rss


async def test_items_sharing_a_title_are_each_alerted(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/wire.xml")
    rig.store.add_subscription("slack", "C1", url)
    first = [Item("n0", "Новости", NEUTRAL_TEXTS[0], link=feed_server.url("/news/n0"))]
    feed_server.serve_feed("/wire.xml", rss(first))
    await rig.poller.poll_once()
    texts = [text for _, text in propaganda_texts()[:2]]
    later = [Item(f"p{i}", "Новости", text, link=feed_server.url(f"/news/p{i}")) for i, text in enumerate(texts)]
    feed_server.serve_feed("/wire.xml", rss([*later, *first]))
    clock.advance(601)
    (result,) = await rig.poller.poll_once()
    assert result.new_items == 2 and result.alerts_created == 2
    sender = RecordingSender("slack")
    assert await rig.poller.deliver(sender) == 2


async def test_items_without_guid_or_link_sharing_a_title_are_each_seen(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/bare.xml")
    rig.store.add_subscription("slack", "C1", url)
    feed_server.serve_feed("/bare.xml", rss([Item(None, "Новости", NEUTRAL_TEXTS[0])]))
    await rig.poller.poll_once()
    _, text = propaganda_texts()[3]
    feed_server.serve_feed("/bare.xml", rss([Item(None, "Новости", text), Item(None, "Новости", NEUTRAL_TEXTS[0])]))
    clock.advance(601)
    (result,) = await rig.poller.poll_once()
    assert result.new_items == 1 and result.alerts_created == 1
