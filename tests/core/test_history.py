"""The alert history through the console: what is recorded, `/narrative recent|feedback|digest`, reasons."""

from __future__ import annotations

import time
from pathlib import Path

from bot.adapters.console import ConsoleSession
from bot.app import App
from bot.digest import send_due_digests
from bot.history import EXCERPT_CHARS, FEEDBACK_BATCH, AlertHistory, PostedCard, excerpt_of
from bot.models import ArticleRef, Finding, Verdict
from bot.store import Store
from matchers import Library

PANIC = "Вашингтон охватила настоящая истерика: американские политики в панике от дружбы Москвы и Пхеньяна."
TROOPS = (
    "The story about North Korean soldiers fighting in Kursk is a fake invented by Ukrainian intelligence and the "
    "CIA; there are no DPRK troops in Russia."
)


async def test_a_posted_card_is_recorded_with_its_evidence_and_excerpt(session: ConsoleSession, app: App) -> None:
    await session.push(PANIC)
    session.pop()
    (record,) = app.core.history.recent("console", "console")
    assert record.narrative_id == "west-in-panic" and record.origin == "message"
    assert record.evidence in PANIC and record.excerpt == PANIC
    assert record.site == "(chat text)" and record.source_url is None
    assert record.score >= 44 and record.status == "unreviewed"


async def test_quiet_text_leaves_no_history(session: ConsoleSession, app: App) -> None:
    await session.push("The Bank of Russia kept its key interest rate unchanged on Friday, citing inflation.")
    assert app.core.history.recent("console", "console") == []
    await session.push("/narrative recent")
    assert session.pop() == "No alerts in this channel yet."


async def test_recent_lists_newest_first_with_feedback_and_limits(session: ConsoleSession, app: App) -> None:
    await session.push(PANIC)
    await session.push(TROOPS)
    panic, _troops = sorted(app.core.history.recent("console", "console"), key=lambda r: r.id)
    app.core.record_feedback("console", "console", panic.message_ref, "west-in-panic", "u1", "correct")
    app.core.record_feedback("console", "console", panic.message_ref, "west-in-panic", "u2", "wrong")
    assert "noted" in app.core.record_reason("console", panic.message_ref, "west-in-panic", "u2", "not-propaganda")
    session.outbox.clear()
    await session.push("/narrative recent 1")
    only = session.pop()
    assert "troops-denial" in only and "west-in-panic" not in only and "no feedback yet" in only
    await session.push("/narrative recent")
    listing = session.pop().splitlines()
    assert listing[0] == "Latest 2 alerts here, newest first:"
    assert "troops-denial" in listing[1] and "west-in-panic" in listing[2]
    assert "1 right, 1 wrong (not propaganda)" in listing[2]
    for bad in ("/narrative recent lots", "/narrative recent 0", "/narrative recent 1 2"):
        await session.push(bad)
        assert session.pop().startswith("Usage: /narrative recent")


async def test_a_reason_needs_a_wrong_click_and_a_known_reason(app: App) -> None:
    card = PostedCard("console", "c", "m1", [_verdict("troops-denial")], "message")
    assert app.core.history.record(card) == 1
    assert app.core.history.record(card) == 0  # a repeat of the same card adds nothing
    assert "could not be recorded" in app.core.record_reason("console", "m1", "troops-denial", "u1", "fact-check")
    app.core.record_feedback("console", "c", "m1", "troops-denial", "u1", "wrong")
    assert "could not be recorded" in app.core.record_reason("console", "m1", "troops-denial", "u1", "because")
    assert "a fact-check" in app.core.record_reason("console", "m1", "troops-denial", "u1", "fact-check")
    (record,) = app.core.history.alerts(channel="console:c")
    assert record.status == "disputed" and record.reason == "fact-check"
    # Changing one's mind to ✅ drops the reason given with the ❌; a ❌ again starts without one.
    app.core.record_feedback("console", "c", "m1", "troops-denial", "u1", "correct")
    app.core.record_feedback("console", "c", "m1", "troops-denial", "u1", "wrong")
    (record,) = app.core.history.alerts(channel="console:c")
    assert record.reason is None and (record.correct, record.wrong) == (0, 1)


