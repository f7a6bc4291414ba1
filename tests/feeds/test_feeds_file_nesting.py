"""A deeply nested feeds file gets a located error, not RecursionError (issue 11, item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.feed_store import FeedsFileError, read_feeds_file
from tests.matchers.test_library_nesting import NESTINGS


@pytest.mark.parametrize("text", NESTINGS.values(), ids=NESTINGS.keys())
def test_deep_feeds_file_is_refused_with_its_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FeedsFileError, match=r"line [0-9]+: nested more than"):
        read_feeds_file(path, "slack")
