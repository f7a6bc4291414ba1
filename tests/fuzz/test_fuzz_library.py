"""Properties of the library loader: LibraryError is the only refusal, with a located message (issue 11, item 8)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from matchers import Library, LibraryError, parse_library
from tests.conftest import LIBRARY_PATH
from tests.fuzz.fuzzing import FUZZ, nasty_text

# The opening of the shipped library: a few narratives, enough to reach every validator quickly.
_SHIPPED = LIBRARY_PATH.read_text(encoding="utf-8")
_BASE = _SHIPPED[: [m.start() for m in re.finditer(r"(?m)^  - id: ", _SHIPPED)][3]]
_YAML_BITS = [
    "\n", ": ", "- ", "  ", "[", "]", "{", "}", "&a ", "*a", "!!python/object ", "? ", "|", ">", "#", "'", '"',
    "yes", "NO", "12:30", "~", "null", "\t", "%YAML 1.1\n", "---\n", "...\n", "\ufeff", "\x00", "\ud800",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = _BASE
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "bits"]))
        if kind == "insert":
            text = text[:at] + draw(nasty_text) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(min_value=1, max_value=200)) :]
        else:
            text = text[:at] + "".join(draw(st.lists(st.sampled_from(_YAML_BITS), max_size=6))) + text[at:]
    return text


def _load(text: str) -> None:
    try:
        library = parse_library(text, "fuzz.yaml")
    except LibraryError as exc:  # the documented refusal: every problem names the file
        assert exc.problems and all(p.startswith("fuzz.yaml") for p in exc.problems)
        return
    assert isinstance(library, Library) and library.narratives


@FUZZ
@given(text=mutated())
def test_mutated_library_loads_or_is_refused_with_a_location(text: str) -> None:
    _load(text)


@FUZZ
@given(text=st.one_of(nasty_text, st.lists(st.sampled_from(_YAML_BITS), max_size=40).map("".join)))
def test_arbitrary_text_loads_or_is_refused(text: str) -> None:
    _load(text)


@FUZZ
@given(depth=st.integers(min_value=1, max_value=3_000), opener=st.sampled_from(["[", "{a: ", "- "]))
def test_any_nesting_depth_is_refused_or_loaded(depth: int, opener: str) -> None:
    closer = {"[": "]", "{a: ": "}", "- ": ""}[opener]
    _load("version: 1\nnarratives: " + opener * depth + "x" + closer * depth)