async def test_feedback_command_lists_disputed_then_confirmed(session: ConsoleSession, app: App) -> None:
    for ref, narrative_id, value in (("m1", "troops-denial", "correct"), ("m2", "west-in-panic", "wrong")):
        app.core.history.record(PostedCard("console", "console", ref, [_verdict(narrative_id)], "message"))
        app.core.record_feedback("console", "console", ref, narrative_id, "u1", value)
    app.core.history.record(PostedCard("console", "console", "m3", [_verdict("asian-nato")], "message"))
    await session.push("/narrative feedback")
    text = session.pop()
    assert text.index("Disputed (1):") < text.index("west-in-panic") < text.index("Confirmed (1):")
    assert text.index("Confirmed (1):") < text.index("troops-denial")
    assert "asian-nato" not in text  # nobody reviewed it
    assert "Evidence: “evidence of west-in-panic”" in text and "Source: https://news.example/west-in-panic" in text
    await session.push("/narrative feedback confirmed")
    assert "west-in-panic" not in session.pop()
    await session.push("/narrative feedback everything")
    assert session.pop().startswith("Usage:")


async def test_digest_flag_per_channel(session: ConsoleSession, app: App) -> None:
    await session.push("/narrative digest")
    assert "off" in session.pop()
    await session.push("/narrative digest on")
    assert session.pop().startswith("Weekly digest on")
    assert app.core.digests.enabled("console", "console")
    assert not app.core.digests.enabled("console", "elsewhere")
    assert [c.channel_id for c in app.core.digests.due("console", time.time())] == ["console"]
    await session.push("/narrative digest off")
    assert session.pop() == "Weekly digest off for this channel."
    assert app.core.digests.due("console", time.time()) == []
    await session.push("/narrative digest maybe")
    assert session.pop().startswith("Usage:")


def test_excerpt_keeps_line_breaks_and_is_bounded() -> None:
    assert excerpt_of("  one   two \n\n three ") == "one two\nthree"
    long = excerpt_of("word " * 5000)
    assert len(long) <= EXCERPT_CHARS + 1 and long.endswith("…") and not long.endswith(" …")


async def test_help_names_the_history_commands(session: ConsoleSession, library: Library) -> None:
    await session.push("/narrative help")
    help_text = session.pop()
    assert "recent [N]" in help_text and "feedback" in help_text and "digest on|off" in help_text


def _verdict(narrative_id: str) -> Verdict:
    finding = Finding(narrative_id, narrative_id.title(), 70, "alert", f"evidence of {narrative_id}", "", "debunk")
    article = ArticleRef(url=f"https://news.example/{narrative_id}", site="news.example")
    return Verdict((finding,), article=article, excerpt=f"text of {narrative_id}")


async def test_console_digest_prints_the_summary_and_writes_the_chart(session: ConsoleSession, app: App) -> None:
    await session.push(TROOPS)
    await session.push("/narrative digest on")
    session.outbox.clear()
    core = app.core
    assert await send_due_digests(core.history, core.digests, session, time.time) == 1
    text = session.pop()
    assert text.startswith("Weekly narrative digest: 1 alert in the last 7 days.") and "troops-denial" in text
    chart = Path(text.rsplit("Chart: ", 1)[1])
    assert chart.parent == app.settings.db_path.parent and chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert await send_due_digests(core.history, core.digests, session, time.time) == 0  # once a week


def test_feedback_is_counted_across_query_batches(tmp_path: Path) -> None:
    store = Store(tmp_path / "many.sqlite3")
    history = AlertHistory(store)
    for i in range(FEEDBACK_BATCH * 2 + 100):
        history.record(PostedCard("slack", "C", f"m{i}", [_verdict("troops-denial")], "message"))
    store.record_feedback("slack", "C", "m0", "troops-denial", "u1", "correct")
    store.record_feedback("slack", "C", f"m{FEEDBACK_BATCH * 2 + 99}", "troops-denial", "u1", "wrong")
    store.record_feedback("slack", "OTHER", "m5", "troops-denial", "u1", "wrong")  # another channel's card
    alerts = history.alerts()
    assert len(alerts) == FEEDBACK_BATCH * 2 + 100
    assert (alerts[0].correct, alerts[-1].wrong) == (1, 1)
    assert sum(a.correct + a.wrong for a in alerts) == 2


