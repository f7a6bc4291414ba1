"""The core through the console harness: messages, links, dedup and the /narrative command."""

from __future__ import annotations

import pytest

from bot.adapters.console import ConsoleSession
from bot.app import App, build_app
from bot.config import Settings
from bot.models import IncomingMessage
from matchers import Library
from tests.fetch.loopback import LoopbackServer


def article_page(title: str, body: str) -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n"))
    return (
        f"<html><head><title>{title} | Test News</title><meta property='og:site_name' content='Test News'>"
        f"</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article>"
        f"<footer>Subscribe to our newsletter. Cookies help us.</footer></body></html>"
    ).encode()


FILLER = (
    "The regional administration reported on road repairs and school renovations this week.\n"
    "Forecasters expect mild weather through the weekend, with light rain on Sunday.\n"
)


async def test_propaganda_sentence_gets_a_card(session: ConsoleSession, library: Library) -> None:
    example = library.get("west-in-panic").examples[0]  # type: ignore[union-attr]
    await session.push(example)
    card = session.pop()
    narrative = library.get("west-in-panic")
    assert narrative is not None
    # The example is Russian, so is the card: its title, its debunk and its own words.
    assert narrative.title_in("ru") in card
    assert "Цитата:" in card and "уверенность" in card and "Факты:" in card
    assert narrative.debunk_in("ru").split()[0] in card
    assert narrative.sources[0].url in card


async def test_neutral_and_short_chatter_stay_quiet(session: ConsoleSession) -> None:
    await session.push("The Bank of Russia kept its key interest rate unchanged on Friday, citing inflation.")
    await session.push("lol ok")
    with pytest.raises(IndexError):
        session.pop()


async def test_same_message_is_answered_once(app: App, library: Library) -> None:
    text = library.get("troops-denial").examples[0]  # type: ignore[union-attr]
    message = IncomingMessage("console", "c1", "m1", text)
    first = await app.core.handle_message(message)
    second = await app.core.handle_message(message)
    assert first.verdicts and not first.duplicate
    assert second.duplicate and not second.verdicts


async def test_pasted_link_is_read_and_matched(
    session: ConsoleSession, page_server: LoopbackServer, library: Library
) -> None:
    example = library.get("sanctions-illegitimate").examples[0]  # type: ignore[union-attr]
    page_server.serve("/news/1", article_page("Moscow and Pyongyang", FILLER + example + "\n" + FILLER))
    await session.push(f"look at this {page_server.url('/news/1')}?utm_source=tg")
    card = session.pop()
    # "look at this" is English: the card is English although the article quotes Russian.
    assert library.get("sanctions-illegitimate").title_in("en") in card  # type: ignore[union-attr]
    assert "Moscow and Pyongyang" in card and "Test News" in card
    assert page_server.hits("/news/1") == 1


async def test_neutral_link_gets_no_reply(session: ConsoleSession, page_server: LoopbackServer) -> None:
    page_server.serve("/news/2", article_page("Weather", FILLER * 3))
    await session.push(page_server.url("/news/2"))
    with pytest.raises(IndexError):
        session.pop()


async def test_unreadable_link_gets_a_clear_message(session: ConsoleSession, page_server: LoopbackServer) -> None:
    await session.push(page_server.url("/missing"))
    assert "404" in session.pop()


async def test_default_settings_refuse_loopback_links(tmp_path, page_server: LoopbackServer) -> None:  # type: ignore[no-untyped-def]
    page_server.serve("/secret", article_page("Internal", FILLER))
    async with build_app(Settings(semantic=False, db_path=tmp_path / "s.sqlite3")) as app:
        session = ConsoleSession(app.core)
        await session.push(f"http://127.0.0.1:{page_server.port}/secret")
        reply = session.pop()
    assert "private or local" in reply
    assert page_server.hits("/secret") == 0


async def test_link_errors_can_be_logged_only(settings: Settings, page_server: LoopbackServer) -> None:
    from dataclasses import replace

    async with build_app(replace(settings, link_errors="log")) as app:
        outcome = await app.core.handle_message(IncomingMessage("console", "c", "m", page_server.url("/nope")))
    assert not outcome.should_reply and outcome.checked


