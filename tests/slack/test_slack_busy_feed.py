"""A chat event is answered within Slack's 3 s while the bot parses and matches a 10,000-item feed."""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from slack_bolt.app.async_server import AsyncSlackAppServer

from tests.feeds.helpers import NEUTRAL_TEXTS, Item, propaganda_texts, rss
from tests.slack.conftest import SlackRig
from tests.slack.fakeslack import message_event, signed_headers

ITEMS = 10_000
ACK_BOUND_S = 3.0  # Slack re-sends an event it has no answer to within 3 s
EVENTS = 3


def big_feed(count: int) -> bytes:
    texts = [text for _, text in propaganda_texts()] + list(NEUTRAL_TEXTS) * 10
    return rss(
        Item(f"g{i}", f"Report {i}", f"{texts[i % len(texts)]} ({i})", link=f"https://wire.example/{i}")
        for i in range(count)
    )


@pytest.fixture
async def events_url(rig: SlackRig) -> AsyncIterator[str]:
    """The bot's HTTP-mode endpoint on loopback, as Slack reaches it."""
    server = AsyncSlackAppServer(port=0, path="/slack/events", app=rig.bolt)
    runner = web.AppRunner(server.web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    await runner.cleanup()


async def heartbeat(worst: list[float], tick_s: float = 0.02) -> None:
    """Wakes every 20 ms and keeps in `worst[0]` how late it woke at worst: the longest the loop was unavailable."""
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(tick_s)
        worst[0] = max(worst[0], loop.time() - before - tick_s)


@dataclass
class SlackSide:
    """Slack, in a thread of its own: it sends events on its own schedule and times each answer, whatever the
    bot's event loop is doing (a test coroutine could not even start its clock while the loop is blocked)."""

    url: str
    text: str
    answered_at: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def run(self) -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, never a proxy
        for n in range(EVENTS):
            time.sleep(1.5)  # into the parse, then the matching
            body = message_event(self.text, event_id=f"EvBusy{n}", ts=f"1712345678.00{n}900")
            headers = {k: str(v) for k, v in signed_headers(body, "application/json").items()}
            request = urllib.request.Request(self.url, data=body.encode(), headers=headers, method="POST")
            started = time.monotonic()
            with opener.open(request, timeout=120) as response:
                self.statuses.append(response.status)
            self.answered_at.append(time.monotonic())
            self.latencies.append(self.answered_at[-1] - started)


async def test_events_are_acknowledged_within_3s_while_a_10000_item_feed_is_processed(
    rig: SlackRig, events_url: str
) -> None:
    path = "/big.xml"
    rig.pages.types[path] = "application/rss+xml"
    rig.pages.pages[path] = rss([Item("g-first", "Only item", NEUTRAL_TEXTS[0])])
    rig.app.store.add_subscription("slack", "C9", rig.pages.url(path))
    poller = rig.app.feed_poller
    (first,) = await poller.poll_once(force=True)  # a small first poll: every big-feed item below is new
    assert first.first_poll
    rig.pages.pages[path] = big_feed(ITEMS)

    slack = SlackSide(events_url, propaganda_texts()[0][1])
    sender = threading.Thread(target=slack.run, daemon=True)
    sender.start()
    stall = [0.0]
    beat = asyncio.create_task(heartbeat(stall))
    try:
        # process_before_response: Bolt answers the HTTP request once the event is handled and the reply posted.
        (result,) = await asyncio.wait_for(poller.poll_once(force=True), 300)
        polled_at = time.monotonic()
        await asyncio.to_thread(sender.join, 120)
    finally:
        beat.cancel()
    assert stall[0] < ACK_BOUND_S, f"the event loop stalled for {stall[0]:.1f} s"  # generous: about 0.1 s here

    assert slack.statuses == [200] * EVENTS
    assert max(slack.latencies) < ACK_BOUND_S, f"events took {slack.latencies} s to answer"
    assert max(slack.answered_at) < polled_at, "the feed was done before the events: the test measured nothing"
    assert len(rig.api.calls_to("chat.postMessage")) == EVENTS  # each event got its reply
    assert result.error is None and result.new_items == ITEMS
    assert 0 < result.alerts_created <= 3  # the rest is one digest line
