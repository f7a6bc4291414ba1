"""Per-channel settings through the console: shown with their origin, changed, reset, and obeyed by replies."""

from __future__ import annotations

import pytest

from bot.adapters.console import ConsoleSession
from bot.app import App, build_app
from bot.config import Settings
from bot.models import IncomingMessage
from bot.store import Store
from matchers import Library
from tests.core.test_core_console import FILLER, article_page
from tests.fetch.loopback import LoopbackServer


def example(library: Library, narrative_id: str, index: int = 0) -> str:
    narrative = library.get(narrative_id)
    assert narrative is not None
    return narrative.examples[index]


async def said(session: ConsoleSession, line: str) -> str:
    await session.push(line)
    return session.pop()


async def stays_quiet(session: ConsoleSession, line: str) -> bool:
    await session.push(line)
    try:
        session.pop()
    except IndexError:
        return True
    return False


async def test_settings_show_the_defaults_and_where_they_come_from(session: ConsoleSession) -> None:
    shown = await said(session, "/narrative settings")
    assert "threshold: 44 — default (NARRATIVE_BOT_ALERT_THRESHOLD)" in shown
    assert "muted: none" in shown
    assert "links: on — default (NARRATIVE_BOT_LINK_REPLIES)" in shown
    assert "thread: off — default (NARRATIVE_BOT_FEED_THREADS)" in shown
    assert "language: auto — default (NARRATIVE_BOT_REPLY_LANGUAGE)" in shown
    assert "digest: off — default (NARRATIVE_BOT_DIGEST)" in shown


async def test_environment_defaults_are_shown(settings: Settings) -> None:
    from dataclasses import replace

    changed = replace(settings, alert_threshold=55.0, link_replies=False, reply_language="uk", digest=True)
    async with build_app(changed) as app:
        shown = await said(ConsoleSession(app.core), "/narrative settings")
        english = await said(ConsoleSession(app.core, channel_language="en"), "/narrative settings")
    # The default language is every channel's that did not choose one: the listing is in it.
    assert shown.startswith("Налаштування цього каналу:\n")
    assert "threshold: 55 — типово (NARRATIVE_BOT_ALERT_THRESHOLD)" in shown and "links: вимк. — типово" in shown
    assert "language: uk — типово" in shown and "digest: увімк. — типово" in shown
    assert "threshold: 55 — default" in english and "links: off — default" in english
    assert "language: uk — default" in english and "digest: on — default" in english


async def test_each_setting_is_stored_shown_and_reset(session: ConsoleSession, app: App) -> None:
    for line, answer in [
        ("threshold 70", "Alert threshold here is now 70"),
        ("mute west-in-panic", "Muted west-in-panic"),
        ("links off", "no longer read"),
        ("thread on", "with the card in its thread"),
        ("digest on", "digest is on"),
        ("language uk", "now in uk"),  # confirmed in the language it was asked in
    ]:
        assert answer in await said(session, f"/narrative settings {line}")
    # From here the channel reads Ukrainian: the listing is in it, the names and ids as they are typed.
    shown = await said(session, "/narrative settings")
    assert shown.startswith("Налаштування цього каналу:\n")
    assert "threshold: 70 — задано тут (console, " in shown
    assert "muted: west-in-panic — задано тут" in shown
    assert "links: вимк. — задано тут" in shown and "thread: увімк. — задано тут" in shown
    assert "language: uk — задано тут" in shown and "digest: увімк. — задано тут" in shown
    assert shown.endswith("/narrative settings reset повертає типові налаштування.")
    assert app.core.reply_language("console", "console") == "uk"
    # The settings are in the state file, not in memory: a fresh store sees them.
    reopened = Store(app.settings.db_path)
    try:
        names = {row[0] for row in reopened.query("SELECT name FROM channel_settings WHERE channel_id = 'console'")}
    finally:
        reopened.close()
    assert names == {"threshold", "muted", "links", "thread", "language", "digest"}
    assert await said(session, "/narrative settings reset threshold") == "Тут знову типове значення: threshold."
    assert "threshold: 44 — типово (NARRATIVE_BOT_ALERT_THRESHOLD)" in await said(session, "/narrative settings")
    assert await said(session, "/narrative settings reset") == "Усі налаштування тут знову типові."
    # The language went with the rest: English again, as the words typed.
    assert await said(session, "/narrative settings reset") == "This channel uses the defaults."
    shown = await said(session, "/narrative settings")
    assert "set here" not in shown and "language: auto" in shown
    assert app.core.reply_language("console", "console") is None
    await said(session, "/narrative settings links off")
    assert await said(session, "/narrative settings reset") == "Every setting here is back to its default."


