"""A feed alert is posted once even when the process dies while Slack is answering the post (the fake Web API)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import ChannelPacer, SlackAlertSender, SlackPoster
from bot.feed_store import FeedStore
from tests.feeds.conftest import RigFactory
from tests.feeds.helpers import FakeClock, FeedServer, RecordingSender, rss
from tests.feeds.test_poller import bad_item, neutral_items
from tests.slack.fakeslack import BOT_TOKEN, FakeSlackApi


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    fake = await FakeSlackApi().start()
    yield fake
    await fake.stop()


def _sender(api: FakeSlackApi) -> SlackAlertSender:
    return SlackAlertSender(SlackPoster(AsyncWebClient(token=BOT_TOKEN, base_url=api.url), ChannelPacer(0)))


async def _pending_alert(make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock) -> int:
    rig = make_rig()
    url = feed_server.url("/feed.xml")
    rig.store.add_subscription("slack", "C1", url)
    feed_server.serve_feed("/feed.xml", rss(neutral_items(feed_server)))
    await rig.poller.poll_once()
    feed_server.serve_feed("/feed.xml", rss([bad_item(feed_server, 2), *neutral_items(feed_server)]))
    clock.advance(601)
    (result,) = await rig.poller.poll_once()
    (alert,) = result.alerts
    return alert.alert_id


async def test_a_kill_during_a_slow_post_does_not_post_it_again_after_restart(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock, slack: FakeSlackApi
) -> None:
    alert_id = await _pending_alert(make_rig, feed_server, clock)
    killed = make_rig()
    slack.slow_answers["chat.postMessage"] = [3.0]
    delivering = asyncio.create_task(killed.poller.deliver(_sender(slack)))
    async with asyncio.timeout(10):
        while not slack.channel_messages.get("C1"):
            await asyncio.sleep(0.02)
    # Slack has posted it; the process dies before the answer arrives (nothing of ours runs after a SIGKILL,
    # and a cancelled task runs no `except Exception` either).
    delivering.cancel()
    with pytest.raises(asyncio.CancelledError):
        await delivering

    restarted = make_rig()
    clock.advance(60)
    assert await restarted.poller.deliver(_sender(slack)) == 1  # found, and marked posted
    assert len(slack.posts_carrying(f"alert:{alert_id}")) == 1
    assert slack.calls_to("conversations.history")
    assert FeedStore(restarted.store).counts() == {"posted": 1}
    assert await restarted.poller.deliver(_sender(slack)) == 0


async def test_the_first_attempt_time_is_kept_across_failed_attempts(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    await _pending_alert(make_rig, feed_server, clock)
    rig = make_rig()
    sender = RecordingSender("slack")
    sender.failing = True
    first_try = clock()
    await rig.poller.deliver(sender)
    clock.advance(3600)
    sender.failing = False
    assert await rig.poller.deliver(sender) == 1
    (alert,) = sender.alerts
    # The window to search starts at the first attempt: a later one may have failed after an earlier one posted.
    assert alert.attempted_at == first_try
