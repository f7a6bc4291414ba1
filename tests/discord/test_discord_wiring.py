"""Feed alerts, the feed poller's start, command sync to one guild, and the gateway address setting."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.adapters.discord import NarrativeClient, build_discord_client
from bot.app import build_app
from bot.models import ArticleRef, FeedAlert, FeedNotice, FeedRef, Finding, SourceLink, Verdict
from bot.ports import AlertSender
from tests.discord.conftest import PageServer, settings_for
from tests.discord.fakediscord import APP_ID, CHANNEL_ID, GUILD_ID, FakeDiscord


def alert_verdict() -> Verdict:
    finding = Finding(
        "troops-denial",
        "Troops are a fake",
        88,
        "alert",
        "никаких корейцев нет",
        "m",
        "Both governments later admitted the deployment.",
        (SourceLink("Source", "https://example.org/s"),),
    )
    return Verdict(
        (finding,),
        ArticleRef("https://news.example/a", "Headline", "news.example"),
        FeedRef("https://f.example/rss", "Feed"),
    )


async def test_feed_alerts_post_the_same_card_to_the_subscribed_channel(
    client: NarrativeClient, fake: FakeDiscord
) -> None:
    sender: AlertSender = client.alert_sender
    await sender.send_alert(FeedAlert(1, "discord", CHANNEL_ID, alert_verdict()))
    await sender.send_notice(FeedNotice("discord", CHANNEL_ID, "Feed https://f.example/rss disabled @everyone"))
    alert, notice = fake.calls("POST", f"/channels/{CHANNEL_ID}/messages")
    assert alert.json["embeds"][0]["title"] == "Known narrative: Troops are a fake"
    assert {f["name"] for f in alert.json["embeds"][0]["fields"]} >= {"Article", "Feed", "The facts", "Sources"}
    assert "message_reference" not in alert.json
    assert "nb:fb:correct:troops-denial" in str(alert.json["components"])
    assert notice.json["allowed_mentions"]["parse"] == []


async def test_a_failed_alert_raises_so_the_poller_retries(client: NarrativeClient, fake: FakeDiscord) -> None:
    fake.forbidden_channels.add(CHANNEL_ID)
    try:
        await client.alert_sender.send_alert(FeedAlert(1, "discord", CHANNEL_ID, alert_verdict()))
    except Exception as exc:
        assert "Missing Permissions" in str(exc)
    else:
        raise AssertionError("send_alert must raise when Discord refuses the post")


class RecordingPoller:
    def __init__(self) -> None:
        self.senders: list[object] = []
        self.started = asyncio.Event()

    async def run(self, sender: object) -> None:
        self.senders.append(sender)
        self.started.set()
        await asyncio.Event().wait()


async def test_the_feed_poller_starts_once_when_ready(client: NarrativeClient) -> None:
    poller = RecordingPoller()
    if client.poller_task is not None:  # the app's own poller, started on ready: swap in the recording one
        client.poller_task.cancel()
        client.poller_task = None
    client.app.feed_poller = poller  # type: ignore[assignment,attr-defined]
    client.start_feed_polling()
    client.start_feed_polling()  # on_ready again after a reconnect
    await asyncio.wait_for(poller.started.wait(), 5)
    await asyncio.sleep(0)
    assert poller.senders == [client.alert_sender]


async def test_commands_sync_to_one_guild_and_gateway_setting_wins(
    tmp_path: Path, fake: FakeDiscord, pages: PageServer
) -> None:
    settings = settings_for(
        tmp_path, fake, pages, discord_guild_id=int(GUILD_ID), discord_gateway_url="ws://127.0.0.1:9/elsewhere"
    )
    async with build_app(settings) as app:
        bot = build_discord_client(app)
        try:
            await bot.login("test-token")
        finally:
            await bot.close()
    assert fake.calls("PUT", f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    assert not [c for c in fake.calls("PUT", "/applications/") if "/guilds/" not in c.path]
    assert not fake.calls("GET", "/gateway/bot")  # DISCORD_GATEWAY_URL given: no need to ask
    assert str(bot.gateway_url) == "ws://127.0.0.1:9/elsewhere"
