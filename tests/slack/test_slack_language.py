"""Slack cards and `/narrative` answers in the reader's language, through the Bolt app against the fake Web API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_bolt.async_app import AsyncBoltRequest

from bot.render.i18n import word
from tests.slack.conftest import SlackRig, narrative
from tests.slack.fakeslack import message_event, message_shortcut, signed_headers
from tests.slack.test_slack_events import send_event
from tests.slack.test_slack_interactive import ack_body, command

FORM = "application/x-www-form-urlencoded"

# Each language's fixed words as the card must show them (the title and debunk come from the library).
CARD_WORDS = {
    "ru": ("⚠️ Известный нарратив: ", "*Цитата:*", "*Факты:*", "*Источники:*", "Уверенность: ", "✅ Нарратив верный"),
    "uk": ("⚠️ Відомий наратив: ", "*Цитата:*", "*Факти:*", "*Джерела:*", "Впевненість: ", "✅ Наратив правильний"),
    "en": ("⚠️ Known narrative: ", "*Evidence:*", "*The facts:*", "*Sources:*", "Confidence: ", "✅ Right narrative"),
}


def said_in(lang: str) -> str:
    found = narrative()
    return found.examples[0] if lang == "ru" else found.phrasings[lang][0]


def card_of(post: dict[str, Any]) -> str:
    return json.dumps(post["blocks"], ensure_ascii=False)


@pytest.mark.parametrize("lang", ["ru", "uk", "en"])
async def test_a_message_is_answered_in_its_language(rig: SlackRig, lang: str) -> None:
    await send_event(rig, message_event(said_in(lang), ts=f"5{len(lang)}{ord(lang[0])}.0001"))
    (call,) = rig.api.calls_to("chat.postMessage")
    post = call.params
    expected = narrative()
    header = post["blocks"][0]["text"]["text"]
    assert header == CARD_WORDS[lang][0] + expected.title_in(lang)  # type: ignore[arg-type]
    card = card_of(post)
    for fixed in CARD_WORDS[lang]:
        assert fixed in card, fixed
    assert expected.debunk_in(lang)[:80] in card  # type: ignore[arg-type]
    assert expected.sources[0].url in card
    assert expected.title_in(lang) in post["text"]  # the notification text too  # type: ignore[arg-type]
    others = [words[2] for other, words in CARD_WORDS.items() if other != lang]
    assert not any(label in card for label in others)  # no label from another language


async def test_a_bare_link_to_a_russian_page_gets_a_russian_card(rig: SlackRig) -> None:
    url = rig.pages.url("/propaganda")
    await send_event(rig, message_event(f"<{url}>", ts="601.0001"))
    (call,) = rig.api.calls_to("chat.postMessage")
    assert call.params["blocks"][0]["text"]["text"] == CARD_WORDS["ru"][0] + narrative().title_in("ru")
    assert "*Статья:*" in card_of(call.params)


async def test_show_takes_a_language(rig: SlackRig) -> None:
    body = ack_body(await command(rig, "show sanctions-illegitimate uk"))
    assert narrative().title_in("uk") in body["text"] and "*Факти:*" in body["text"]
    assert narrative().debunk_in("uk") in body["text"]
    english = ack_body(await command(rig, "show sanctions-illegitimate"))
    assert narrative().title_in("en") in english["text"] and "*The facts:*" in english["text"]


async def test_a_check_of_a_ukrainian_text_answers_in_ukrainian(rig: SlackRig) -> None:
    await command(rig, f"check {said_in('uk')}")
    (answer,) = await rig.api.wait_for("response_url")
    assert answer.params["text"].startswith("Знайдено наратив.")
    blocks = json.dumps(answer.params["blocks"], ensure_ascii=False)
    assert CARD_WORDS["uk"][0] + narrative().title_in("uk") in blocks and "*Факти:*" in blocks


def test_the_note_on_cards_left_out_is_in_the_cards_language() -> None:
    """Block Kit's 50 blocks hold about five cards; the note saying how many more were left out is Ukrainian when
    the cards are."""
    import dataclasses

    from bot.models import Finding, MessageOutcome, Verdict
    from bot.render.slack_blocks import render_outcome

    finding = Finding("sanctions-illegitimate", "Санкції", 90, "alert", "Цитата з тексту.", "m", "Факти й цифри.")
    card = Verdict(findings=(finding,), language="uk")
    message = render_outcome(MessageOutcome(verdicts=(card,) * 12), "1.2")
    note = message.blocks[-1]["elements"][0]["text"]
    assert note.startswith("…і ще ") and note.endswith(", не показані тут.")
    english = render_outcome(MessageOutcome(verdicts=(dataclasses.replace(card, language="en"),) * 12), "1.2")
    assert "more not shown here" in english.blocks[-1]["elements"][0]["text"]


# -- unreadable links and the feed commands ---------------------------------------------------------------------


async def test_an_unreadable_link_is_explained_in_the_message_language(rig: SlackRig) -> None:
    missing = rig.pages.url("/missing")
    await send_event(rig, message_event(f"Подивіться, що пишуть про санкції цього тижня: <{missing}>", ts="701.0001"))
    (call,) = rig.api.calls_to("chat.postMessage")
    reason = "Не вдалося прочитати посилання: сайт відповів кодом HTTP 404 (сторінку не знайдено)."
    assert reason in card_of(call.params)
    assert call.params["text"] == f"Не вдалося прочитати {missing}: {reason}"  # the notification text too
    assert "can't read" not in json.dumps(call.params, ensure_ascii=False)


async def test_feed_commands_follow_the_channel_language(rig: SlackRig) -> None:
    from tests.slack.test_slack_interactive import FEED

    rig.api.users["U0001"] = {"is_admin": True}
    rig.app.core.channels.change("slack", "C0001", ["language", "ru"], "U0001")
    rig.pages.pages["/feed.xml"] = FEED
    url = rig.pages.url("/feed.xml")
    checking = ack_body(await command(rig, f"feeds add <{url}>"))["text"]
    assert checking == "Проверяем… ответ придёт через несколько секунд."
    (added,) = await rig.api.wait_for("response_url")
    assert added.params["text"].startswith(f"Канал теперь следит за {url} («Wire», сейчас 1 запись). ")
    listed = ack_body(await command(rig, "feeds list"))["text"]
    assert listed.startswith("Ленты, за которыми следит этот канал:") and url in listed
    assert ack_body(await command(rig, f"feeds remove {url}"))["text"] == f"Канал больше не следит за {url}."
    gone = rig.pages.url("/gone.xml")
    await command(rig, f"feeds add {gone}", name="r2")
    refused = (await rig.api.wait_for("response_url", count=2))[1]
    assert refused.params["text"] == (
        f"Не удалось подписаться на {gone}: сайт ответил кодом HTTP 404 (страница не найдена)."
    )


@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
async def test_a_command_that_fails_is_answered_in_the_channels_language(rig: SlackRig, lang: str) -> None:
    rig.app.core.channels.change("slack", "C0001", ["language", lang], "U0001")
    with rig.app.store.transaction() as db:
        db.execute("DROP TABLE alert_history")  # `recent` now fails inside the core; the settings still read
    body = ack_body(await command(rig, "recent 5"))
    assert body["response_type"] == "ephemeral"
    assert body["text"] == word("internal_error", lang)  # type: ignore[arg-type]
    assert body["text"] == {
        "uk": "Щось пішло не так; подробиці записано в журнал.",
        "ru": "Что-то пошло не так; подробности записаны в журнал.",
        "en": "Something went wrong; it has been logged.",
    }[lang]


@pytest.mark.parametrize(("lang", "expected"), [
    ("uk", "У цьому повідомленні немає тексту, який можна перевірити."),
    ("ru", "В этом сообщении нет текста, который можно проверить."),
    (None, "That message has no text I can check."),
])  # fmt: skip
async def test_the_shortcut_on_a_message_without_text_says_so_in_the_channels_language(
    rig: SlackRig, lang: str | None, expected: str
) -> None:
    if lang is not None:
        rig.app.core.channels.change("slack", "C0001", ["language", lang], "U0001")
    body = message_shortcut("", rig.api.response_url("s9"))
    response = await rig.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, FORM)))
    assert response.status == 200
    (answer,) = await rig.api.wait_for("chat.postEphemeral")
    assert answer.params["text"] == expected
