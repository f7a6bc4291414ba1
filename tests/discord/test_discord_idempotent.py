"""Posting at most once on Discord: every post carries a nonce derived from its delivery key (enforce_nonce)."""

from __future__ import annotations

import pytest

from bot.adapters.discord import NarrativeClient, delivery_nonce
from bot.models import FeedAlert, FeedNotice, IncomingMessage
from tests.discord.conftest import propaganda
from tests.discord.fakediscord import CHANNEL_ID, FakeDiscord, message_payload
from tests.discord.test_discord_messages import settle
from tests.discord.test_discord_wiring import alert_verdict


async def test_an_alert_retried_after_a_lost_answer_is_posted_once(client: NarrativeClient, fake: FakeDiscord) -> None:
    alert = FeedAlert(5, "discord", CHANNEL_ID, alert_verdict())
    fake.drop_answers = 1  # created, but the bot never hears so: the poller keeps it pending and retries
    with pytest.raises(Exception):  # noqa: B017 - whatever aiohttp calls a dropped connection
        await client.alert_sender.send_alert(alert)
    await client.alert_sender.send_alert(alert)
    first, second = fake.calls("POST", f"/channels/{CHANNEL_ID}/messages")
    assert first.json["nonce"] == second.json["nonce"] == delivery_nonce("alert:5")
    assert first.json["enforce_nonce"] is True
    assert len(fake.created) == 1


async def test_notices_carry_their_own_nonce(client: NarrativeClient, fake: FakeDiscord) -> None:
    await client.alert_sender.send_notice(FeedNotice("discord", CHANNEL_ID, "digest", notice_id=4))
    await client.alert_sender.send_notice(FeedNotice("discord", CHANNEL_ID, "digest", notice_id=4))
    await client.alert_sender.send_notice(FeedNotice("discord", CHANNEL_ID, "digest", notice_id=6))
    assert len(fake.created) == 2
    assert len(delivery_nonce("notice:4")) <= 25  # Discord's limit for a nonce


async def test_a_replayed_message_after_a_released_reply_is_answered_once(
    client: NarrativeClient, fake: FakeDiscord
) -> None:
    payload = message_payload("900000000000000021", propaganda())
    await fake.outbox.put(("MESSAGE_CREATE", payload))
    posted = await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
    incoming = IncomingMessage("discord", CHANNEL_ID, "900000000000000021", propaganda())
    assert posted.json["nonce"] == delivery_nonce(incoming.reply_key)
    # The reply was posted but the bot believed it failed, so the claim was let go and a replay is handled again.
    client.app.core.reply_failed(incoming)
    await fake.outbox.put(("MESSAGE_CREATE", payload))
    await settle(fake, 1.0)
    assert len(fake.calls("POST", f"/channels/{CHANNEL_ID}/messages")) == 2
    assert len(fake.created) == 1
