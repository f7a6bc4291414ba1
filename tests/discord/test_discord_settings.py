"""Channel settings on Discord: feed alerts in threads, who may change settings, and the shown settings."""

from __future__ import annotations

from typing import Any

from bot.adapters.discord import CHECK_MENU, NarrativeClient, delivery_nonce
from bot.models import FeedAlert
from tests.discord.conftest import PageServer, propaganda
from tests.discord.fakediscord import APP_ID, CHANNEL_ID, GUILD_ID, FakeDiscord, message_payload
from tests.discord.test_discord_interactions import EDITOR_PERMISSIONS as EDITOR
from tests.discord.test_discord_interactions import EPHEMERAL, command, interaction, opt, send
from tests.discord.test_discord_messages import settle
from tests.discord.test_discord_wiring import alert_verdict


async def test_a_threaded_channel_gets_a_line_and_the_card_in_its_thread(
    client: NarrativeClient, fake: FakeDiscord
) -> None:
    client.app.core.channels.change("discord", CHANNEL_ID, ["thread", "on"], "editor")
    await client.alert_sender.send_alert(FeedAlert(11, "discord", CHANNEL_ID, alert_verdict()))
    (line,) = [r for r in fake.calls("POST", f"/channels/{CHANNEL_ID}/messages") if r.path.endswith("/messages")]
    assert line.json["content"].startswith("⚠ Known narrative: Troops are a fake")
    assert "details in the thread" in line.json["content"] and not line.json.get("embeds")
    parent_id = fake.created[0]["id"]
    (thread,) = fake.calls("POST", f"/channels/{CHANNEL_ID}/messages/{parent_id}/threads")
    assert thread.json["name"] == "Troops are a fake"
    (card,) = fake.calls("POST", f"/channels/{parent_id}/messages")
    assert card.json["embeds"][0]["title"].startswith("Known narrative")
    assert "nb:fb:correct:troops-denial" in str(card.json["components"])
    assert card.json["nonce"] == delivery_nonce("alert:11:card") != line.json["nonce"]


async def test_a_threaded_alert_retried_after_its_thread_was_made_is_not_doubled(
    client: NarrativeClient, fake: FakeDiscord
) -> None:
    client.app.core.channels.change("discord", CHANNEL_ID, ["thread", "on"], "editor")
    alert = FeedAlert(12, "discord", CHANNEL_ID, alert_verdict())
    await client.alert_sender.send_alert(alert)
    # The poller did not hear back and tries again: the nonces bring back the same line, the thread is found.
    await client.alert_sender.send_alert(alert)
    assert len(fake.threads) == 1
    assert len([m for m in fake.created if m["channel_id"] == CHANNEL_ID]) == 1
    assert len(fake.created) == 2  # the line and one card


async def test_an_unthreaded_channel_gets_the_card_itself(client: NarrativeClient, fake: FakeDiscord) -> None:
    await client.alert_sender.send_alert(FeedAlert(13, "discord", CHANNEL_ID, alert_verdict()))
    (post,) = fake.calls("POST", f"/channels/{CHANNEL_ID}/messages")  # no thread was asked for either
    assert post.json["embeds"] and fake.threads == {}