async def test_settings_of_one_channel_leave_others_alone(app: App, library: Library) -> None:
    app.core.channels.change("console", "noisy", ["mute", "troops-denial"], "editor")
    text = example(library, "troops-denial")
    quiet = await app.core.handle_message(IncomingMessage("console", "noisy", "m1", text))
    other = await app.core.handle_message(IncomingMessage("console", "calm", "m1", text))
    assert not quiet.should_reply
    assert [v.top.narrative_id for v in other.verdicts] == ["troops-denial"]


@pytest.mark.parametrize(
    ("line", "refusal"),
    [
        ("threshold 12", "from 30 (the suggest threshold) to 100, not 12"),
        ("threshold 101", "to 100, not 101"),
        ("threshold high", "a whole number from 30 to 100"),
        ("mute no-such-narrative", "No narrative no-such-narrative in the library; nothing was muted"),
        ("unmute west-in-panic", "is not muted here"),
        ("links maybe", "takes on or off"),
        ("language de", "one of en, uk, ru, auto"),
        ("colour blue", "Unknown setting colour"),
        ("reset colour", "Unknown setting colour"),
        ("threshold", "Usage:"),
    ],
)
async def test_bad_settings_are_refused_and_change_nothing(session: ConsoleSession, line: str, refusal: str) -> None:
    before = await said(session, "/narrative settings")
    assert refusal in await said(session, f"/narrative settings {line}")
    assert await said(session, "/narrative settings") == before


async def test_a_muted_narrative_gets_no_reply(session: ConsoleSession, library: Library) -> None:
    await said(session, "/narrative settings mute west-in-panic")
    assert await stays_quiet(session, example(library, "west-in-panic"))
    assert "troops-denial" in await said(session, example(library, "troops-denial"))  # the others still do
    await said(session, "/narrative settings unmute west-in-panic")
    assert "west-in-panic" in await said(session, example(library, "west-in-panic", 1))


async def test_a_higher_threshold_silences_a_medium_match(app: App, session: ConsoleSession, library: Library) -> None:
    text = example(library, "west-in-panic", 2)
    verdict = await app.core.assessor.assess(text)
    assert verdict is not None and verdict.top.level == "alert"
    score = verdict.top.score
    assert 44 <= score < 100, score  # a medium match: a cut-off above it exists
    await said(session, f"/narrative settings threshold {score + 1}")
    assert await stays_quiet(session, text)
    await said(session, f"/narrative settings threshold {score}")
    assert "west-in-panic" in await said(session, text + " ")  # a new message: the same text, scored the same


async def test_a_lower_threshold_posts_what_would_only_be_suggested(
    app: App, session: ConsoleSession, library: Library
) -> None:
    # A text of the library whose best match sits between the suggest and the alert thresholds.
    found = None
    for narrative in library.narratives:
        for text in (*narrative.non_examples, *narrative.counter_examples.get("en", ())):
            if len(text.split()) < 6:
                continue
            verdict = await app.core.assessor.assess(text, include_suggestions=True)
            if verdict is not None and verdict.top.level == "suggest":
                found = (text, verdict.top)
                break
        if found:
            break
    assert found is not None, "the library should hold a text that is only a suggestion"
    text, finding = found
    assert await stays_quiet(session, text)
    await said(session, f"/narrative settings threshold {max(finding.score, 30)}")
    reply = await said(session, text + " ")
    assert finding.title in reply and "Known narrative" in reply


