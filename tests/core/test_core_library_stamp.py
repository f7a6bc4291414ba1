"""The reload check reads a library's files only when their stamp says they may have changed, or to verify."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot import library_holder
from bot.library_holder import LibraryHolder
from matchers.library_files import SETTLE_NS, LibraryFiles, LibraryStamp, library_stamp
from tests.conftest import LIBRARY_PATH


def test_a_stamp_is_settled_only_when_every_file_is_older_than_the_settle_time() -> None:
    now = 10 * SETTLE_NS
    old = ("a.yaml", 10, now - 2 * SETTLE_NS, now - 2 * SETTLE_NS, 1)
    fresh_ctime = ("b.yaml", 10, now - 2 * SETTLE_NS, now - SETTLE_NS // 2, 2)
    assert LibraryStamp((old,), now).settled
    assert not LibraryStamp((old, fresh_ctime), now).settled


def test_the_stamp_follows_part_files_and_edits(tmp_path: Path) -> None:
    path = tmp_path / "narratives.yaml"
    path.write_text(LIBRARY_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    first = library_stamp(path)
    assert first is not None and [e[0] for e in first.entries] == [str(path)]
    assert not first.settled  # just written
    folder = tmp_path / "narratives.d"
    folder.mkdir()
    (folder / "extra.yaml").write_text("narratives: []\n", encoding="utf-8")
    second = library_stamp(path)
    assert second is not None and len(second.entries) == 2
    path.write_text(LIBRARY_PATH.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    third = library_stamp(path)
    assert third is not None and third.entries[0][1] == first.entries[0][1] + 1
    assert library_stamp(tmp_path / "missing.yaml") is None


def test_a_settled_unchanged_library_is_read_only_to_verify_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "narratives.yaml"
    original = LIBRARY_PATH.read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    time.sleep(SETTLE_NS / 1e9 + 0.2)  # the file's times (ctime included, which no test can set) must be old
    reads: list[Path] = []
    real_read = library_holder.read_library_files

    def counting_read(p: str | Path, *, max_bytes: int) -> LibraryFiles:
        reads.append(Path(p))
        return real_read(p, max_bytes=max_bytes)

    monkeypatch.setattr(library_holder, "read_library_files", counting_read)
    now = [0.0]
    holder = LibraryHolder(path, check_every_s=1.0, verify_every_s=30.0, clock=lambda: now[0])
    assert reads == [path]
    for _ in range(10):
        now[0] += 2
        assert "troops-denial" in holder.matcher.library.ids
    assert reads == [path]  # ten checks, no read: the stamp was settled and unchanged
    now[0] += 12  # 32 s after the read
    assert holder.matcher.library.ids
    assert reads == [path, path]  # the periodic verification
    # An edit changes the stamp: it is read (and loaded) at the next check.
    path.write_text(original.replace("id: troops-denial", "id: troops-deniel", 1), encoding="utf-8")
    now[0] += 2
    assert "troops-deniel" in holder.matcher.library.ids
    assert len(reads) == 3
    # Just written, the file is read at every check until it has settled.
    now[0] += 2
    assert holder.matcher.library.ids
    assert len(reads) == 4
