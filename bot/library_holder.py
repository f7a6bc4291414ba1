"""Keeps the current Matcher and reloads narratives.yaml when the file changes, keeping the last good one."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from matchers import Library, LibraryError, Matcher, Thresholds, load_library

logger = logging.getLogger(__name__)


class LibraryHolder:
    """The one place that owns the library in a running bot.

    `matcher` stats the file at most every `check_every_s` seconds; an edit that does not validate is logged with
    its line-numbered errors and the previous library stays in service, so a typo never silences the bot.
    """

    def __init__(
        self,
        path: Path,
        thresholds: Thresholds | None = None,
        *,
        check_every_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.thresholds = thresholds
        self.check_every_s = check_every_s
        self.clock = clock
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._stamp = self._file_stamp()
        self._matcher = Matcher(load_library(path), thresholds)  # the first load must succeed
        self._checked_at = clock()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    @property
    def library(self) -> Library:
        return self.matcher.library

    @property
    def matcher(self) -> Matcher:
        now = self.clock()
        if now - self._checked_at >= self.check_every_s:
            self._checked_at = now
            self.reload_if_changed()
        return self._matcher

    def reload_if_changed(self) -> bool:
        """Reload when the file's mtime or size changed; True when a new library went into service."""
        with self._lock:
            stamp = self._file_stamp()
            if stamp is None or stamp == self._stamp:
                return False
            self._stamp = stamp
            try:
                library = load_library(self.path)
            except LibraryError as exc:
                self.last_error = str(exc)
                logger.error("library edit rejected, keeping the previous one:\n%s", exc)
                return False
            self._matcher = Matcher(library, self.thresholds)
            self.last_error = None
            logger.info("library reloaded from %s: %d narratives", self.path, len(library.narratives))
            return True
