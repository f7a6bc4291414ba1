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
    assert "threshold: 55 — default" in shown and "links: off — default" in shown
    assert "language: uk — default" in shown and "digest: on — default" in shown


async def test_each_setting_is_stored_shown_and_reset(session: ConsoleSession, app: App) -> None:
    for line, answer in [
        ("threshold 70", "Alert threshold here is now 70"),
        ("mute west-in-panic", "Muted west-in-panic"),
        ("links off", "no longer read"),
        ("thread on", "with the card in its thread"),
        ("language uk", "now in uk"),
        ("digest on", "digest is on"),
    ]:
        assert answer in await said(session, f"/narrative settings {line}")
    shown = await said(session, "/narrative settings")
    assert "threshold: 70 — set here by console on " in shown
    assert "muted: west-in-panic — set here" in shown
    assert "links: off — set here" in shown and "thread: on — set here" in shown
    assert "language: uk — set here" in shown and "digest: on — set here" in shown
    assert app.core.reply_language("console", "console") == "uk"
    # The settings are in the state file, not in memory: a fresh store sees them.
    reopened = Store(app.settings.db_path)
    try:
        names = {row[0] for row in reopened.query("SELECT name FROM channel_settings WHERE channel_id = 'console'")}
    finally:
        reopened.close()
    assert names == {"threshold", "muted", "links", "thread", "language", "digest"}
    assert "threshold back to the default" in await said(session, "/narrative settings reset threshold")
    assert "threshold: 44 — default" in await said(session, "/narrative settings")
    assert "back to its default" in await said(session, "/narrative settings reset")
    shown = await said(session, "/narrative settings")
    assert "set here" not in shown and "language: auto" in shown
    assert app.core.reply_language("console", "console") is None


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
    verdict = await app.core.assess(text)
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
            verdict = await app.core.assess(text, include_suggestions=True)
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
