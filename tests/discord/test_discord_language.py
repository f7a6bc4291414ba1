"""Discord embeds, buttons and `/narrative` answers in the reader's language, through the fake Discord."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.adapters.discord import NarrativeClient
from bot.config import bundled_library_path
from bot.render.discord_commands import DESCRIPTION_MAX
from matchers import Narrative, load_library
from tests.discord.conftest import PageServer
from tests.discord.fakediscord import CHANNEL_ID, GUILD_ID, FakeDiscord, message_payload
from tests.discord.test_discord_interactions import EPHEMERAL, command, interaction, opt, send
from tests.discord.test_discord_settings import menu

NARRATIVE = "troops-denial"
# title prefix, field names, footer word, the feedback buttons' labels
CARD_WORDS = {
    "ru": ("Известный нарратив: ", ("Уверенность", "Факты", "Источники"), "нарратив: ", ("Верно", "Ошибочно")),
    "uk": ("Відомий наратив: ", ("Впевненість", "Факти", "Джерела"), "наратив: ", ("Правильно", "Хибно")),
    "en": ("Known narrative: ", ("Confidence", "The facts", "Sources"), "narrative: ", ("Correct", "Wrong")),
}


def library_narrative() -> Narrative:
    found = load_library(bundled_library_path()).get(NARRATIVE)
    assert found is not None
    return found


def said_in(lang: str) -> str:
    found = library_narrative()
    return found.examples[0] if lang == "ru" else found.phrasings[lang][0]


@pytest.mark.parametrize("lang", ["ru", "uk", "en"])
async def test_a_message_is_answered_in_its_language(client: NarrativeClient, fake: FakeDiscord, lang: str) -> None:
    await fake.outbox.put(("MESSAGE_CREATE", message_payload("910000000000000001", said_in(lang))))
    posted = await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
    embed = posted.json["embeds"][0]
    prefix, field_names, footer, buttons = CARD_WORDS[lang]
    expected = library_narrative()
    assert embed["title"] == prefix + expected.title_in(lang)  # type: ignore[arg-type]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert set(field_names) <= set(fields)
    assert fields[field_names[1]].startswith(expected.debunk_in(lang)[:60])  # type: ignore[arg-type]
    assert expected.sources[0].url.replace("(", "%28").replace(")", "%29") in fields[field_names[2]]
    assert embed["footer"]["text"].startswith(footer + NARRATIVE)
    labels = [c["label"] for row in posted.json["components"] for c in row["components"]]
    assert labels == list(buttons)


async def test_a_link_alone_follows_the_article(client: NarrativeClient, fake: FakeDiscord, pages: PageServer) -> None:
    await fake.outbox.put(("MESSAGE_CREATE", message_payload("910000000000000002", pages.url("/news/troops.html"))))
    posted = await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
    embed = posted.json["embeds"][0]
    assert embed["title"] == CARD_WORDS["ru"][0] + library_narrative().title_in("ru")
    assert "Статья" in {f["name"] for f in embed["fields"]}


async def test_show_takes_a_language_choice(client: NarrativeClient, fake: FakeDiscord) -> None:
    answer = await send(fake, interaction(2, command("show", opt("id", NARRATIVE), opt("language", "uk"))))
    content = answer["data"]["content"]
    assert f"**{library_narrative().title_in('uk')}**" in content and "**Факти:**" in content
    english = await send(fake, interaction(2, command("show", opt("id", NARRATIVE))))
    assert f"**{library_narrative().title_in('en')}**" in english["data"]["content"]


async def test_the_language_choice_is_offered_to_discord(client: NarrativeClient, fake: FakeDiscord) -> None:
    synced = fake.calls("PUT", "/applications/")[-1]
    group = next(c for c in synced.json if c["name"] == "narrative")
    show = next(o for o in group["options"] if o["name"] == "show")
    language = next(o for o in show["options"] if o["name"] == "language")
    assert [c["value"] for c in language["choices"]] == ["en", "uk", "ru"]
    assert not language.get("required", False)


async def test_autocomplete_shows_titles_in_the_language_typed(client: NarrativeClient, fake: FakeDiscord) -> None:
    answer = await send(fake, interaction(4, command("show", opt("id", "фейк", focused=True))))
    names = {c["value"]: c["name"] for c in answer["data"]["choices"]}
    assert NARRATIVE in names and library_narrative().title_in("ru")[:40] in names[NARRATIVE]


# -- unreadable links and the feed commands ---------------------------------------------------------------------


async def test_an_unreadable_link_is_explained_in_the_message_language(
    client: NarrativeClient, fake: FakeDiscord, pages: PageServer
) -> None:
    missing = pages.url("/missing.html")
    text = f"Посмотрите, что пишут про санкции на этой неделе: {missing}"
    await fake.outbox.put(("MESSAGE_CREATE", message_payload("910000000000000003", text)))
    posted = await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
    assert posted.json["content"] == (
        f"⚠ <{missing}>: Не удалось прочитать ссылку: сайт ответил кодом HTTP 404 (страница не найдена)."
    )


async def test_feed_commands_follow_the_channel_language(
    client: NarrativeClient, fake: FakeDiscord, pages: PageServer
) -> None:
    from tests.discord.fakediscord import APP_ID, GUILD_ID
    from tests.discord.test_discord_interactions import EDITOR_PERMISSIONS

    client.app.core.channels.change("discord", CHANNEL_ID, ["language", "uk"], "u1", tenant=GUILD_ID)
    url = pages.url("/rss")
    payload = interaction(2, command("add", opt("url", url), group="feeds"), permissions=EDITOR_PERMISSIONS)
    await send(fake, payload)
    added = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{payload['token']}")
    assert added.json["content"].startswith(f"Канал тепер стежить за {url} (")
    listed = await send(fake, interaction(2, command("list", group="feeds")))
    assert listed["data"]["content"].startswith("Стрічки, за якими стежить цей канал:")
    gone = pages.url("/gone.xml")
    payload = interaction(2, command("add", opt("url", gone), group="feeds"), permissions=EDITOR_PERMISSIONS)
    await send(fake, payload)
    refused = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{payload['token']}")
    assert refused.json["content"] == (
        f"Не вдалося підписатися на {gone}: сайт відповів кодом HTTP 404 (сторінку не знайдено)."
    )


@pytest.mark.parametrize(("lang", "expected"), [
    ("uk", "Під час виконання команди сталася помилка; подробиці записано в журнал."),
    ("ru", "При выполнении команды произошла ошибка; подробности записаны в журнал."),
    ("en", "Something went wrong with that command; it has been logged."),
])  # fmt: skip
async def test_a_command_that_fails_is_answered_in_the_channels_language(
    client: NarrativeClient, fake: FakeDiscord, lang: str, expected: str
) -> None:
    client.app.core.channels.change("discord", CHANNEL_ID, ["language", lang], "editor", tenant=GUILD_ID)
    with client.app.store.transaction() as db:
        db.execute("DROP TABLE alert_history")  # `recent` now fails inside the core; the settings still read
    answer = await send(fake, interaction(2, command("recent", opt("count", 5, kind=4))))
    assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL
    assert answer["data"]["content"] == expected


@pytest.mark.parametrize(("lang", "expected"), [
    ("uk", "У цьому повідомленні немає тексту, який можна перевірити."),
    ("ru", "В этом сообщении нет текста, который можно проверить."),
    (None, "That message has no text I can check."),
])  # fmt: skip
async def test_the_context_menu_on_a_message_without_text_says_so_in_the_channels_language(
    client: NarrativeClient, fake: FakeDiscord, lang: str | None, expected: str
) -> None:
    if lang is not None:
        client.app.core.channels.change("discord", CHANNEL_ID, ["language", lang], "editor", tenant=GUILD_ID)
    answer = await send(fake, interaction(2, menu(message_payload("900000000000000063", ""))))
    assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL
    assert answer["data"]["content"] == expected


def _described(entries: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every command, group, subcommand and option in a sync payload that has a description."""
    for entry in entries:
        if entry.get("description"):
            yield entry
        yield from _described(entry.get("options", []))


