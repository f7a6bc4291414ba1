"""FeedPoller against a loopback server: first poll silent, alerts once, dedup across restarts and guid changes."""

from __future__ import annotations

import asyncio

import pytest

from bot.feed_store import FeedStore
from tests.feeds.conftest import RigFactory
from tests.feeds.helpers import (
    NEUTRAL_TEXTS,
    Answer,
    FakeClock,
    FeedServer,
    Item,
    RecordingSender,
    propaganda_texts,
    rss,
)

PROPAGANDA = propaganda_texts()


def neutral_items(server: FeedServer) -> list[Item]:
    return [
        Item(f"n{i}", f"Neutral {i}", text, link=server.url(f"/news/n{i}"), pubdate=1_700_000_000 + i)
        for i, text in enumerate(NEUTRAL_TEXTS)
    ]


def bad_item(server: FeedServer, n: int = 0, **overrides: object) -> Item:
    _, text = PROPAGANDA[n % len(PROPAGANDA)]
    fields: dict[str, object] = dict(
        guid=f"p{n}", title=f"Report {n}", text=text, link=server.url(f"/news/p{n}"), pubdate=1_700_100_000 + n
    )
    fields.update(overrides)
    return Item(**fields)  # type: ignore[arg-type]


async def test_first_poll_silent_then_new_matching_item_alerted_once(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/feed.xml")
    rig.store.add_subscription("slack", "C1", url)
    sender = RecordingSender("slack")
    # Already in the feed when subscribed, propaganda included: recorded silently.
    feed_server.serve_feed("/feed.xml", rss([bad_item(feed_server, 0), *neutral_items(feed_server)]))
    (first,) = await rig.poller.poll_once()
    assert first.first_poll and first.alerts == () and first.error is None
    assert await rig.poller.deliver(sender) == 0

    feed_server.serve_feed("/feed.xml", rss([bad_item(feed_server, 1), bad_item(feed_server, 0), *neutral_items(feed_server)]))
    clock.advance(601)
    (second,) = await rig.poller.poll_once()
    assert second.new_items == 1 and second.alerts_created == 1
    assert await rig.poller.deliver(sender) == 1
    (alert,) = sender.alerts
    expected_narrative, _ = PROPAGANDA[1]
    assert alert.verdict.top.narrative_id == expected_narrative
    assert (alert.platform, alert.channel_id) == ("slack", "C1")
    assert alert.alert_id == second.alerts[0].alert_id > 0
    assert alert.verdict.feed is not None and alert.verdict.feed.url == url and alert.verdict.feed.title == "Test Wire"
    article = alert.verdict.article
    assert article is not None
    assert (article.url, article.title, article.site) == (feed_server.url("/news/p1"), "Report 1", "Test Wire")
    assert article.published is not None and article.published.startswith("2023-11-")

    clock.advance(601)
    (third,) = await rig.poller.poll_once()
    assert third.new_items == 0 and third.alerts == ()
    assert await rig.poller.deliver(sender) == 0
    assert len(sender.alerts) == 1


async def test_restart_posts_nothing_again(make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock) -> None:
    url = feed_server.url("/feed.xml")
    first = make_rig()
    first.store.add_subscription("slack", "C1", url)
    feed_server.serve_feed("/feed.xml", rss(neutral_items(feed_server)))
    await first.poller.poll_once()
    feed_server.serve_feed("/feed.xml", rss([bad_item(feed_server, 2), *neutral_items(feed_server)]))
    clock.advance(601)
    await first.poller.poll_once()
    sender = RecordingSender("slack")
    assert await first.poller.deliver(sender) == 1

    # A new process: new Store and FeedPoller over the same database file.
    second = make_rig()
    results = await second.poller.poll_once(force=True)
    assert [r.alerts for r in results] == [()]
    assert await second.poller.deliver(sender) == 0
    assert len(sender.alerts) == 1


async def test_alert_recorded_before_posting_survives_a_crash(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    url = feed_server.url("/feed.xml")
    crashed = make_rig()
    crashed.store.add_subscription("slack", "C1", url)
    feed_server.serve_feed("/feed.xml", rss(neutral_items(feed_server)))
    await crashed.poller.poll_once()
    feed_server.serve_feed("/feed.xml", rss([bad_item(feed_server, 3), *neutral_items(feed_server)]))
    clock.advance(601)
    (result,) = await crashed.poller.poll_once()
    assert result.alerts_created == 1
    # The process dies before delivering: the alert is pending in the database, not lost.
    restarted = make_rig()
    await restarted.poller.poll_once(force=True)
    sender = RecordingSender("slack")
    assert await restarted.poller.deliver(sender) == 1
    assert await restarted.poller.deliver(sender) == 0
    assert [a.alert_id for a in sender.alerts] == [result.alerts[0].alert_id]


async def test_guid_change_posts_nothing(make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock) -> None:
    rig = make_rig()
    url = feed_server.url("/feed.xml")
    rig.store.add_subscription("slack", "C1", url)
    feed_server.serve_feed("/feed.xml", rss([bad_item(feed_server, 4), bad_item(feed_server, 5)]))
    await rig.poller.poll_once()
    # The CMS re-issued guids: one item keeps its link, the other its title (with a new link).
    republished = [
        bad_item(feed_server, 4, guid="new-guid-4"),
        bad_item(feed_server, 5, guid="new-guid-5", link=feed_server.url("/news/moved-5?utm_source=rss")),
    ]
    feed_server.serve_feed("/feed.xml", rss(republished))
    clock.advance(601)
    (result,) = await rig.poller.poll_once()
    assert result.new_items == 0 and result.alerts == ()
    assert await rig.poller.deliver(RecordingSender("slack")) == 0


async def test_not_modified_keeps_state_and_schedule(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/feed.xml")
    rig.store.add_subscription("slack", "C1", url)
    lm = "Wed, 19 Jun 2024 10:00:00 GMT"
    feed_server.serve_feed("/feed.xml", rss(neutral_items(feed_server)), ETag='"v1"', Last_Modified=lm)
    await rig.poller.poll_once()
    # Not due yet: no request at all.
    assert await rig.poller.poll_once() == []
    assert len(feed_server.hits("/feed.xml")) == 1

    clock.advance(601)
    (result,) = await rig.poller.poll_once()
    assert result.not_modified and result.error is None
    conditional = feed_server.hits("/feed.xml")[-1].headers
    assert conditional["if-none-match"] == '"v1"' and conditional["if-modified-since"] == lm
    state = FeedStore(rig.store).state(url)
    assert state is not None and state.etag == '"v1"' and state.failures == 0
    assert state.next_poll_at == clock.now + 600

    feed_server.serve_feed("/feed.xml", rss([bad_item(feed_server, 6), *neutral_items(feed_server)]), ETag='"v2"')
    clock.advance(601)
    (changed,) = await rig.poller.poll_once()
    assert changed.alerts_created == 1


async def test_alerts_go_to_every_subscribed_channel_on_its_own_platform(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/feed.xml")
    for platform, channel in (("slack", "C1"), ("slack", "C2"), ("discord", "42")):
        rig.store.add_subscription(platform, channel, url)
    feed_server.serve_feed("/feed.xml", rss(neutral_items(feed_server)))
    await rig.poller.poll_once()
    feed_server.serve_feed("/feed.xml", rss([bad_item(feed_server, 7), *neutral_items(feed_server)]))
    clock.advance(601)
    (result,) = await rig.poller.poll_once()
    assert result.alerts_created == 3
    slack, discord = RecordingSender("slack"), RecordingSender("discord")
    assert await rig.poller.deliver(slack) == 2
    assert await rig.poller.deliver(discord) == 1
    assert sorted(a.channel_id for a in slack.alerts) == ["C1", "C2"]
    assert [a.channel_id for a in discord.alerts] == ["42"]


async def test_failed_post_is_retried_later_not_dropped(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/feed.xml")
    rig.store.add_subscription("slack", "C1", url)
    feed_server.serve_feed("/feed.xml", rss(neutral_items(feed_server)))
    await rig.poller.poll_once()
    feed_server.serve_feed("/feed.xml", rss([bad_item(feed_server, 8), bad_item(feed_server, 9)]))
    clock.advance(601)
    await rig.poller.poll_once()
    sender = RecordingSender("slack")
    sender.failing = True
    assert await rig.poller.deliver(sender) == 0
    assert sender.attempts == 1  # the channel's later alert waits, so order is kept
    sender.failing = False
    assert await rig.poller.deliver(sender) == 0  # not before the retry delay
    clock.advance(31)
    assert await rig.poller.deliver(sender) == 2
    assert [a.verdict.article.title for a in sender.alerts if a.verdict.article] == ["Report 8", "Report 9"]


async def test_unsubscribed_channel_gets_no_pending_alerts(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/feed.xml")
    rig.store.add_subscription("slack", "C1", url)
    feed_server.serve_feed("/feed.xml", rss(neutral_items(feed_server)))
    await rig.poller.poll_once()
    feed_server.serve_feed("/feed.xml", rss([bad_item(feed_server, 10), *neutral_items(feed_server)]))
    clock.advance(601)
    await rig.poller.poll_once()
    rig.store.remove_subscription("slack", "C1", url)
    assert await rig.poller.deliver(RecordingSender("slack")) == 0
    assert FeedStore(rig.store).counts(url) == {"cancelled": 1}


ARTICLE = """<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:site_name" content="Вести Тест"></head><body><header><nav>Главная | Политика</nav></header>
<article><h1>{title}</h1>
<p>Корреспондент нашего издания побывал на Дальнем Востоке и поговорил с участниками встречи.</p>
<p>{text}</p>
<p>По словам собеседников, переговоры продолжались несколько часов и завершились подписанием документов.</p>
<p>Подробности соглашения стороны обещали раскрыть позднее, после ратификации в парламентах обеих стран.</p>
</article><footer>© Вести Тест</footer></body></html>"""


async def test_short_summary_reads_the_linked_article(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/feed.xml")
    rig.store.add_subscription("slack", "C1", url)
    feed_server.serve_feed("/feed.xml", rss(neutral_items(feed_server)))
    await rig.poller.poll_once()
    narrative, text = PROPAGANDA[0]
    page = ARTICLE.format(title="Встреча на Восточном", text=text).encode("utf-8")
    feed_server.answers["/news/long"] = Answer(body=page, content_type="text/html; charset=utf-8")
    teaser = Item("long", "Встреча на Восточном", "Читайте репортаж нашего корреспондента.",
                  link=feed_server.url("/news/long"))
    feed_server.serve_feed("/feed.xml", rss([teaser, *neutral_items(feed_server)]))
    clock.advance(601)
    (result,) = await rig.poller.poll_once()
    assert result.alerts_created == 1
    verdict = result.alerts[0].verdict
    assert verdict.top.narrative_id == narrative
    assert verdict.article is not None and verdict.article.url == feed_server.url("/news/long")
    assert verdict.article.site == "Test Wire"
    assert len(feed_server.hits("/news/long")) == 1


async def test_reading_articles_can_be_switched_off(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig(feed_read_articles=False)
    url = feed_server.url("/feed.xml")
    rig.store.add_subscription("slack", "C1", url)
    feed_server.serve_feed("/feed.xml", rss(neutral_items(feed_server)))
    await rig.poller.poll_once()
    feed_server.serve_feed("/feed.xml", rss([Item("t", "Teaser", "Short.", link=feed_server.url("/news/x"))]))
    clock.advance(601)
    (result,) = await rig.poller.poll_once()
    assert result.new_items == 1 and result.alerts == ()
    assert feed_server.hits("/news/x") == []


def tg_page(posts: list[tuple[int, str]]) -> bytes:
    wraps = "".join(
        f"""<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message js-widget_message"
        data-post="voenkor_daily/{pid}"><div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>
        <a class="tgme_widget_message_date" href="https://t.me/voenkor_daily/{pid}">
        <time datetime="2024-06-19T0{pid % 10}:00:00+00:00" class="time">x</time></a></div></div>"""
        for pid, text in posts
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><meta property="og:title" content="Военкор Daily">'
        f'</head><body><section class="tgme_channel_history js-message_history">{wraps}</section></body></html>'
    ).encode()


async def test_telegram_channel_preview_polled_like_a_feed(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/s/voenkor_daily")
    rig.store.add_subscription("discord", "42", url)
    posts = [(1, NEUTRAL_TEXTS[0]), (2, NEUTRAL_TEXTS[1])]
    feed_server.answers["/s/voenkor_daily"] = Answer(body=tg_page(posts), content_type="text/html; charset=utf-8")
    (first,) = await rig.poller.poll_once()
    assert first.first_poll and first.error is None
    _, text = PROPAGANDA[5]
    posts.append((3, text))
    feed_server.answers["/s/voenkor_daily"] = Answer(body=tg_page(posts), content_type="text/html; charset=utf-8")
    clock.advance(601)
    (result,) = await rig.poller.poll_once()
    assert result.new_items == 1 and result.alerts_created == 1
    verdict = result.alerts[0].verdict
    assert verdict.article is not None and verdict.article.url == "https://t.me/voenkor_daily/3"
    assert verdict.feed is not None and verdict.feed.title == "Военкор Daily"


async def test_run_polls_and_delivers_until_stopped(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/feed.xml")
    rig.store.add_subscription("slack", "C1", url)
    feed_server.serve_feed("/feed.xml", rss(neutral_items(feed_server)))
    await rig.poller.poll_once()
    feed_server.serve_feed("/feed.xml", rss([bad_item(feed_server, 11), *neutral_items(feed_server)]))
    clock.advance(601)
    sender = RecordingSender("slack")
    stop = asyncio.Event()
    task = asyncio.create_task(rig.poller.run(sender, stop=stop, tick_s=0.01))
    for _ in range(500):
        if sender.alerts:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert len(sender.alerts) == 1


@pytest.mark.parametrize("n", [0, len(PROPAGANDA) - 1])
def test_library_examples_are_available(n: int) -> None:
    # The propaganda texts come from the shipped library; a library without examples would make these tests vacuous.
    assert PROPAGANDA[n][1].strip()
