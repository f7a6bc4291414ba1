"""The console on a terminal (a real pseudo-terminal): a prompt, line history kept between sessions, log lines
in a file instead of between the answers; from a pipe, answers only."""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
import time
from pathlib import Path

from bot.adapters.console import ConsoleSession
from bot.console_prompt import PROMPT
from matchers import Library

# A bound on waiting for the bot's output, not a timing assertion: it normally answers within seconds.
PATIENCE_S = 90


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "NARRATIVE_BOT_"))}
    env.update({"NARRATIVE_BOT_SEMANTIC": "off", "NARRATIVE_BOT_DB": str(tmp_path / "state" / "state.sqlite3"),
                "TERM": "dumb", "LOG_LEVEL": "info"})
    return env


class Terminal:
    """The bot's stdin, stdout and stderr on one pseudo-terminal, as when a person runs it."""

    def __init__(self, tmp_path: Path) -> None:
        self.master, slave = os.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], stdin=slave, stdout=slave, stderr=slave, cwd=tmp_path,
            env=_env(tmp_path), close_fds=True,
        )
        os.close(slave)
        self.seen = ""

    def expect(self, text: str) -> str:
        deadline = time.monotonic() + PATIENCE_S
        while text not in self.seen:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"never saw {text!r}; the terminal shows:\n{self.seen[-2000:]}"
            ready, _, _ = select.select([self.master], [], [], min(remaining, 1.0))
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the bot closed the terminal
                    chunk = b""
                if not chunk and self.process.poll() is not None:
                    raise AssertionError(f"the bot ended before {text!r}:\n{self.seen[-2000:]}")
                self.seen += chunk.decode("utf-8", "replace")
        return self.seen

    def answered(self, text: str) -> None:
        """Wait for `text` and the prompt drawn after it: the bot is reading again, so a key typed now (Ctrl-D)
        reaches the line editor rather than the terminal driver."""
        start = self.expect(text).index(text)
        deadline = time.monotonic() + PATIENCE_S
        while PROMPT not in self.seen[start:]:
            assert time.monotonic() < deadline, f"no prompt after {text!r}:\n{self.seen[-2000:]}"
            self._read_some()

    def _read_some(self) -> None:
        ready, _, _ = select.select([self.master], [], [], 1.0)
        if ready:
            with contextlib.suppress(OSError):  # the bot closed the terminal: the caller's deadline ends it
                self.seen += os.read(self.master, 65536).decode("utf-8", "replace")

    def type(self, text: str) -> None:
        os.write(self.master, text.encode("utf-8"))

    def close(self) -> int:
        try:
            return self.process.wait(timeout=PATIENCE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()  # a test that failed mid-way: the bot still waits for a line
            return self.process.wait()
        finally:
            os.close(self.master)


def test_a_terminal_gets_a_prompt_history_and_no_log_lines(tmp_path: Path, library: Library) -> None:
    terminal = Terminal(tmp_path)
    try:
        terminal.expect(PROMPT)
        terminal.type("settings mute west-in-panic\n")
        terminal.expect("Muted west-in-panic here")
        terminal.type(library.get("troops-denial").examples[0] + "\n")  # type: ignore[union-attr]
        terminal.answered("└─ нарратив: troops-denial")
        terminal.type("\x04")  # Ctrl-D
    finally:
        status = terminal.close()
    assert status == 0
    shown = terminal.seen
    assert shown.count(PROMPT) >= 3
    assert " INFO " not in shown and "starting on console" not in shown  # logs are not in the conversation
    state = tmp_path / "state"
    assert f"log lines go to {state / 'console.log'}" in shown
    assert "starting on console" in (state / "console.log").read_text(encoding="utf-8")
    history = (state / "console_history").read_text(encoding="utf-8")
    assert "settings mute west-in-panic" in history

    # The next session recalls the last line (readline's history, kept in the file).
    again = Terminal(tmp_path)
    try:
        again.expect(PROMPT)
        # Ctrl-P twice (what ↑ does; a dumb terminal sends no arrow codes): back past the pasted text to the
        # settings line, which is ASCII, so how the terminal draws Cyrillic does not matter here.
        again.type("\x10\x10")
        again.expect("narrative> settings mute west-in-panic")
        again.type("\x15settings\n")  # Ctrl-U clears the recalled line first
        again.answered("muted: west-in-panic — set here by console")
        again.type("\x04")
    finally:
        assert again.close() == 0


def test_from_a_pipe_there_is_no_prompt(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], input="settings\n", capture_output=True, text=True, timeout=120,
        cwd=tmp_path, env=_env(tmp_path),
    )
    assert result.returncode == 0
    assert PROMPT not in result.stdout and "threshold: 44 — default" in result.stdout
    assert "INFO" not in result.stdout and "starting on console" in result.stderr  # logs on stderr, as before
    assert not (tmp_path / "state" / "console_history").exists()


async def test_settings_and_help_need_no_slash_in_the_console(session: ConsoleSession) -> None:
    await session.push("settings links off")
    assert "no longer read" in session.pop()
    await session.push("help")
    assert "/narrative check" in session.pop()
    await session.push("settings")
    assert "links: off — set here" in session.pop()
