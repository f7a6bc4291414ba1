"""Hot reload compares content, not size and mtime (issue 11, item 7)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.library_holder import LibraryHolder
from tests.conftest import LIBRARY_PATH


def _rewrite_keeping_stat(path: Path, text: str) -> None:
    st = os.stat(path)
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (os.stat(path).st_size, os.stat(path).st_mtime_ns) == (st.st_size, st.st_mtime_ns)


def test_edit_keeping_size_and_mtime_is_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "narratives.yaml"
    original = LIBRARY_PATH.read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    now = [0.0]
    holder = LibraryHolder(path, check_every_s=1.0, clock=lambda: now[0])
    # A same-length edit saved with the old mtime restored, as some editors and sync tools do.
    edited = original.replace("id: troops-denial", "id: troops-deniel", 1)
    assert len(edited.encode()) == len(original.encode())
    _rewrite_keeping_stat(path, edited)
    now[0] += 2
    assert "troops-deniel" in holder.matcher.library.ids
    assert holder.reload_if_changed() is False  # unchanged content: no second reload


def test_bad_edit_is_logged_once_and_a_missing_file_keeps_the_library(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "narratives.yaml"
    original = LIBRARY_PATH.read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    holder = LibraryHolder(path)
    with caplog.at_level(logging.ERROR):
        path.write_text(original.replace("version: 1", "version: 1\nversion: 2", 1), encoding="utf-8")
        assert holder.reload_if_changed() is False
        assert holder.reload_if_changed() is False
        path.unlink()
        assert holder.reload_if_changed() is False
    assert caplog.text.count("duplicate key 'version'") == 1
    assert "troops-denial" in holder.library.ids
    path.write_text(original, encoding="utf-8")
    assert holder.reload_if_changed() is True and holder.last_error is None