async def test_commands(session: ConsoleSession, library: Library) -> None:
    await session.push("/narrative help")
    assert "check TEXT|URL" in session.pop()
    await session.push("/narrative list")
    listing = session.pop()
    assert all(n.id in listing for n in library.narratives)
    await session.push("/narrative show sanctions-illegitimate")
    shown = session.pop()
    assert "1718" in shown and "https://" in shown
    await session.push("/narrative show sanction-illegitimate")
    assert "Did you mean sanctions-illegitimate" in session.pop()
    await session.push("/narrative search asian nato")
    assert "asian-nato" in session.pop().splitlines()[1]
    await session.push("/narrative search истерике запада")  # inflected Russian finds the narrative
    assert "west-in-panic" in session.pop().splitlines()[1]
    await session.push("/narrative search санкції")
    assert "sanctions-illegitimate" in session.pop().splitlines()[1]
    await session.push("/narrative search zzzz")
    assert "No narrative fits" in session.pop()
    await session.push("/narrative frobnicate")
    assert "Unknown subcommand" in session.pop()


async def test_check_shows_suggestions_and_alerts(app: App, library: Library) -> None:
    from bot.models import CommandRequest

    example = library.get("dprk-manpower").examples[0]  # type: ignore[union-attr]
    response = await app.core.handle_command(CommandRequest("console", "c", f"check {example}"))
    assert response.verdicts and response.verdicts[0].top.narrative_id == "dprk-manpower"
    assert response.ephemeral
    public = await app.core.handle_command(CommandRequest("console", "c", f"check --public {example}"))
    assert not public.ephemeral and public.verdicts
    nothing = await app.core.handle_command(CommandRequest("console", "c", "check The weather is mild today."))
    assert not nothing.verdicts and "No known narrative" in nothing.text


FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><item><guid>1</guid><title>A</title>'
    b"<link>https://news.example/a</link><description>Road repairs.</description></item></channel></rss>"
)


async def test_feed_subscriptions_per_channel(app: App, page_server: LoopbackServer) -> None:
    from bot.models import CommandRequest

    def ask(channel: str, text: str):  # type: ignore[no-untyped-def]
        return app.core.handle_command(CommandRequest("console", channel, text, user_id="u1"))

    page_server.serve("/rss", FEED, content_type="application/rss+xml")
    url = page_server.url("/rss")
    added = await ask("a", f"feeds add <{url}?utm_source=x|feed>")
    assert f"Watching {url} here (“Wire”, 1 item now)" in added.text
    assert "already" in (await ask("a", f"feeds add {url}")).text
    assert url in (await ask("a", "feeds list")).text
    assert "watches no feeds" in (await ask("b", "feeds list")).text
    assert (await ask("a", "feeds add ftp://x")).error
    assert "Stopped watching" in (await ask("a", f"feeds remove {url}")).text
    assert (await ask("a", f"feeds remove {url}")).error


async def test_feeds_add_tries_the_feed_and_refuses_it_with_the_reason(app: App, page_server: LoopbackServer) -> None:
    from bot.models import CommandRequest

    def ask(text: str):  # type: ignore[no-untyped-def]
        return app.core.handle_command(CommandRequest("console", "a", text, user_id="u1"))

    page_server.serve("/page", b"<html><body><p>Not a feed at all, just a page.</p></body></html>")
    page_server.serve("/report.pdf", b"%PDF-1.7", content_type="application/pdf")
    for path, reason in [
        ("/missing.xml", "the site answered HTTP 404 (not found)."),
        ("/report.pdf", "it is a PDF file, not a web page."),
        ("/page", ""),
    ]:
        refused = await ask(f"feeds add {page_server.url(path)}")
        assert refused.error and refused.text.startswith(f"I can't watch {page_server.url(path)}: {reason}")
    assert app.store.subscriptions("console", "a") == []


def test_telegram_handles_become_channel_previews() -> None:
    from bot.links import canonical_feed_url

    assert canonical_feed_url("@some_channel") == "https://t.me/s/some_channel"


async def test_feedback_is_stored(app: App) -> None:
    thanks = app.core.record_feedback("console", "c", "m1", "troops-denial", "u1", "wrong")
    app.core.record_feedback("console", "c", "m1", "troops-denial", "u1", "correct")
    assert "Thanks" in thanks
    records = app.store.feedback("troops-denial")
    assert [(r.user_id, r.value) for r in records] == [("u1", "correct")]
