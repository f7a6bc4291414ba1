"""Shared fixtures: the shipped library and a matcher over it, built once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from matchers import Library, Matcher, load_library

ROOT = Path(__file__).resolve().parent.parent
LIBRARY_PATH = ROOT / "narratives.yaml"
DEV_SET = ROOT.parent / "shared" / "eval" / "dev.jsonl"


@pytest.fixture(scope="session", autouse=True)
def _lexical_stage_in_subprocesses() -> None:
    """Bot processes the tests start match with the lexical stage unless a test asks for the semantic one: a
    semantic build per process would cost each test seconds. The semantic stage has tests of its own."""
    os.environ.setdefault("NARRATIVE_BOT_SEMANTIC", "off")


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library(LIBRARY_PATH)


@pytest.fixture(scope="session")
def matcher(library: Library) -> Matcher:
    return Matcher(library)
