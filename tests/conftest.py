"""Shared fixtures: the shipped library and a matcher over it, built once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from matchers import Library, Matcher, load_library
from tests.postgres import fresh_database, postgres_server, require

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


@pytest.fixture(scope="session")
def postgres_admin_dsn() -> Iterator[str | None]:
    """A real PostgreSQL server for the session (tests/postgres.py); None when there is none."""
    with postgres_server() as dsn:
        yield dsn


@pytest.fixture
def postgres_dsn(postgres_admin_dsn: str | None) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (fails in CI, skips locally, when there is no server)."""
    with fresh_database(require(postgres_admin_dsn)) as dsn:
        yield dsn


@pytest.fixture(params=["sqlite", "postgresql"])
def state_location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a test's state lives, once per backend: a SQLite file, or a fresh PostgreSQL database. Every store
    test that takes it runs against both."""
    if request.param == "sqlite":
        return tmp_path / "state.sqlite3"
    dsn: str = request.getfixturevalue("postgres_dsn")
    return dsn