# -- the same answers in the channel's language ---------------------------------------------------------------


async def test_recent_follows_the_channel_language(session: ConsoleSession, app: App) -> None:
    app.core.channels.change("console", "console", ["language", "ru"], "editor")
    await session.push("/narrative recent")
    assert session.pop() == "В этом канале пока не было оповещений."
    await session.push(PANIC)
    await session.push(TROOPS)
    panic, _troops = sorted(app.core.history.recent("console", "console"), key=lambda r: r.id)
    app.core.record_feedback("console", "console", panic.message_ref, "west-in-panic", "u1", "correct")
    app.core.record_feedback("console", "console", panic.message_ref, "west-in-panic", "u2", "wrong")
    app.core.record_reason("console", panic.message_ref, "west-in-panic", "u2", "not-propaganda")
    session.outbox.clear()
    await session.push("/narrative recent")
    listing = session.pop().splitlines()
    assert listing[0] == "2 последних оповещения здесь, сначала новые:"
    assert "troops-denial" in listing[1] and "(чат)" in listing[1] and listing[1].endswith(" — отзывов пока нет")
    assert "west-in-panic" in listing[2] and listing[2].endswith(" — верно: 1, ошибочно: 1 (не пропаганда)")
    await session.push("/narrative recent 1")
    assert session.pop().startswith("1 последнее оповещение здесь, сначала новые:\n")
    await session.push("/narrative recent 0")
    assert session.pop() == "Формат команды: /narrative recent [N] (N — от 1 до 25)."
    await session.push("/narrative recent lots")
    assert session.pop() == "Формат команды: /narrative recent [N] (N — не больше 25)."


async def test_feedback_listing_follows_the_channel_language(session: ConsoleSession, app: App) -> None:
    app.core.channels.change("console", "console", ["language", "uk"], "editor")
    await session.push("/narrative feedback")
    assert session.pop() == "На сповіщення за цей період відгуків ще немає."
    for ref, narrative_id, value in (("m1", "troops-denial", "correct"), ("m2", "west-in-panic", "wrong")):
        app.core.history.record(PostedCard("console", "console", ref, [_verdict(narrative_id)], "message"))
        app.core.record_feedback("console", "console", ref, narrative_id, "u1", value)
    app.core.record_reason("console", "m2", "west-in-panic", "u1", "fact-check")
    await session.push("/narrative feedback")
    text = session.pop()
    assert text.index("Оскаржені (1):") < text.index("west-in-panic") < text.index("Підтверджені (1):")
    assert "— правильно: 0, хибно: 1 — причина: це фактчек\n" in text
    assert "  Цитата: «evidence of west-in-panic»\n  Текст: «text of west-in-panic»\n" in text
    assert "  Джерело: https://news.example/west-in-panic" in text
    assert "— правильно: 1, хибно: 0\n" in text
    assert text.endswith(
        "\n\nКоманда narrative-bot feedback export збереже їх як чернетки записів бібліотеки для перевірки редакторами."
    )
    assert "Evidence" not in text and "Disputed" not in text
    await session.push("/narrative feedback everything")
    assert session.pop() == "Формат команди: /narrative feedback [disputed|confirmed]."


async def test_digest_answers_and_the_digest_follow_the_channel_language(session: ConsoleSession, app: App) -> None:
    app.core.channels.change("console", "console", ["language", "uk"], "editor")
    await session.push("/narrative digest")
    assert session.pop() == "Щотижневий підсумок у цьому каналі вимкнено (увімкнути: /narrative digest on)."
    await session.push("/narrative digest maybe")
    assert session.pop() == "Формат команди: /narrative digest on|off."
    await session.push(TROOPS)
    session.outbox.clear()
    await session.push("/narrative digest on")
    assert session.pop().startswith("Щотижневий підсумок увімкнено: раз на тиждень цей канал отримуватиме ")
    await session.push("/narrative digest")
    assert session.pop() == "Щотижневий підсумок у цьому каналі увімкнено (вимкнути: /narrative digest off)."
    core = app.core
    assert await send_due_digests(core.history, core.digests, session, time.time) == 1
    text = session.pop()
    lines = text.splitlines()
    assert lines[0] == "Щотижневий підсумок наративів: 1 сповіщення за останні 7 днів."
    assert "(`troops-denial`): 1, найвища оцінка " in lines[1]
    assert lines[2] == "На графіку — наративи за тижнями; `/narrative recent` покаже останні сповіщення."
    await session.push("/narrative digest off")
    assert session.pop() == "Щотижневий підсумок для цього каналу вимкнено."