async def test_the_slash_commands_are_described_in_ukrainian_and_russian(
    client: NarrativeClient, fake: FakeDiscord
) -> None:
    synced = fake.calls("PUT", "/applications/")[-1]
    group = next(c for c in synced.json if c["name"] == "narrative")
    assert group["description_localizations"] == {
        "uk": "Розпізнає кремлівські наративи про Росію та КНДР",
        "ru": "Распознаёт кремлёвские нарративы о России и КНДР",
    }
    check = next(o for o in group["options"] if o["name"] == "check")
    assert check["description_localizations"] == {
        "uk": "Перевірити текст або посилання на відомі наративи",
        "ru": "Проверить текст или ссылку на известные нарративы",
    }
    public = next(o for o in check["options"] if o["name"] == "public")
    assert public["description_localizations"]["ru"] == "Показать результат всему каналу (по умолчанию — только вам)"
    settings = next(o for o in group["options"] if o["name"] == "settings")
    assert settings["description_localizations"]["uk"].startswith("Налаштування цього каналу")
    # Every description the bot wrote has both, within Discord's 100 characters; the names stay as typed.
    described = [e for e in _described([group]) if e["description"] != "…"]
    assert len(described) > 30  # all of them, not a few
    for entry in described:
        localized = entry.get("description_localizations", {})
        assert set(localized) == {"uk", "ru"}, entry["description"]
        assert all(0 < len(text) <= DESCRIPTION_MAX for text in localized.values()), localized
        assert not entry.get("name_localizations")
    menu = next(c for c in synced.json if c["type"] == 3)
    assert not menu.get("name_localizations")


@pytest.mark.parametrize(("locale", "expected"), [
    ("uk", "Під час виконання команди сталася помилка; подробиці записано в журнал."),
    ("ru", "При выполнении команды произошла ошибка; подробности записаны в журнал."),
    ("en-GB", "Something went wrong with that command; it has been logged."),
    ("de", "Something went wrong with that command; it has been logged."),
])  # fmt: skip
async def test_without_a_channel_setting_a_failed_command_follows_the_askers_discord_language(
    client: NarrativeClient, fake: FakeDiscord, locale: str, expected: str
) -> None:
    with client.app.store.transaction() as db:
        db.execute("DROP TABLE alert_history")  # `recent` now fails inside the core
    payload = interaction(2, command("recent", opt("count", 5, kind=4))) | {"locale": locale}
    answer = await send(fake, payload)
    assert answer["data"]["content"] == expected


async def test_the_channel_setting_wins_over_the_askers_discord_language(
    client: NarrativeClient, fake: FakeDiscord
) -> None:
    client.app.core.channels.change("discord", CHANNEL_ID, ["language", "ru"], "editor", tenant=GUILD_ID)
    payload = interaction(2, menu(message_payload("900000000000000064", ""))) | {"locale": "uk"}
    answer = await send(fake, payload)
    assert answer["data"]["content"] == "В этом сообщении нет текста, который можно проверить."
    payload = interaction(2, menu(message_payload("900000000000000065", ""))) | {"locale": "uk"}
    client.app.core.channels.change("discord", CHANNEL_ID, ["language", "auto"], "editor", tenant=GUILD_ID)
    answer = await send(fake, payload)
    assert answer["data"]["content"] == "У цьому повідомленні немає тексту, який можна перевірити."
