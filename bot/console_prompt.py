"""The console's input: a prompt with line editing and history (readline) on a terminal, plain lines otherwise."""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path
from types import ModuleType
from typing import TextIO

logger = logging.getLogger(__name__)

PROMPT = "narrative> "
HISTORY_LINES = 1000


def _readline() -> ModuleType | None:
    try:
        import readline
    except ImportError:  # a Python built without it: the prompt still works, without editing
        return None
    return readline


class LineReader:
    """Reads one line at a time; '' at the end of input, like TextIO.readline.

    On a terminal the prompt is drawn and lines can be edited and recalled (↑, Ctrl-R), and the history is kept
    between sessions in `history_path`. From a pipe or a file, lines are read as they come, with no prompt, so a
    script's output holds only the bot's answers.
    """

    def __init__(self, stdin: TextIO, stdout: TextIO, history_path: Path | None = None) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.history_path = history_path
        # input() edits lines only on the process's own terminal; any other stream is read plainly.
        self.interactive = stdin is sys.stdin and stdout is sys.stdout and _is_terminal(stdin) and _is_terminal(stdout)
        self._readline = _readline() if self.interactive else None
        if self._readline is not None and history_path is not None:
            self._readline.set_history_length(HISTORY_LINES)
            with contextlib.suppress(FileNotFoundError, OSError):
                self._readline.read_history_file(str(history_path))

    def readline(self) -> str:
        if not self.interactive:
            return self.stdin.readline()
        try:
            return input(PROMPT) + "\n"
        except EOFError:
            print(file=self.stdout, flush=True)  # Ctrl-D leaves the cursor after the prompt
            return ""

    def close(self) -> None:
        if self._readline is None or self.history_path is None:
            return
        try:
            self.history_path.parent.mkdir(parents=True, exist_ok=True)
            self._readline.write_history_file(str(self.history_path))
        except OSError as exc:
            logger.warning("could not save the console history to %s: %s", self.history_path, exc)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
