"""Politeness and resilience: backoff on a fake clock, disabling with a notice, flood control, malformed feeds."""

from __future__ import annotations

import pytest

from bot.feed_parse import MAX_INTERVAL_S, MIN_INTERVAL_S, poll_interval_s
from bot.feed_store import FeedStore
from bot.feeds import backoff_s
from bot.models import CommandRequest
from tests.feeds.conftest import RigFactory
from tests.feeds.helpers import FIXTURES, Answer, FakeClock, FeedServer, Item, RecordingSender, propaganda_texts, rss
from tests.feeds.test_poller import bad_item, neutral_items


async def test_failing_feed_backs_off_then_is_disabled_with_a_notice(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/broken.xml")
    rig.store.add_subscription("slack", "C1", url)
    rig.store.add_subscription("slack", "C2", url)
    rig.core.channels.change("slack", "C2", ["language", "uk"], "U1")  # its notice is in Ukrainian
    feed_server.answers["/broken.xml"] = Answer(500, b"oops", "text/plain")
    feeds = FeedStore(rig.store)
    delays = []
    for attempt in range(1, 10):
        (result,) = await rig.poller.poll_once()
        assert result.error is not None and result.error.startswith("http_error")
        state = feeds.state(url)
        assert state is not None and state.failures == attempt and not state.disabled
        delays.append(state.next_poll_at - clock.now)
        # Not due again before the backoff has passed: no request.
        clock.advance(delays[-1] - 1)
        assert await rig.poller.poll_once() == []
        clock.advance(1)
    assert delays[:4] == [300, 600, 1200, 2400]
    assert delays == [backoff_s(n) for n in range(1, 10)] and max(delays) <= 12 * 3600
    assert len(feed_server.hits("/broken.xml")) == 9

    (last,) = await rig.poller.poll_once()
    assert last.disabled and {n.channel_id for n in last.notices} == {"C1", "C2"}
    assert await rig.poller.poll_once(force=True) == []  # disabled: not even --force polls it
    assert len(feed_server.hits("/broken.xml")) == 10
    sender = RecordingSender("slack")
    assert await rig.poller.deliver(sender) == 2
    notices = {n.channel_id: n.text for n in sender.notices}
    # With no feed title the URL is named once, and the stored error's own full stop is not doubled.
    assert notices["C1"] == (
        f"Stopped watching {url} after 10 failed attempts in a row (last: http_error: I can't read that link: the "
        "site answered HTTP 500 (internal server error)). Remove it and add it again to retry."
    )
    assert notices["C2"] == (
        f"Канал більше не стежить за стрічкою {url} після 10 невдалих спроб поспіль (остання помилка: http_error — "
        "сайт відповів помилкою). Щоб спробувати знову, видаліть її й додайте ще раз."
    )
    assert {n.channel_id: n.text for n in last.notices} == notices  # what the poll reported is what was posted
    listed = await rig.core.handle_command(CommandRequest("slack", "C1", "/narrative feeds list"))
    assert url in listed.text and "disabled after 10 failures" in listed.text


async def test_force_ignores_backoff_and_success_resets_failures(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/flaky.xml")
    rig.store.add_subscription("slack", "C1", url)
    feed_server.answers["/flaky.xml"] = Answer(503, b"busy", "text/plain")
    await rig.poller.poll_once()
    feed_server.serve_feed("/flaky.xml", rss(neutral_items(feed_server)))
    assert await rig.poller.poll_once() == []
    (result,) = await rig.poller.poll_once(force=True)
    assert result.error is None and result.first_poll
    state = FeedStore(rig.store).state(url)
    assert state is not None and state.failures == 0 and state.last_error is None


async def test_one_broken_feed_never_stops_the_others(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    good, garbage, html, missing = (feed_server.url(p) for p in ("/good.xml", "/garbage.xml", "/page.xml", "/gone"))
    for url in (good, garbage, html, missing):
        rig.store.add_subscription("slack", "C1", url)
    feed_server.serve_feed("/good.xml", rss(neutral_items(feed_server)))
    feed_server.serve_feed("/garbage.xml", (FIXTURES / "garbage.xml").read_bytes())
    feed_server.answers["/page.xml"] = Answer(body=(FIXTURES / "not_a_feed.html").read_bytes(), content_type="text/html")
    await rig.poller.poll_once()
    feed_server.serve_feed("/good.xml", rss([bad_item(feed_server, 12), *neutral_items(feed_server)]))
    clock.advance(601)
    results = {r.url: r for r in await rig.poller.poll_once()}
    assert results[good].alerts_created == 1 and results[good].error is None
    # The malformed feeds are reported (and count as failures) and skipped.
    errors = {url: results[url].error or "" for url in (garbage, html, missing)}
    assert errors[garbage].startswith("malformed_feed") and errors[html].startswith("malformed_feed")
    assert "404" in errors[missing]
    assert FeedStore(rig.store).state(garbage).failures == 2  # type: ignore[union-attr]


async def test_five_hundred_new_items_produce_a_bounded_number_of_posts(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig(max_posts_per_poll=3)
    url = feed_server.url("/flood.xml")
    rig.store.add_subscription("slack", "C1", url)
    rig.store.add_subscription("slack", "C2", url)
    feed_server.serve_feed("/flood.xml", rss(neutral_items(feed_server)))
    await rig.poller.poll_once()
    texts = propaganda_texts()
    flood = [
        Item(f"f{i}", f"Flood {i}", texts[i % len(texts)][1], link=feed_server.url(f"/f/{i}"), pubdate=1.7e9 + i)
        for i in range(500)
    ]
    feed_server.serve_feed("/flood.xml", rss(flood))
    clock.advance(601)
    (result,) = await rig.poller.poll_once()
    assert result.new_items == 500
    assert result.alerts_created == 6  # 3 per channel
    sender = RecordingSender("slack")
    assert await rig.poller.deliver(sender) == 8  # 3 alerts + 1 digest line per channel
    assert [a.verdict.article.title for a in sender.alerts if a.verdict.article][:3] == ["Flood 0", "Flood 1", "Flood 2"]
    (digest, _) = sender.notices
    more = int(digest.text.split("and ", 1)[1].split(" ", 1)[0])
    assert 0 < more <= 497 and "Test Wire" in digest.text
    # Oldest first, and none of the linked articles was fetched: their summaries were long enough or matched.
    assert len([r for r in feed_server.requests if r.path.startswith("/f/")]) <= 10
    clock.advance(601)
    (again,) = await rig.poller.poll_once()
    assert again.new_items == 0 and again.alerts == ()


async def test_requests_per_host_are_bounded(make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock) -> None:
    rig = make_rig(requests_per_host=2)
    for i in range(6):
        rig.store.add_subscription("slack", "C1", feed_server.url(f"/feed{i}.xml"))
        feed_server.answers[f"/feed{i}.xml"] = Answer(body=rss(neutral_items(feed_server)), delay_s=0.1)
    results = await rig.poller.poll_once()
    assert len(results) == 6 and all(r.error is None for r in results)
    assert feed_server.peak == 2


@pytest.mark.parametrize(
    ("headers", "ttl", "expected"),
    [
        ({}, None, 600),
        ({"cache-control": "public, max-age=60"}, None, 600),  # a shorter hint never makes us poll faster
        ({"cache-control": "max-age=1800"}, None, 1800),
        ({}, 60 * 60.0, 3600),
        ({"retry-after": "7200"}, None, 7200),
        ({"cache-control": "max-age=604800"}, None, MAX_INTERVAL_S),
    ],
)
def test_poll_interval_honours_server_hints_within_bounds(
    headers: dict[str, str], ttl: float | None, expected: float
) -> None:
    assert poll_interval_s(600, headers, ttl, now=0) == expected


def test_poll_interval_lower_bound() -> None:
    assert poll_interval_s(10, {}, None, now=0) == MIN_INTERVAL_S


async def test_ttl_in_the_feed_sets_the_next_poll(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/ttl.xml")
    rig.store.add_subscription("slack", "C1", url)
    feed_server.serve_feed("/ttl.xml", rss(neutral_items(feed_server), ttl=60))
    await rig.poller.poll_once()
    state = FeedStore(rig.store).state(url)
    assert state is not None and state.next_poll_at == clock.now + 3600


async def test_retry_after_on_an_error_answer_is_honoured(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/busy.xml")
    rig.store.add_subscription("slack", "C1", url)
    feed_server.answers["/busy.xml"] = Answer(503, b"busy", "text/plain", headers={"Retry-After": "7200"})
    (result,) = await rig.poller.poll_once()
    assert result.error is not None and "503" in result.error
    state = FeedStore(rig.store).state(url)
    assert state is not None and state.next_poll_at - clock.now == 7200  # not the 300 s backoff
    clock.advance(7199)
    assert await rig.poller.poll_once() == []
    feed_server.answers["/busy.xml"] = Answer(429, b"slow down", "text/plain", headers={"Retry-After": "999999"})
    clock.advance(1)
    await rig.poller.poll_once()
    state = FeedStore(rig.store).state(url)
    assert state is not None and state.next_poll_at - clock.now == MAX_INTERVAL_S  # bounded
