"""/narrative commands, autocomplete and feedback buttons, driven as INTERACTION_CREATE through the gateway."""

from __future__ import annotations

import itertools
from typing import Any

from bot.adapters.discord import NarrativeClient
from tests.discord.conftest import PageServer, propaganda
from tests.discord.fakediscord import (
    APP_ID,
    BOT_USER,
    CHANNEL_ID,
    GUILD_ID,
    HUMAN,
    MEMBER,
    FakeDiscord,
    message_payload,
)

EPHEMERAL = 64
_ids = itertools.count(910000000000000000)


MEMBER_PERMISSIONS = "2248473465835073"  # view, send, read history… but not Manage Channels
EDITOR_PERMISSIONS = str(2248473465835073 | 16)  # the same with Manage Channels


def interaction(
    kind: int, data: dict[str, Any], message: dict[str, Any] | None = None, permissions: str = MEMBER_PERMISSIONS
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(next(_ids)),
        "application_id": APP_ID,
        "type": kind,
        "token": f"token-{next(_ids)}",
        "version": 1,
        "guild_id": GUILD_ID,
        "channel_id": CHANNEL_ID,
        "channel": {
            "id": CHANNEL_ID,
            "type": 0,
            "name": "fact-check",
            "guild_id": GUILD_ID,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        },
        "member": MEMBER | {"user": HUMAN, "permissions": permissions},
        "data": data,
        "locale": "en-US",
        "guild_locale": "en-US",
        "app_permissions": "2248473465835073",
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD_ID},
        "context": 0,
        "attachment_size_limit": 10485760,
    }
    if message is not None:
        payload["message"] = message
    return payload


def command(sub: str, *options: dict[str, Any], group: str | None = None) -> dict[str, Any]:
    inner: dict[str, Any] = {"name": sub, "type": 1, "options": list(options)}
    if group is not None:
        inner = {"name": group, "type": 2, "options": [inner]}
    return {"id": "800000000000000000", "name": "narrative", "type": 1, "options": [inner]}


def opt(name: str, value: Any, kind: int = 3, focused: bool = False) -> dict[str, Any]:
    out = {"name": name, "type": kind, "value": value}
    if focused:
        out["focused"] = True
    return out


async def send(fake: FakeDiscord, payload: dict[str, Any]) -> dict[str, Any]:
    await fake.outbox.put(("INTERACTION_CREATE", payload))
    recorded = await fake.wait_for("POST", f"/interactions/{payload['id']}/")
    assert isinstance(recorded.json, dict)
    return recorded.json


async def test_show_answers_ephemerally_with_the_narrative(client: NarrativeClient, fake: FakeDiscord) -> None:
    answer = await send(fake, interaction(2, command("show", opt("id", "troops-denial"))))
    assert answer["type"] == 4
    assert answer["data"]["flags"] & EPHEMERAL
    title = client.app.library.library.get("troops-denial").title_in("en")  # type: ignore[union-attr]
    assert f"**{title}**" in answer["data"]["content"]


async def test_unknown_id_suggests_close_ones(client: NarrativeClient, fake: FakeDiscord) -> None:
    answer = await send(fake, interaction(2, command("show", opt("id", "troops-denail"))))
    assert "troops-denial" in answer["data"]["content"]


async def test_ids_are_autocompleted(client: NarrativeClient, fake: FakeDiscord) -> None:
    answer = await send(fake, interaction(4, command("show", opt("id", "troop", focused=True))))
    assert answer["type"] == 8
    values = [c["value"] for c in answer["data"]["choices"]]
    assert values[0] == "troops-denial"
    assert all(len(c["name"]) <= 100 for c in answer["data"]["choices"])
    everything = await send(fake, interaction(4, command("show", opt("id", "", focused=True))))
    assert len(everything["data"]["choices"]) == min(25, len(client.app.library.library.ids))


async def test_checking_a_link_defers_then_follows_up(
    client: NarrativeClient, fake: FakeDiscord, pages: PageServer
) -> None:
    payload = interaction(2, command("check", opt("text", pages.url("/news/troops.html"))))
    first = await send(fake, payload)
    assert first["type"] == 5  # deferred: reading a page may take longer than Discord's 3 s
    assert first["data"]["flags"] & EPHEMERAL
    followup = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{payload['token']}")
    # A link alone: the card follows the article, which is Russian.
    title = client.app.library.library.get("troops-denial").title_in("ru")  # type: ignore[union-attr]
    assert title in followup.json["embeds"][0]["title"]
    assert "nb:fb:correct:troops-denial" in str(followup.json["components"])


async def test_public_check_of_text_answers_in_the_channel(client: NarrativeClient, fake: FakeDiscord) -> None:
    answer = await send(fake, interaction(2, command("check", opt("text", propaganda()), opt("public", True, 5))))
    assert answer["type"] == 4
    assert not answer["data"].get("flags", 0) & EPHEMERAL
    # The example is Russian, so is the card.
    assert answer["data"]["embeds"][0]["title"].startswith(("Известный нарратив", "Возможный нарратив"))


async def test_feeds_subcommands_reach_the_store(client: NarrativeClient, fake: FakeDiscord, pages: PageServer) -> None:
    url = pages.url("/rss")
    add = command("add", opt("url", url), group="feeds")
    refused = await send(fake, interaction(2, add))
    assert "Manage Channels" in refused["data"]["content"] and refused["data"]["flags"] & EPHEMERAL
    assert client.app.store.subscriptions("discord", CHANNEL_ID) == []
    payload = interaction(2, add, permissions=EDITOR_PERMISSIONS)
    first = await send(fake, payload)
    assert first["type"] == 5  # deferred: the feed is tried first, which may take longer than 3 s
    added = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{payload['token']}")
    assert f"Watching {url}" in added.json["content"]
    subs = client.app.store.subscriptions("discord", CHANNEL_ID)
    assert [s.feed_url for s in subs] == [url]
    choices = await send(fake, interaction(4, command("remove", opt("url", "127.0.0.1", focused=True), group="feeds")))
    assert [c["value"] for c in choices["data"]["choices"]] == [url]


async def test_feedback_buttons_work_for_a_message_sent_before_a_restart(
    client: NarrativeClient, fake: FakeDiscord
) -> None:
    # The client never sent this message: only the custom id (a DynamicItem template) ties the click to a narrative.
    reply = message_payload("920000000000000001", "", author=BOT_USER)
    reply["components"] = [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 3, "label": "Correct", "custom_id": "nb:fb:correct:troops-denial"},
                {"type": 2, "style": 4, "label": "Wrong", "custom_id": "nb:fb:wrong:troops-denial"},
            ],
        }
    ]
    click = interaction(3, {"custom_id": "nb:fb:wrong:troops-denial", "component_type": 2}, message=reply)
    answer = await send(fake, click)
    assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL
    assert "wrong" in answer["data"]["content"]
    rows = client.app.store.query(
        "SELECT platform, channel_id, message_ref, narrative_id, user_id, value FROM feedback"
    )
    assert [tuple(r) for r in rows] == [
        ("discord", CHANNEL_ID, "920000000000000001", "troops-denial", HUMAN["id"], "wrong")
    ]
