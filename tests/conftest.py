"""Shared fixtures: the shipped library and a matcher over it, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchers import Library, Matcher, load_library

ROOT = Path(__file__).resolve().parent.parent
LIBRARY_PATH = ROOT / "narratives.yaml"
DEV_SET = ROOT.parent / "shared" / "eval" / "dev.jsonl"


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library(LIBRARY_PATH)


@pytest.fixture(scope="session")
def matcher(library: Library) -> Matcher:
    return Matcher(library)
