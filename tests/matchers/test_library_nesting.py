"""Deeply nested YAML gets a located error, not RecursionError (issue 11, item 7)."""

from __future__ import annotations

import pytest

from matchers import LibraryError, parse_library

DEPTH = 2_000
NESTINGS = {
    "flow sequences": "[" * DEPTH + "]" * DEPTH,
    "flow mappings": "{a: " * DEPTH + "x" + "}" * DEPTH,
    "block sequences": "- " * DEPTH + "x\n",
    "under a key": "version: 1\nnarratives:\n  - id: deep\n    summary: " + "[" * DEPTH + "]" * DEPTH + "\n",
}


@pytest.mark.parametrize("text", NESTINGS.values(), ids=NESTINGS.keys())
def test_deep_library_is_refused_with_its_line(text: str) -> None:
    with pytest.raises(LibraryError) as err:
        parse_library(text, "deep.yaml")
    (problem,) = err.value.problems
    assert problem.startswith("deep.yaml:") and "nested more than" in problem
    assert len(str(err.value).splitlines()) == 1


def test_unpaired_surrogate_is_a_located_error() -> None:
    # Found by the library fuzzer: parse_library took any str and failed on encoding it.
    with pytest.raises(LibraryError) as err:
        parse_library("version: 1\nnarratives:\n  - id: a\ud800b\n", "deep.yaml")
    assert err.value.problems == ["deep.yaml:3:10: an unpaired surrogate is not text"]
