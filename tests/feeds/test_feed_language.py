"""Feed alerts in the reader's language: the item's own language, or the channel's when it has one."""

from __future__ import annotations

from bot.feed_store import disabled_notice, more_items_notice
from tests.feeds.conftest import RigFactory
from tests.feeds.helpers import FakeClock, FeedServer, RecordingSender, rss
from tests.feeds.test_poller import PROPAGANDA, bad_item, neutral_items


async def test_each_channel_gets_the_card_in_its_language(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    languages = {("slack", "C-uk"): "uk"}  # C-plain has no language: the item's own (Russian) is used
    rig = make_rig(channel_language=lambda platform, channel: languages.get((platform, channel)))
    url = feed_server.url("/feed.xml")
    rig.store.add_subscription("slack", "C-uk", url)
    rig.store.add_subscription("slack", "C-plain", url)
    feed_server.serve_feed("/feed.xml", rss(neutral_items(feed_server)))
    await rig.poller.poll_once()  # the first poll records what is there
    feed_server.serve_feed("/feed.xml", rss([bad_item(feed_server, 1), *neutral_items(feed_server)]))
    clock.advance(601)
    await rig.poller.poll_once()
    sender = RecordingSender("slack")
    assert await rig.poller.deliver(sender) == 2
    by_channel = {alert.channel_id: alert.verdict for alert in sender.alerts}
    narrative_id, _ = PROPAGANDA[1]
    narrative = rig.core.library.library.get(narrative_id)
    assert narrative is not None
    assert by_channel["C-uk"].language == "uk" and by_channel["C-uk"].top.title == narrative.title_in("uk")
    assert by_channel["C-uk"].top.debunk == narrative.debunk_in("uk")
    assert by_channel["C-plain"].language == "ru" and by_channel["C-plain"].top.title == narrative.title_in("ru")
    # The same evidence and sources in both: one match, two languages.
    assert by_channel["C-uk"].top.evidence == by_channel["C-plain"].top.evidence
    assert by_channel["C-uk"].top.sources == by_channel["C-plain"].top.sources


async def test_the_line_for_items_beyond_those_posted_is_in_the_channels_language(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    languages = {("slack", "C-uk"): "uk", ("slack", "C-ru"): "ru"}  # C-plain has no language: English
    rig = make_rig(max_posts_per_poll=1, channel_language=lambda platform, channel: languages.get((platform, channel)))
    url = feed_server.url("/feed.xml")
    for channel in ("C-uk", "C-ru", "C-plain"):
        rig.store.add_subscription("slack", channel, url)
    feed_server.serve_feed("/feed.xml", rss(neutral_items(feed_server)))
    await rig.poller.poll_once()
    feed_server.serve_feed("/feed.xml", rss([bad_item(feed_server, n) for n in range(3)] + neutral_items(feed_server)))
    clock.advance(601)
    await rig.poller.poll_once()
    sender = RecordingSender("slack")
    assert await rig.poller.deliver(sender) == 6  # one card and one line per channel
    lines = {notice.channel_id: notice.text for notice in sender.notices}
    assert lines == {
        "C-uk": f"…і ще збігів зі стрічки «Test Wire» ({url}): 2",
        "C-ru": f"…и ещё совпадений из ленты «Test Wire» ({url}): 2",
        "C-plain": f"…and 2 more matching items from Test Wire ({url})",
    }


def test_the_line_for_items_beyond_those_posted_without_a_feed_title() -> None:
    url = "https://wire.example/rss"
    assert more_items_notice(None, url, 1) == f"…and 1 more matching item from {url}"
    assert more_items_notice(None, url, 21, "uk") == f"…і ще збігів зі стрічки {url}: 21"
    assert more_items_notice("Wire", url, 5, "ru") == f"…и ещё совпадений из ленты «Wire» ({url}): 5"


def test_the_disabled_feed_notice_names_the_feed_once_and_ends_its_reason_once() -> None:
    url = "https://wire.example/rss"
    error = "http_error: I can't read that link: the site answered HTTP 503 (server error)."
    assert disabled_notice("Wire", url, 10, error) == (
        f"Stopped watching Wire ({url}) after 10 failed attempts in a row (last: http_error: I can't read that link: "
        "the site answered HTTP 503 (server error)). Remove it and add it again to retry."
    )
    assert disabled_notice(None, url, 1, "timeout: the site took too long.").startswith(
        f"Stopped watching {url} after 1 failed attempt in a row (last: timeout: the site took too long). "
    )
    russian = disabled_notice("Wire", url, 5, error, "ru")
    assert russian.startswith(f"Канал больше не следит за лентой «Wire» ({url}) после 5 неудачных попыток подряд")
    assert ".)" not in russian