def test_the_digest_counts_alerts_in_each_languages_plural(tmp_path: Path) -> None:
    from bot.digest import digest_text

    store = Store(tmp_path / "plural.sqlite3")
    history = AlertHistory(store)
    now = time.time()
    said: dict[int, dict[str, str]] = {}
    for count in range(1, 23):
        history.record(PostedCard("slack", "C", f"m{count}", [_verdict("troops-denial")], "message"))
        said[count] = {lang: digest_text(history, "slack", "C", now + 1, lang=lang).splitlines()[0]  # type: ignore[arg-type]
                       for lang in ("en", "uk", "ru")}  # fmt: skip
    assert said[1]["en"] == "Weekly narrative digest: 1 alert in the last 7 days."
    assert said[2]["en"] == "Weekly narrative digest: 2 alerts in the last 7 days."
    for count, ru, uk in [
        (1, "1 оповещение", "1 сповіщення"),
        (3, "3 оповещения", "3 сповіщення"),
        (5, "5 оповещений", "5 сповіщень"),
        (11, "11 оповещений", "11 сповіщень"),
        (12, "12 оповещений", "12 сповіщень"),
        (21, "21 оповещение", "21 сповіщення"),
        (22, "22 оповещения", "22 сповіщення"),
    ]:
        assert said[count]["ru"] == f"Еженедельная сводка нарративов: {ru} за последние 7 дней.", count
        assert said[count]["uk"] == f"Щотижневий підсумок наративів: {uk} за останні 7 днів.", count
    empty = digest_text(history, "slack", "elsewhere", now, lang="ru")
    assert empty == (
        "Еженедельная сводка нарративов: за последние 7 дней в этом канале не найдено ни одного известного нарратива."
    )
    store.close()


async def test_the_answers_to_a_click_follow_the_channel_language(app: App) -> None:
    card = PostedCard("console", "c", "m1", [_verdict("troops-denial")], "message")
    app.core.history.record(card)
    app.core.channels.change("console", "c", ["language", "ru"], "editor")
    # A click has no words of its own: the thanks, and the reason after it, follow the channel's setting.
    narrative = app.core.library.library.get("troops-denial")
    assert narrative is not None
    title = narrative.title_in("ru")
    thanks = app.core.record_feedback("console", "c", "m1", "troops-denial", "u1", "wrong")
    assert thanks == f"Спасибо — записано, что «{title}» здесь определён ошибочно."
    lost = app.core.record_reason("console", "m1", "troops-denial", "u2", "other", channel_id="c")  # u2 gave no ❌
    assert lost == "Эту причину не удалось сохранить (❌, к которому она относится, изменён или не найден)."
    noted = app.core.record_reason("console", "m1", "troops-denial", "u1", "not-propaganda", channel_id="c")
    assert noted == "Спасибо — отмечено: не пропаганда. Редакторы увидят это в `narrative-bot feedback list`."
    right = app.core.record_feedback("console", "c", "m1", "troops-denial", "u1", "correct")
    assert right == f"Спасибо — записано, что «{title}» здесь определён верно."
    # A channel without a language of its own is answered in English.
    app.core.history.record(PostedCard("console", "d", "m2", [_verdict("troops-denial")], "message"))
    assert app.core.record_feedback("console", "d", "m2", "troops-denial", "u1", "wrong").startswith("Thanks — ")
    noted = app.core.record_reason("console", "m2", "troops-denial", "u1", "other", channel_id="d")
    assert noted == "Thanks — noted: other. Editors see it in `narrative-bot feedback list`."
