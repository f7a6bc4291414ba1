"""A disk cache of the parsed library and its compiled lexical index, for libraries too large to rebuild at start.

A hundredfold library is some 60 MB of YAML: the pure-Python YAML parser and the stemming of every phrasing take
half a minute or more, while reading both back from this cache takes a few seconds. Entries are keyed by a hash of
the library files' names and bytes and of the matcher code that built them, so an edit to any part-file or to the
code is never served stale.

The format is pickle, because the index is a graph of Python objects (arrays, dicts, the concept rewriter) with no
schema of its own. Pickle runs code on load, so only files this bot wrote into its own state directory are read,
and only under a name that carries the expected key; whoever can write there can already change the bot's state.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import pickle
from pathlib import Path

import matchers
from matchers import Library
from matchers.atomic import write_atomically
from matchers.index import CompiledLibrary
from matchers.library_files import LibraryFiles

logger = logging.getLogger(__name__)

# Below this size, parsing and compiling take well under a second: no cache file is worth writing.
MIN_CACHED_BYTES = 2 * 1024 * 1024
_CODE_FILES = (
    "candidates.py", "index.py", "library.py", "library_files.py", "normalize.py", "stem_uk.py", "engine.py",
)


def _code_fingerprint() -> str:
    digest = hashlib.sha256()
    folder = Path(matchers.__file__).parent
    for name in _CODE_FILES:
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:16]


def _files(content: bytes | LibraryFiles) -> LibraryFiles:
    return content if isinstance(content, LibraryFiles) else LibraryFiles.single("narratives.yaml", content)


def cache_key(content: bytes | LibraryFiles) -> str:
    """A single file's bytes, or every file of a library (see LibraryFiles.digest), with the code's fingerprint."""
    return f"{_files(content).digest()[:24]}-{_code_fingerprint()}"


class LibraryCache:
    def __init__(self, folder: Path, min_bytes: int = MIN_CACHED_BYTES) -> None:
        self.folder = folder
        self.min_bytes = min_bytes

    def _path(self, key: str) -> Path:
        return self.folder / f"library-{key}.pickle"

    def load(self, content: bytes | LibraryFiles) -> tuple[Library, CompiledLibrary] | None:
        files = _files(content)
        if files.size < self.min_bytes:
            return None
        key = cache_key(files)
        path = self._path(key)
        if not path.is_file():
            return None
        # Unpickling a hundredfold library makes millions of objects, and each few hundred of them start a cycle
        # collection that walks the ones made so far: with the collector paused the load takes half the time
        # (7.6-8.0 s against 3.1-4.0 s for the 100x bench library's 190 MB cache). Loading makes no garbage.
        collecting = gc.isenabled()
        gc.disable()
        try:
            with path.open("rb") as handle:
                stored_key, library, compiled = pickle.load(handle)  # our own file: see the module docstring
        except Exception as exc:  # a damaged cache is only a cache: rebuilt below
            logger.info("library cache %s unreadable (%s); rebuilding", path.name, type(exc).__name__)
            return None
        finally:
            if collecting:
                gc.enable()
        if stored_key != key or not isinstance(library, Library) or not isinstance(compiled, CompiledLibrary):
            return None
        return library, compiled

    def save(self, content: bytes | LibraryFiles, library: Library, compiled: CompiledLibrary) -> None:
        files = _files(content)
        if files.size < self.min_bytes:
            return
        key = cache_key(files)
        try:
            write_atomically(
                self._path(key), lambda handle: pickle.dump((key, library, compiled), handle, pickle.HIGHEST_PROTOCOL)
            )
        except OSError as exc:  # a full disk must not stop the bot: the cache only saves time
            logger.warning("library cache not written: %s", exc)
            return
        for old in self.folder.glob("library-*.pickle"):
            if old != self._path(key):
                old.unlink(missing_ok=True)
