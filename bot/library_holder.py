"""Keeps the current Matcher and reloads the library when any of its files changes, keeping the last good one."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bot.library_cache import LibraryCache
from matchers import Library, LibraryError, Matcher, Thresholds
from matchers.library import MAX_LIBRARY_BYTES, library_from_files
from matchers.library_files import LibraryFiles, LibraryStamp, library_stamp, read_library_files
from matchers.semantic import HybridMatcher

AnyMatcher = Matcher | HybridMatcher
# Builds the full matcher for a library (embedding and training as needed); slow, so it runs off the caller.
SemanticBuild = Callable[[Library], HybridMatcher]

logger = logging.getLogger(__name__)


class LibraryHolder:
    """The one place that owns the library in a running bot.

    `matcher` checks the library's files (narratives.yaml and its part-files, or a folder's) at most every
    `check_every_s` seconds; an edit that does not validate is logged with its line-numbered errors and the previous
    library stays in service, so a typo never silences the bot.

    With a `semantic` build, the lexical matcher serves at once and the full one replaces it when its build (in a
    background thread) is done; a reload does the same, so the bot never waits on embedding.
    """

    def __init__(
        self,
        path: Path,
        thresholds: Thresholds | None = None,
        *,
        check_every_s: float = 2.0,
        verify_every_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        semantic: SemanticBuild | None = None,
        max_bytes: int = MAX_LIBRARY_BYTES,
        cache: LibraryCache | None = None,
    ) -> None:
        self.path = path
        self.thresholds = thresholds
        self.check_every_s = check_every_s
        self.verify_every_s = verify_every_s
        self.clock = clock
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self.semantic = semantic
        self.semantic_error: str | None = None
        self._generation = 0
        self._semantic_ready = threading.Event()
        self.max_bytes = max_bytes
        self.cache = cache
        self._stamp = library_stamp(path)
        files = read_library_files(path, max_bytes=max_bytes)  # the first load must succeed
        self._digest = files.digest()
        self._read_at = clock()
        lexical = self._lexical(files)
        library = lexical.library
        self._matcher: AnyMatcher = lexical
        self._checked_at = clock()
        self._start_semantic(library)

    def _lexical(self, files: LibraryFiles) -> Matcher:
        """The lexical matcher for the files' bytes: from the cache when it holds them, else parsed, compiled and
        cached (large libraries only)."""
        cached = self.cache.load(files) if self.cache is not None else None
        if cached is not None:
            return Matcher(cached[0], self.thresholds, cached[1])
        matcher = Matcher(library_from_files(files, max_bytes=self.max_bytes), self.thresholds)
        if self.cache is not None:
            self.cache.save(files, matcher.library, matcher.compiled)
        return matcher

    def _start_semantic(self, library: Library, lexical: Matcher | None = None) -> None:
        """Build the full matcher in the background. `lexical` is the new library's lexical matcher, kept in
        reserve while the previous full matcher goes on serving: it goes into service if the build fails."""
        self._semantic_ready.clear()
        build = self.semantic
        if build is None:
            self._semantic_ready.set()
            return
        generation = self._generation

        def work() -> None:
            try:
                full = build(library)
            except Exception as exc:  # any failure leaves the lexical stage serving, said once
                self.semantic_error = str(exc) or type(exc).__name__
                logger.warning("semantic stage unavailable, matching with the lexical stage only: %s", exc)
                with self._lock:
                    if lexical is not None and generation == self._generation:
                        self._matcher = lexical
            else:
                with self._lock:
                    if generation == self._generation:  # a newer library may have arrived meanwhile
                        self._matcher = full
                        self.semantic_error = None
                logger.info("semantic stage ready: %s", full.mode)
            finally:
                if generation == self._generation:
                    self._semantic_ready.set()

        threading.Thread(target=work, name="semantic-build", daemon=True).start()

    def wait_semantic(self, timeout: float | None = None) -> bool:
        """Block until the semantic build of the current library has finished (well or not)."""
        return self._semantic_ready.wait(timeout)

    @property
    def library(self) -> Library:
        return self.matcher.library

    @property
    def matcher(self) -> AnyMatcher:
        now = self.clock()
        if now - self._checked_at >= self.check_every_s:
            self._checked_at = now
            self.reload_if_changed()
        return self._matcher

    def reload_if_changed(self) -> bool:
        """Reload when the library's content changed; True when a new library went into service.

        The content decides, not the size and mtime: an edit that keeps both (a same-length fix saved within the
        file system's timestamp resolution, a tool that restores mtimes) must be seen too. But reading and hashing a
        large library (100 MB and more) at every check would cost a quarter of a second each time, so the files are
        read only when their stamp (names, sizes, times, inodes; the folder of part-files listed again) differs from
        the one of the last read, when that stamp was taken while a file was still fresh (see SETTLE_NS), or
        `verify_every_s` after the last read, which bounds how long an edit that fools every stat goes unseen.
        """
        with self._lock:
            stamp = library_stamp(self.path)
            if self._unchanged(stamp):
                return False
            try:
                files = read_library_files(self.path, max_bytes=self.max_bytes)
            except LibraryError as exc:
                self._stamp = None
                return self._rejected(str(exc), None)
            self._stamp, self._read_at = stamp, self.clock()
            digest = files.digest()
            if digest == self._digest:
                return False
            try:
                lexical = self._lexical(files)
            except LibraryError as exc:
                return self._rejected(str(exc), digest)
            library = lexical.library
            self._digest = digest
            self._generation += 1
            self.last_error = None
            if self.semantic is not None and isinstance(self._matcher, HybridMatcher):
                # The full matcher of the previous library serves until the new one is built (seconds: only
                # changed lines are embedded again).
                self._start_semantic(library, lexical)
            else:
                self._matcher = lexical
                self._start_semantic(library)
            logger.info("library reloaded from %s: %d narratives", self.path, len(library.narratives))
            return True

    def _unchanged(self, stamp: LibraryStamp | None) -> bool:
        """Whether the files are known unchanged since the last read without reading them again."""
        last = self._stamp
        return (
            stamp is not None
            and last is not None
            and last.settled
            and stamp.entries == last.entries
            and self.clock() - self._read_at < self.verify_every_s
        )

    def _rejected(self, error: str, digest: str | None) -> bool:
        # Logged once per bad version (or once while the file is unreadable), not at every check.
        if error != self.last_error:
            logger.error("library edit rejected, keeping the previous one:\n%s", error)
        self.last_error = error
        if digest is not None:
            self._digest = digest
        return False
