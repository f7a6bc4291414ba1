"""Keeps the current Matcher and reloads narratives.yaml when the file changes, keeping the last good one."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from matchers import Library, LibraryError, Matcher, Thresholds
from matchers.library import library_from_bytes, read_library_bytes

logger = logging.getLogger(__name__)


class LibraryHolder:
    """The one place that owns the library in a running bot.

    `matcher` checks the file at most every `check_every_s` seconds; an edit that does not validate is logged with
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
        raw = read_library_bytes(path)  # the first load must succeed
        self._digest = _digest(raw)
        self._matcher = Matcher(library_from_bytes(raw, str(path)), thresholds)
        self._checked_at = clock()

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
        """Reload when the file's content changed; True when a new library went into service.

        The content is compared, not the size and mtime: an edit that keeps both (a same-length fix saved within
        the file system's mtime resolution, a tool that restores mtimes) would otherwise never be seen. The file is
        at most MAX_LIBRARY_BYTES, so hashing it every few seconds costs milliseconds.
        """
        with self._lock:
            try:
                raw = read_library_bytes(self.path)
            except LibraryError as exc:
                return self._rejected(str(exc), None)
            digest = _digest(raw)
            if digest == self._digest:
                return False
            try:
                library = library_from_bytes(raw, str(self.path))
            except LibraryError as exc:
                return self._rejected(str(exc), digest)
            self._digest = digest
            self._matcher = Matcher(library, self.thresholds)
            self.last_error = None
            logger.info("library reloaded from %s: %d narratives", self.path, len(library.narratives))
            return True

    def _rejected(self, error: str, digest: str | None) -> bool:
        # Logged once per bad version (or once while the file is unreadable), not at every check.
        if error != self.last_error:
            logger.error("library edit rejected, keeping the previous one:\n%s", error)
        self.last_error = error
        if digest is not None:
            self._digest = digest
        return False


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
