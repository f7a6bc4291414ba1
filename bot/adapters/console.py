"""Console mode: each typed line is a chat message in channel `console`; replies print as text cards.

It is also the test harness for the core, Errbot-style: `ConsoleSession.push(line)` then `pop()` the replies.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import signal
import sys
import uuid
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.console_prompt import LineReader
from bot.digest import Digest, run_digests
from bot.history import PostedCard
from bot.models import CommandRequest, FeedAlert, FeedNotice, IncomingMessage
from bot.render.text import render_outcome, render_response, render_verdict
from matchers import Lang

if TYPE_CHECKING:
    from bot.app import App
    from bot.core import Core

logger = logging.getLogger(__name__)

PLATFORM = "console"
CHANNEL = "console"
BANNER = (
    "narrative-bot console — paste a link or a text; `/narrative help` lists commands (`settings` and `help` work "
    "without `/narrative` too); Ctrl-D quits.\n"
    "(No Slack or Discord credentials set: this is the console mode.)"
)
# Words that, first on a line, are commands without `/narrative` in front: no talking point starts so.
BARE_COMMANDS = frozenset({"settings", "help"})


class ConsoleSession:
    """Turns typed lines into core calls and collects the replies as text."""

    def __init__(self, core: Core, channel_language: Lang | None = None) -> None:
        self.core = core
        # The console's one "channel" answers in this language when set; else each text in its own.
        self.channel_language = channel_language
        self.outbox: deque[str] = deque()
        self._ids = itertools.count(1)
        # Message ids are claimed in the state file once handled: a later session numbering from 1 again would
        # find its first lines "already handled" and stay silent. A per-session token keeps them apart.
        self._session = uuid.uuid4().hex[:12]

    async def handle_line(self, line: str) -> list[str]:
        line = line.strip()
        if not line:
            return []
        replies: list[str] = []
        if line.split(maxsplit=1)[0].lower() in BARE_COMMANDS:
            line = f"/narrative {line}"
        if line.startswith("/narrative"):
            request = CommandRequest(PLATFORM, CHANNEL, line, user_id="console")
            response = await self.core.handle_command(request, channel_language=self.channel_language)
            replies.append(render_response(response))
        else:
            message_id = f"console-{self._session}-{next(self._ids)}"
            message = IncomingMessage(PLATFORM, CHANNEL, message_id, line, user_id="console")
            outcome = await self.core.handle_message(message, channel_language=self.channel_language)
            if outcome.should_reply:
                replies.append(render_outcome(outcome))
            if outcome.verdicts:
                self.core.history.record_safely(PostedCard(PLATFORM, CHANNEL, message_id, outcome.verdicts, "message"))
        self.outbox.extend(replies)
        return replies

    async def push(self, line: str) -> None:
        await self.handle_line(line)

    def pop(self) -> str:
        """The oldest reply not yet read; IndexError when there is none (the bot stayed quiet)."""
        return self.outbox.popleft()

    # The feed poller posts through these, like through a chat platform.
    platform = PLATFORM

    async def send_alert(self, alert: FeedAlert) -> None:
        self.outbox.append(render_verdict(alert.verdict))
        card = PostedCard(PLATFORM, alert.channel_id, alert.delivery_key, (alert.verdict,), "feed")
        self.core.history.record_safely(card)

    async def send_notice(self, notice: FeedNotice) -> None:
        self.outbox.append(f"ℹ {notice.text}")

    async def send_digest(self, digest: Digest) -> None:
        """A terminal shows no image: the chart is written beside the state file and its path printed."""
        path = Path(self.core.settings.db_path).parent / f"digest-{digest.channel_id}-{digest.week}.png"
        await asyncio.to_thread(path.write_bytes, digest.chart_png)
        self.outbox.append(f"{digest.text}\nChart: {path}")


NO_INPUT_NO_FEEDS = (
    "narrative-bot: standard input is closed and no feed is watched in the console, so there is nothing to do. "
    "For the console, give it a terminal (docker run -it …); to serve a chat platform, set SLACK_BOT_TOKEN or "
    "DISCORD_TOKEN; to print feed alerts, add a feed with `narrative-bot feeds add URL --platform console`."
)


async def run_console(
    app: App, stdin: TextIO, stdout: TextIO, stderr: TextIO | None = None, *, history_path: Path | None = None
) -> int:
    """Serve typed lines until input ends; the exit status for the command line."""
    session = ConsoleSession(app.core)
    print(BANNER, file=stdout, flush=True)
    reader = LineReader(stdin, stdout, history_path)
    poller_task = _start_feed_polling(app, session, stdout)
    core = app.core
    digest_task = asyncio.create_task(run_digests(core.history, core.digests, _PrintingSender(session, stdout)))
    lines = 0
    try:
        while True:
            line = await asyncio.to_thread(reader.readline)
            if not line:
                break
            lines += 1
            try:
                await session.handle_line(line)
            except Exception:  # one bad line must not end the session
                logger.exception("failed to handle console input")
                session.outbox.append("Something went wrong handling that line; see the log.")
            _flush(session, stdout)
        if lines == 0 and not _is_terminal(stdin):
            # No input at all and no terminal: a service started without one (docker run without -it, a unit
            # file). Ending at once, silently, with status 0 looked like a crash-free success; serve the feeds
            # instead, or say why there is nothing to do.
            return await _without_input(app, poller_task, stderr or sys.stderr)
        return 0
    finally:
        digest_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await digest_task
        reader.close()
        if poller_task is not None:
            poller_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller_task
            # Input ended (a pipe, Ctrl-D): post what is already pending rather than leave it for next time.
            try:
                await app.feed_poller.deliver(_PrintingSender(session, stdout))
            except Exception:
                logger.exception("could not post pending feed alerts")
        _flush(session, stdout)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or bare stream
        return False


async def _without_input(app: App, poller_task: asyncio.Task[None] | None, stderr: TextIO) -> int:
    feeds = len(app.store.subscriptions(PLATFORM))
    if poller_task is None or feeds == 0:
        print(NO_INPUT_NO_FEEDS, file=stderr, flush=True)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Installed before saying so: whoever reads the line below may stop us at once.
    with contextlib.suppress(NotImplementedError, RuntimeError):  # no signal handlers off the main thread
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    print(
        f"narrative-bot: standard input is closed; still watching {feeds} feed{'s' if feeds != 1 else ''} and "
        "printing their alerts here (stop with Ctrl-C or SIGTERM).",
        file=stderr,
        flush=True,
    )
    waiter = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({poller_task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGTERM)
    return 0


def _flush(session: ConsoleSession, stdout: TextIO) -> None:
    while session.outbox:
        print(session.outbox.popleft(), file=stdout, flush=True)
        print(file=stdout, flush=True)


class _PrintingSender:
    """Posts feed alerts through the session and prints them at once, not only after the next typed line."""

    platform = PLATFORM

    def __init__(self, session: ConsoleSession, stdout: TextIO) -> None:
        self.session = session
        self.stdout = stdout

    async def send_alert(self, alert: FeedAlert) -> None:
        await self.session.send_alert(alert)
        _flush(self.session, self.stdout)

    async def send_notice(self, notice: FeedNotice) -> None:
        await self.session.send_notice(notice)
        _flush(self.session, self.stdout)

    async def send_digest(self, digest: Digest) -> None:
        await self.session.send_digest(digest)
        _flush(self.session, self.stdout)


def _start_feed_polling(app: App, session: ConsoleSession, stdout: TextIO) -> asyncio.Task[None] | None:
    poller = getattr(app, "feed_poller", None)
    if poller is None:
        return None

    async def loop() -> None:
        await poller.run(_PrintingSender(session, stdout))

    return asyncio.create_task(loop())