async def test_settings_are_open_to_read_and_need_manage_channels_to_change(
    client: NarrativeClient, fake: FakeDiscord
) -> None:
    shown = await send(fake, interaction(2, command("show", group="settings")))
    assert "threshold: 44 — default" in shown["data"]["content"] and shown["data"]["flags"] & EPHEMERAL
    refused = await send(fake, interaction(2, command("threshold", opt("score", 70, 4), group="settings")))
    assert "needs the Manage Channels permission" in refused["data"]["content"]
    assert refused["data"]["flags"] & EPHEMERAL
    assert client.app.core.channels.stored("discord", CHANNEL_ID, tenant=GUILD_ID) == {}
    changed = await send(
        fake, interaction(2, command("threshold", opt("score", 70, 4), group="settings"), permissions=EDITOR)
    )
    assert "now 70" in changed["data"]["content"]
    muted = await send(
        fake, interaction(2, command("mute", opt("id", "troops-denial"), group="settings"), permissions=EDITOR)
    )
    assert "Muted" in muted["data"]["content"]
    language = await send(
        fake, interaction(2, command("language", opt("language", "uk"), group="settings"), permissions=EDITOR)
    )
    assert "now in uk" in language["data"]["content"]
    assert client.app.core.reply_language("discord", CHANNEL_ID, tenant=GUILD_ID) == "uk"
    choices = await send(fake, interaction(4, command("unmute", opt("id", "troops", focused=True), group="settings")))
    assert [c["value"] for c in choices["data"]["choices"]] == ["troops-denial"]
    # The channel reads Ukrainian now: so do the refusal and the answers that follow.
    refused = await send(fake, interaction(2, command("links", opt("state", "off"), group="settings")))
    assert refused["data"]["content"] == (
        "Щоб змінювати налаштування або стрічки цього каналу, потрібен дозвіл «Керувати каналами» (Manage Channels) "
        "у цьому каналі. `/narrative settings` показує їх усім."
    )
    reset = await send(fake, interaction(2, command("reset", group="settings"), permissions=EDITOR))
    assert reset["data"]["content"] == "Усі налаштування тут знову типові."
    assert client.app.core.channels.stored("discord", CHANNEL_ID, tenant=GUILD_ID) == {}
    await send(fake, interaction(2, command("threshold", opt("score", 60, 4), group="settings"), permissions=EDITOR))
    reset = await send(fake, interaction(2, command("reset", group="settings"), permissions=EDITOR))
    assert "back to its default" in reset["data"]["content"]  # English again, with the language reset


async def test_a_muted_narrative_is_not_answered_in_the_channel(client: NarrativeClient, fake: FakeDiscord) -> None:
    client.app.core.channels.change("discord", CHANNEL_ID, ["mute", "troops-denial"], "editor", tenant=GUILD_ID)
    await fake.outbox.put(("MESSAGE_CREATE", message_payload("900000000000000051", propaganda())))
    await settle(fake, 1.0)
    assert fake.calls("POST", f"/channels/{CHANNEL_ID}/messages") == []


async def test_the_settings_group_is_synced_with_its_subcommands(client: NarrativeClient, fake: FakeDiscord) -> None:
    (sync,) = fake.calls("PUT", "/applications/")
    (narrative,) = [c for c in sync.json if c["name"] == "narrative"]
    (settings,) = [o for o in narrative["options"] if o["name"] == "settings"]
    names = {o["name"] for o in settings["options"]}
    assert names == {"show", "threshold", "mute", "unmute", "links", "thread", "language", "digest", "reset"}
    # Discord allows default_member_permissions on top-level commands only: /narrative stays open to all.
    assert narrative.get("default_member_permissions") is None


def menu(target: dict[str, Any]) -> dict[str, Any]:
    """The data of a message context-menu command (type 3) on `target`."""
    return {
        "id": "800000000000000099",
        "name": CHECK_MENU,
        "type": 3,
        "target_id": target["id"],
        "resolved": {"messages": {target["id"]: target}},
    }


async def test_the_context_menu_checks_a_message_and_its_link_ephemerally(
    client: NarrativeClient, fake: FakeDiscord, pages: PageServer
) -> None:
    target = message_payload("900000000000000061", f"worth a look {pages.url('/news/troops.html')}")
    payload = interaction(2, menu(target))
    first = await send(fake, payload)
    assert first["type"] == 5 and first["data"]["flags"] & EPHEMERAL  # deferred, for the asker alone
    followup = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{payload['token']}")
    assert followup.json["flags"] & EPHEMERAL
    title = client.app.library.library.get("troops-denial").title_in("en")  # type: ignore[union-attr]
    assert title in followup.json["embeds"][0]["title"]
    assert followup.json["content"].startswith("Narrative found.")
    assert fake.calls("POST", f"/channels/{CHANNEL_ID}/messages") == []  # nothing the channel sees


async def test_the_context_menu_on_a_message_without_text_says_so(client: NarrativeClient, fake: FakeDiscord) -> None:
    answer = await send(fake, interaction(2, menu(message_payload("900000000000000062", ""))))
    assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL
    assert "no text" in answer["data"]["content"]


async def test_the_context_menu_is_synced_as_a_message_command(client: NarrativeClient, fake: FakeDiscord) -> None:
    (sync,) = fake.calls("PUT", "/applications/")
    assert {"name": CHECK_MENU, "type": 3} in [{"name": c["name"], "type": c["type"]} for c in sync.json]