async def test_links_off_ignores_links(
    session: ConsoleSession, page_server: LoopbackServer, library: Library
) -> None:
    page_server.serve("/article", article_page("Summit", FILLER + example(library, "troops-denial")))
    url = page_server.url("/article")
    await said(session, "/narrative settings links off")
    assert await stays_quiet(session, f"look {url}")
    assert page_server.hits("/article") == 0  # not even fetched
    await said(session, "/narrative settings links on")
    assert "troops-denial" in await said(session, f"look again {url}")


async def test_digest_channels_are_those_that_turned_it_on(app: App, settings: Settings) -> None:
    from dataclasses import replace

    channels = app.core.channels
    channels.change("slack", "C1", ["digest", "on"], "U1")
    channels.change("slack", "C2", ["digest", "off"], "U1")
    channels.change("discord", "D1", ["digest", "on"], "U1")
    app.store.add_subscription("slack", "C3", "https://wire.example/rss")
    assert channels.digest_channels("slack") == [("slack", "", "C1")]
    assert channels.digest_channels() == [("discord", "", "D1"), ("slack", "", "C1")]
    # With the digest on by default, every channel the bot serves gets it unless it turned it off.
    default_on = type(channels)(app.store, replace(settings, digest=True), channels.known_ids)
    assert default_on.digest_channels("slack") == [("slack", "", "C1"), ("slack", "", "C3")]


@pytest.mark.parametrize(
    ("text", "changes"),
    [
        ("settings", False),
        ("settings show", False),
        ("/narrative settings", False),
        ("settings threshold 70", True),
        ("/narrative settings reset", True),
        ("feeds list", False),
        ("feeds", False),
        ("feeds add https://x.example/rss", True),
        ("FEEDS REMOVE https://x.example/rss", True),
        ("check settings threshold 70", False),
        ("digest", False),
        ("digest on", True),
        ("/narrative digest off", True),
        ("", False),
    ],
)
def test_which_commands_change_a_channel(text: str, changes: bool) -> None:
    from bot.permissions import changes_channel

    assert changes_channel(text) is changes


async def test_the_language_setting_draws_replies_and_answers_in_it(session: ConsoleSession, library: Library) -> None:
    narrative = library.get("west-in-panic")
    assert narrative is not None
    russian = example(library, "west-in-panic")
    assert narrative.title_in("ru") in await said(session, russian)  # auto: the text's own language
    await said(session, "/narrative settings language uk")
    card = await said(session, example(library, "west-in-panic", 1))
    assert narrative.title_in("uk") in card and narrative.title_in("ru") not in card
    assert narrative.title_in("uk") in await said(session, "/narrative show west-in-panic")
    await said(session, "/narrative settings language auto")
    assert narrative.title_in("ru") in await said(session, russian)


async def test_digest_command_and_setting_are_one_flag(session: ConsoleSession, app: App) -> None:
    await said(session, "/narrative digest on")
    assert "digest: on" in await said(session, "/narrative settings")
    assert app.core.digests.enabled("console", "console")
    await said(session, "/narrative settings digest off")
    assert "is off" in await said(session, "/narrative digest")
    assert app.core.digests.due("console", 0.0) == []


