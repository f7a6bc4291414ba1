"""The parsed-and-compiled library cache: hits give the same matcher, and nothing stale or damaged is ever served."""

from __future__ import annotations

import gc
import pickle
from pathlib import Path

from bot.library_cache import LibraryCache, cache_key
from bot.library_holder import LibraryHolder
from matchers import Matcher
from matchers.library import library_from_bytes
from tests.conftest import LIBRARY_PATH

TEXT = "Санкции ООН против КНДР изжили себя, и Россия больше не будет их соблюдать."


def test_a_hit_gives_the_same_matcher(tmp_path: Path) -> None:
    raw = LIBRARY_PATH.read_bytes()
    cache = LibraryCache(tmp_path, min_bytes=0)
    assert cache.load(raw) is None
    fresh = Matcher(library_from_bytes(raw, str(LIBRARY_PATH)))
    cache.save(raw, fresh.library, fresh.compiled)
    hit = cache.load(raw)
    assert hit is not None
    library, compiled = hit
    assert library == fresh.library
    assert Matcher(library, compiled=compiled).score_all(TEXT) == fresh.score_all(TEXT)


def test_nothing_stale_or_damaged_is_served(tmp_path: Path) -> None:
    raw = LIBRARY_PATH.read_bytes()
    cache = LibraryCache(tmp_path, min_bytes=0)
    fresh = Matcher(library_from_bytes(raw, str(LIBRARY_PATH)))
    cache.save(raw, fresh.library, fresh.compiled)
    assert cache.load(raw + b"\n# an edit\n") is None  # another file content: another key
    (entry,) = tmp_path.glob("library-*.pickle")
    entry.write_bytes(pickle.dumps(("another-key", fresh.library, fresh.compiled)))
    assert cache.load(raw) is None  # the key inside must match too
    entry.write_bytes(b"\x80\x05 truncated")
    assert cache.load(raw) is None
    assert gc.isenabled()  # the collector, paused while a cache file is read, runs again after a damaged one
    assert LibraryCache(tmp_path).load(raw) is None  # the shipped library is below the default size: not cached


def test_the_collector_is_left_as_the_caller_had_it(tmp_path: Path) -> None:
    raw = LIBRARY_PATH.read_bytes()
    cache = LibraryCache(tmp_path, min_bytes=0)
    fresh = Matcher(library_from_bytes(raw, str(LIBRARY_PATH)))
    cache.save(raw, fresh.library, fresh.compiled)
    assert cache.load(raw) is not None and gc.isenabled()
    gc.disable()
    try:
        assert cache.load(raw) is not None
        assert not gc.isenabled()  # a caller that had paused it itself finds it paused still
    finally:
        gc.enable()


def test_holder_caches_and_replaces_the_entry_on_reload(tmp_path: Path) -> None:
    path = tmp_path / "narratives.yaml"
    raw = LIBRARY_PATH.read_bytes()
    path.write_bytes(raw)
    cache_dir = tmp_path / "cache"
    holder = LibraryHolder(path, cache=LibraryCache(cache_dir, min_bytes=0), check_every_s=0)
    assert [p.name for p in cache_dir.iterdir()] == [f"library-{cache_key(raw)}.pickle"]
    again = LibraryHolder(path, cache=LibraryCache(cache_dir, min_bytes=0))
    assert again.matcher.score_all(TEXT) == holder.matcher.score_all(TEXT)
    edited = raw + b"\n# a comment the editor added\n"
    path.write_bytes(edited)
    assert holder.reload_if_changed()
    assert [p.name for p in cache_dir.iterdir()] == [f"library-{cache_key(edited)}.pickle"]
