"""Discord: replies kept in the alert history, `/narrative recent`, the reason asked after a ❌, the weekly digest."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from typing import Any

from PIL import Image

from bot.adapters.discord import NarrativeClient
from bot.digest import send_due_digests
from tests.discord.conftest import propaganda
from tests.discord.fakediscord import BOT_USER, CHANNEL_ID, GUILD_ID, FakeDiscord, message_payload
from tests.discord.test_discord_interactions import EDITOR_PERMISSIONS, EPHEMERAL, command, interaction, opt, send


async def _reply(fake: FakeDiscord, message_id: str) -> dict[str, Any]:
    await fake.outbox.put(("MESSAGE_CREATE", message_payload(message_id, propaganda())))
    await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
    for _ in range(50):  # the history is written once the post is confirmed, just after
        if fake.created:
            break
        await asyncio.sleep(0.05)
    (created,) = fake.created
    return created


async def _until_recorded(client: NarrativeClient) -> None:
    for _ in range(50):
        if client.app.core.history.recent("discord", CHANNEL_ID, tenant=GUILD_ID):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the reply never reached the alert history")


async def test_a_reply_is_recorded_with_its_jump_link_and_listed_by_recent(
    client: NarrativeClient, fake: FakeDiscord
) -> None:
    created = await _reply(fake, "930000000000000001")
    await _until_recorded(client)
    (record,) = client.app.core.history.recent("discord", CHANNEL_ID, tenant=GUILD_ID)
    assert record.message_ref == created["id"] and record.workspace_id == GUILD_ID
    assert record.permalink == f"https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/{created['id']}"
    assert record.narrative_id == "troops-denial" and record.excerpt == propaganda()
    answer = await send(fake, interaction(2, command("recent", opt("count", 5, kind=4))))
    assert answer["data"]["flags"] & EPHEMERAL
    content = answer["data"]["content"]
    assert "troops-denial" in content and record.permalink in content and "no feedback yet" in content


async def test_a_wrong_click_asks_why_and_stores_the_reason(client: NarrativeClient, fake: FakeDiscord) -> None:
    created = await _reply(fake, "930000000000000002")
    await _until_recorded(client)
    reply = message_payload(created["id"], "", author=BOT_USER)
    reply["components"] = [
        {"type": 1, "components": [
            {"type": 2, "style": 3, "label": "Correct", "custom_id": "nb:fb:correct:troops-denial"},
            {"type": 2, "style": 4, "label": "Wrong", "custom_id": "nb:fb:wrong:troops-denial"},
        ]}
    ]
    wrong = interaction(3, {"custom_id": "nb:fb:wrong:troops-denial", "component_type": 2}, message=reply)
    answer = await send(fake, wrong)
    assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL
    assert "Why was it wrong?" in answer["data"]["content"]
    ids = [c["custom_id"] for row in answer["data"]["components"] for c in row["components"]]
    assert ids == [
        f"nb:why:{reason}:troops-denial:{created['id']}:en"  # the language it was asked in
        for reason in ("wrong-narrative", "not-propaganda", "fact-check", "other")
    ]
    # The click on a reason comes from the ephemeral answer itself; its custom id carries the card.
    prompt = message_payload("930000000000000099", answer["data"]["content"], author=BOT_USER)
    prompt["components"] = answer["data"]["components"]
    prompt["flags"] = EPHEMERAL
    pick = interaction(3, {"custom_id": ids[2], "component_type": 2}, message=prompt)
    picked = await send(fake, pick)
    assert picked["type"] == 7  # the question is replaced by the thanks
    assert "a fact-check" in picked["data"]["content"] and picked["data"]["components"] == []
    (record,) = client.app.core.history.recent("discord", CHANNEL_ID, tenant=GUILD_ID)
    assert (record.status, record.reason, record.wrong) == ("disputed", "fact-check", 1)
    listing = await send(fake, interaction(2, command("feedback", opt("which", "disputed"))))
    assert listing["data"]["flags"] & EPHEMERAL
    assert "Disputed (1):" in listing["data"]["content"] and "reason: a fact-check" in listing["data"]["content"]
    right = interaction(3, {"custom_id": "nb:fb:correct:troops-denial", "component_type": 2}, message=reply)
    thanks = await send(fake, right)
    assert "components" not in thanks["data"] or thanks["data"]["components"] == []  # a ✅ asks nothing more


async def test_the_weekly_digest_is_posted_once_a_week_with_the_chart_attached(
    client: NarrativeClient, fake: FakeDiscord
) -> None:
    await _reply(fake, "930000000000000003")
    await _until_recorded(client)
    core = client.app.core
    refused = await send(fake, interaction(2, command("digest", opt("state", "on"))))
    assert "Manage Channels" in refused["data"]["content"] and not core.digests.enabled("discord", CHANNEL_ID, tenant=GUILD_ID)
    answer = await send(fake, interaction(2, command("digest", opt("state", "on")), permissions=EDITOR_PERMISSIONS))
    assert answer["data"]["content"].startswith("Weekly digest on")
    now = dt.datetime.now(dt.UTC).timestamp()
    assert await send_due_digests(core.history, core.digests, client.alert_sender, lambda: now) == 1
    posts = [r for r in fake.calls("POST", f"/channels/{CHANNEL_ID}/messages") if r.json.get("_files")]
    (digest,) = posts
    assert digest.json["content"].startswith("Weekly narrative digest: 1 alert in the last 7 days.")
    assert "troops-denial" in digest.json["content"]
    ((name, _kind, data),) = digest.json["_files"]
    assert name == "narratives-by-week.png"  # Discord shows a .png attachment as an image
    chart = Image.open(io.BytesIO(data))
    assert chart.format == "PNG" and chart.size == (1200, 600)
    assert digest.json["attachments"][0]["filename"] == name
    assert digest.json["attachments"][0]["description"] == "Bar chart of known narratives flagged per week"
    # The same week again (a later tick, a restart): nothing; the next week: the next digest.
    assert await send_due_digests(core.history, core.digests, client.alert_sender, lambda: now + 3600) == 0
    assert await send_due_digests(core.history, core.digests, client.alert_sender, lambda: now + 7 * 86400) == 1
    off = await send(fake, interaction(2, command("digest", opt("state", "off")), permissions=EDITOR_PERMISSIONS))
    assert off["data"]["content"] == "Weekly digest off for this channel."
    assert await send_due_digests(core.history, core.digests, client.alert_sender, lambda: now + 14 * 86400) == 0


async def test_the_digest_loop_starts_with_the_client(client: NarrativeClient) -> None:
    assert client.digest_task is not None and not client.digest_task.done()
    task = client.digest_task
    client.start_digests()  # on_ready again after a reconnect: still one loop
    assert client.digest_task is task


async def test_the_reason_history_and_digest_follow_the_channel_language(
    client: NarrativeClient, fake: FakeDiscord
) -> None:
    core = client.app.core
    core.channels.change("discord", CHANNEL_ID, ["language", "ru"], "editor", tenant=GUILD_ID)
    created = await _reply(fake, "930000000000000004")
    await _until_recorded(client)
    reply = message_payload(created["id"], "", author=BOT_USER)
    reply["components"] = [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 3, "label": "Верно", "custom_id": "nb:fb:correct:troops-denial"},
                {"type": 2, "style": 4, "label": "Ошибочно", "custom_id": "nb:fb:wrong:troops-denial"},
            ],
        }
    ]
    wrong = interaction(3, {"custom_id": "nb:fb:wrong:troops-denial", "component_type": 2}, message=reply)
    answer = await send(fake, wrong)
    content = answer["data"]["content"]
    assert content.startswith("Спасибо — записано, что «")
    assert content.endswith("» здесь определён ошибочно.\nПочему совпадение ошибочное? (необязательно)")
    buttons = [c for row in answer["data"]["components"] for c in row["components"]]
    assert [b["label"] for b in buttons] == ["Не тот нарратив", "Не пропаганда", "Это фактчек", "Другое"]
    prompt = message_payload("930000000000000098", content, author=BOT_USER)
    prompt["components"] = answer["data"]["components"]
    prompt["flags"] = EPHEMERAL
    picked = await send(
        fake, interaction(3, {"custom_id": buttons[2]["custom_id"], "component_type": 2}, message=prompt)
    )
    assert picked["data"]["content"] == (
        "Спасибо — отмечено: это фактчек. Редакторы увидят это в `narrative-bot feedback list`."
    )
    recent = await send(fake, interaction(2, command("recent", opt("count", 5, kind=4))))
    assert recent["data"]["content"].startswith("1 последнее оповещение здесь, сначала новые:\n")
    assert recent["data"]["content"].endswith(" — верно: 0, ошибочно: 1 (это фактчек)")
    listing = await send(fake, interaction(2, command("feedback", opt("which", "disputed"))))
    assert "Оспоренные (1):" in listing["data"]["content"] and "причина: это фактчек" in listing["data"]["content"]
    refused = await send(fake, interaction(2, command("digest", opt("state", "on"))))
    assert refused["data"]["content"] == (
        "Чтобы включить или выключить еженедельную сводку, нужно право «Управлять каналами» (Manage Channels) "
        "в этом канале."
    )
    turned = await send(fake, interaction(2, command("digest", opt("state", "on")), permissions=EDITOR_PERMISSIONS))
    assert turned["data"]["content"].startswith("Еженедельная сводка включена: раз в неделю этот канал ")
    now = dt.datetime.now(dt.UTC).timestamp()
    assert await send_due_digests(core.history, core.digests, client.alert_sender, lambda: now) == 1
    (digest,) = [r for r in fake.calls("POST", f"/channels/{CHANNEL_ID}/messages") if r.json.get("_files")]
    text = digest.json["content"]
    assert text.startswith("Еженедельная сводка нарративов: 1 оповещение за последние 7 дней.")
    assert "(`troops-denial`): 1, лучшая оценка " in text and "Отзывы: верно — 0, ошибочно — 1." in text
    assert text.endswith("На графике — нарративы по неделям; `/narrative recent` покажет последние оповещения.")
    # The chart's alternative text too.
    assert digest.json["attachments"][0]["description"] == (
        "Столбчатая диаграмма известных нарративов, найденных по неделям"
    )


async def test_the_buttons_carry_the_cards_language_and_the_thanks_follow_it(
    client: NarrativeClient, fake: FakeDiscord
) -> None:
    created = await _reply(fake, "930000000000000005")  # a Russian text, no language setting: a Russian card
    await _until_recorded(client)
    (posted,) = fake.calls("POST", f"/channels/{CHANNEL_ID}/messages")
    buttons = [c for row in posted.json["components"] for c in row["components"]]
    assert [b["custom_id"] for b in buttons] == ["nb:fb:correct:troops-denial:ru", "nb:fb:wrong:troops-denial:ru"]
    reply = message_payload(created["id"], "", author=BOT_USER)
    reply["components"] = posted.json["components"]
    answer = await send(fake, interaction(3, {"custom_id": buttons[1]["custom_id"], "component_type": 2}, message=reply))
    title = client.app.library.library.get("troops-denial").title_in("ru")  # type: ignore[union-attr]
    assert answer["data"]["content"] == (
        f"Спасибо — записано, что «{title}» здесь определён ошибочно.\nПочему совпадение ошибочное? (необязательно)"
    )
    reasons = [c for row in answer["data"]["components"] for c in row["components"]]
    assert [r["label"] for r in reasons] == ["Не тот нарратив", "Не пропаганда", "Это фактчек", "Другое"]
    assert reasons[0]["custom_id"] == f"nb:why:wrong-narrative:troops-denial:{created['id']}:ru"
    prompt = message_payload("930000000000000097", answer["data"]["content"], author=BOT_USER)
    prompt["components"] = answer["data"]["components"]
    prompt["flags"] = EPHEMERAL
    picked = await send(fake, interaction(3, {"custom_id": reasons[0]["custom_id"], "component_type": 2}, message=prompt))
    assert picked["data"]["content"] == (
        "Спасибо — отмечено: не тот нарратив. Редакторы увидят это в `narrative-bot feedback list`."
    )
    right = await send(fake, interaction(3, {"custom_id": buttons[0]["custom_id"], "component_type": 2}, message=reply))
    assert right["data"]["content"] == f"Спасибо — записано, что «{title}» здесь определён верно."