async def test_settings_answers_follow_the_channel_language(session: ConsoleSession) -> None:
    # Confirmed in the language it was asked in (English words, no language yet); from then on in Russian.
    assert await said(session, "/narrative settings language ru") == "Replies here are now in ru."
    for line, answer in [
        ("threshold 70", "Порог оповещения здесь теперь 70: совпадения с оценкой ниже не публикуются."),
        ("mute west-in-panic troops-denial", "Здесь больше не публикуются: west-in-panic, troops-denial."),
        ("unmute troops-denial", "Здесь снова публикуются: troops-denial."),
        (
            "links off",
            "Присланные ссылки здесь больше не читаются (сообщения с утверждениями бот по-прежнему проверяет).",
        ),
        ("links on", "Здесь бот читает присланные ссылки и отвечает на них."),
        ("thread on", "Оповещения из лент здесь теперь приходят одной строкой, а карточка — в ветке под ней."),
        ("thread off", "Оповещения из лент здесь теперь приходят полными карточками прямо в канал."),
        ("digest on", "Еженедельная сводка в этом канале включена."),
        ("reset thread", "Здесь снова значение по умолчанию: thread."),
    ]:
        assert await said(session, f"/narrative settings {line}") == answer, line
    shown = (await said(session, "/narrative settings")).splitlines()
    assert shown[0] == "Настройки этого канала:"
    assert shown[1].startswith("• threshold: 70 — задано здесь (console, 20")
    assert shown[2].startswith("• muted: west-in-panic — задано здесь (console, ")
    assert shown[3].startswith("• links: вкл. — задано здесь (console, ") and shown[3].endswith(")")
    assert shown[4] == "• thread: выкл. — по умолчанию (NARRATIVE_BOT_FEED_THREADS)"
    assert shown[5].startswith("• language: ru — задано здесь") and shown[6].startswith("• digest: вкл. — задано")
    assert shown[7] == (
        "Изменить: /narrative settings ИМЯ ЗНАЧЕНИЕ; /narrative settings reset возвращает настройки по умолчанию."
    )
    assert await said(session, "/narrative settings language uk") == "Ответы здесь теперь на украинском (uk)."
    assert await said(session, "/narrative settings language auto") == (
        "Відповіді тут тепер тією мовою, якою написано текст."
    )
    assert await said(session, "/narrative settings reset") == "Every setting here is back to its default."


@pytest.mark.parametrize(
    ("line", "refusal"),
    [
        ("threshold 12", "Порог должен быть от 30 (порог возможного нарратива) до 100, а не 12."),
        ("threshold high", "Порог — целое число от 30 до 100."),
        ("mute no-such-narrative", "В библиотеке нет: no-such-narrative; ничего не изменено. См. /narrative list."),
        ("mute", "Формат команды: /narrative settings mute ID (см. /narrative list)."),
        ("unmute west-in-panic", "Здесь и так публикуются: west-in-panic; ничего не изменено."),
        ("links maybe", "links принимает только on или off, а не maybe."),
        ("language de", "Язык должен быть одним из en, uk, ru, auto, а не de."),
        (
            "reset colour",
            "Неизвестная настройка colour; допустимые: threshold, muted, links, thread, language, digest.",
        ),
    ],
)
async def test_bad_settings_are_refused_in_the_channel_language(
    app: App, session: ConsoleSession, line: str, refusal: str
) -> None:
    app.core.channels.change("console", "console", ["language", "ru"], "editor")
    before = await said(session, "/narrative settings")
    assert await said(session, f"/narrative settings {line}") == refusal
    assert await said(session, "/narrative settings") == before


async def test_usage_in_the_channel_language(app: App, session: ConsoleSession) -> None:
    app.core.channels.change("console", "console", ["language", "uk"], "editor")
    usage = await said(session, "/narrative settings threshold")
    assert usage.startswith("Формат команди: /narrative settings (показати), settings threshold 30–100, ")
    assert usage.endswith(", settings reset [НАЗВА].")
    unknown = await said(session, "/narrative settings colour blue")
    assert unknown.startswith("Невідоме налаштування colour. Формат команди: /narrative settings (показати)")


async def test_the_usage_line_states_the_threshold_bounds_in_force(settings: Settings) -> None:
    from dataclasses import replace

    from bot.channel_settings import THRESHOLD_MAX

    async with build_app(replace(settings, suggest_threshold=32.5)) as app:
        english = ConsoleSession(app.core, channel_language="en")
        usage = await said(english, "/narrative settings threshold")
        refusal = await said(english, "/narrative settings threshold 20")
        app.core.channels.change("console", "console", ["language", "ru"], "editor")
        russian = await said(ConsoleSession(app.core), "/narrative settings threshold")
    # The lowest threshold taken is the suggest threshold rounded up; the highest, THRESHOLD_MAX.
    assert THRESHOLD_MAX == 100
    assert usage.startswith("Usage: /narrative settings (show), settings threshold 33–100, settings mute ID, ")
    assert refusal == "The threshold must be from 33 (the suggest threshold) to 100, not 20."
    assert russian.startswith("Формат команды: /narrative settings (показать), settings threshold 33–100, ")
