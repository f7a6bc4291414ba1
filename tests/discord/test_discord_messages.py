"""Messages reach the bot through discord.py's own gateway dispatch; replies go out through the REST API."""

from __future__ import annotations

import asyncio

from bot.adapters.discord import NarrativeClient
from tests.discord.conftest import PageServer, propaganda
from tests.discord.fakediscord import BOT_USER, CHANNEL_ID, FakeDiscord, message_payload


async def settle(fake: FakeDiscord, seconds: float = 0.5) -> None:
    await asyncio.sleep(seconds)


async def test_link_to_propaganda_gets_one_reply_without_ping(
    client: NarrativeClient, fake: FakeDiscord, pages: PageServer
) -> None:
    payload = message_payload("900000000000000001", f"look at this {pages.url('/news/troops.html')}")
    await fake.outbox.put(("MESSAGE_CREATE", payload))
    posted = await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
    body = posted.json
    assert str(body["message_reference"]["message_id"]) == "900000000000000001"
    assert body["message_reference"]["fail_if_not_exists"] is False
    assert body["allowed_mentions"].get("replied_user", False) is False  # absent means no ping
    assert body["allowed_mentions"]["parse"] == []
    embed = body["embeds"][0]
    # "look at this" is English: the card is, though the article is Russian.
    title = client.app.library.library.get("troops-denial").title_in("en")  # type: ignore[union-attr]
    assert title in embed["title"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "Loopback News" in fields["Article"]
    assert "The facts" in fields and "Sources" in fields
    custom_ids = [c["custom_id"] for row in body["components"] for c in row["components"]]
    assert custom_ids == ["nb:fb:correct:troops-denial:en", "nb:fb:wrong:troops-denial:en"]  # the card's language

    # The same message again (a gateway replay) gets no second reply.
    await fake.outbox.put(("MESSAGE_CREATE", payload))
    await settle(fake)
    assert len(fake.calls("POST", "/channels/")) == 1


async def test_bare_propaganda_text_is_matched(client: NarrativeClient, fake: FakeDiscord) -> None:
    await fake.outbox.put(("MESSAGE_CREATE", message_payload("900000000000000002", propaganda())))
    posted = await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
    assert "Article" not in {f["name"] for f in posted.json["embeds"][0]["fields"]}
    assert str(posted.json["message_reference"]["message_id"]) == "900000000000000002"


async def test_bots_itself_and_chatter_are_ignored(client: NarrativeClient, fake: FakeDiscord) -> None:
    other_bot = {**BOT_USER, "id": "700000000000000099", "username": "other"}
    await fake.outbox.put(("MESSAGE_CREATE", message_payload("900000000000000003", propaganda(), author=BOT_USER)))
    await fake.outbox.put(("MESSAGE_CREATE", message_payload("900000000000000004", propaganda(), author=other_bot)))
    await fake.outbox.put(("MESSAGE_CREATE", message_payload("900000000000000005", "lol see thread")))
    unrelated = "The weather in Lisbon is lovely this week and the trams are running on time again."
    await fake.outbox.put(("MESSAGE_CREATE", message_payload("900000000000000006", unrelated)))
    await settle(fake, 1.0)
    assert fake.calls("POST", "/channels/") == []


async def test_unreadable_link_is_reported_in_content(
    client: NarrativeClient, fake: FakeDiscord, pages: PageServer
) -> None:
    await fake.outbox.put(("MESSAGE_CREATE", message_payload("900000000000000007", pages.url("/missing.html"))))
    posted = await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
    assert "⚠" in posted.json["content"]
    assert "embeds" not in posted.json or posted.json["embeds"] == []


async def test_failed_reply_is_released_so_a_replay_can_try_again(client: NarrativeClient, fake: FakeDiscord) -> None:
    payload = message_payload("900000000000000008", propaganda())
    fake.forbidden_channels.add(CHANNEL_ID)
    await fake.outbox.put(("MESSAGE_CREATE", payload))
    await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
    await settle(fake)
    fake.forbidden_channels.clear()
    fake.requests.clear()
    await fake.outbox.put(("MESSAGE_CREATE", payload))
    posted = await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
    assert posted.json["embeds"]
