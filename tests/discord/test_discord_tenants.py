"""Discord servers as tenants: rows keyed by the guild, older rows handed to their server, the sharded client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest

from bot.adapters.discord import NarrativeClient, build_discord_client
from bot.app import App, build_app
from bot.config import ConfigError, load_settings
from tests.discord.conftest import PageServer, propaganda, settings_for
from tests.discord.fakediscord import CHANNEL_ID, GUILD_ID, FakeDiscord, message_payload

ELSEWHERE = "700000000000000777"  # a channel of no server the bot is in


@contextlib.asynccontextmanager
async def connected(app: App) -> AsyncIterator[NarrativeClient]:
    """The client NARRATIVE_BOT_DISCORD_SHARDS asks for, logged in to the fake and ready."""
    bot = build_discord_client(app)
    await bot.login("test-token")
    task = asyncio.create_task(bot.connect(reconnect=False))
    try:
        ready = asyncio.create_task(bot.wait_until_ready())
        await asyncio.wait({ready, task}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
        assert ready.done(), "the client never became ready"
        yield bot
    finally:
        await bot.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def test_rows_from_before_servers_were_told_apart_go_to_their_server(
    tmp_path: Path, fake: FakeDiscord, pages: PageServer
) -> None:
    async with build_app(settings_for(tmp_path, fake, pages)) as app:
        app.store.add_subscription("discord", CHANNEL_ID, "https://wire.example/rss")
        app.store.add_subscription("discord", ELSEWHERE, "https://wire.example/rss")
        app.core.channels.change("discord", CHANNEL_ID, ["mute", "troops-denial"], "editor")
        async with connected(app) as client:
            subs = {(s.channel_id, s.tenant) for s in app.store.subscriptions("discord")}
            assert subs == {(CHANNEL_ID, GUILD_ID), (ELSEWHERE, "")}
            policy = app.core.channels.policy("discord", CHANNEL_ID, tenant=GUILD_ID)
            assert policy.muted == {"troops-denial"}
            # The setting applies to the server's messages again: the muted narrative gets no answer.
            await fake.outbox.put(("MESSAGE_CREATE", message_payload("900000000000000101", propaganda())))
            await asyncio.sleep(1.0)
            assert fake.calls("POST", f"/channels/{CHANNEL_ID}/messages") == []
            assert client.adopt_legacy_rows(client.guilds) == 0  # a second time: nothing left to move


async def test_the_sharded_client_serves_the_server_with_its_own_rows(
    tmp_path: Path, fake: FakeDiscord, pages: PageServer
) -> None:
    async with (
        build_app(settings_for(tmp_path, fake, pages, discord_shards="auto")) as app,
        connected(app) as client,
    ):
        assert isinstance(client, discord.AutoShardedClient)
        assert client.shard_count == 1  # Discord's (the fake's) recommendation
        await fake.outbox.put(("MESSAGE_CREATE", message_payload("900000000000000102", propaganda())))
        await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
        for _ in range(50):
            if app.core.history.recent("discord", CHANNEL_ID, tenant=GUILD_ID):
                break
            await asyncio.sleep(0.1)
        (record,) = app.core.history.recent("discord", CHANNEL_ID, tenant=GUILD_ID)
        assert record.workspace_id == GUILD_ID
        assert app.core.history.recent("discord", CHANNEL_ID) == []  # not the '' tenant's


def test_a_fixed_shard_count_builds_the_sharded_client(tmp_path: Path, fake: FakeDiscord, pages: PageServer) -> None:
    sharded = build_app(settings_for(tmp_path, fake, pages, discord_shards=3))
    unsharded = build_app(settings_for(tmp_path / "plain", fake, pages))
    try:
        client = build_discord_client(sharded)
        assert isinstance(client, discord.AutoShardedClient) and client.shard_count == 3
        assert not isinstance(build_discord_client(unsharded), discord.AutoShardedClient)
    finally:
        sharded.store.close()
        unsharded.store.close()


@pytest.mark.parametrize(("raw", "expected"), [("auto", "auto"), ("AUTO", "auto"), ("4", 4)])
def test_the_shards_setting(raw: str, expected: object) -> None:
    assert load_settings({"NARRATIVE_BOT_DISCORD_SHARDS": raw}).discord_shards == expected


@pytest.mark.parametrize("raw", ["0", "many", "-2"])
def test_a_bad_shards_setting_is_refused_by_name(raw: str) -> None:
    with pytest.raises(ConfigError, match="NARRATIVE_BOT_DISCORD_SHARDS"):
        load_settings({"NARRATIVE_BOT_DISCORD_SHARDS": raw})
