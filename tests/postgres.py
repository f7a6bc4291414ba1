"""A real PostgreSQL server for the tests: the DSN from NARRATIVE_BOT_TEST_POSTGRES (CI starts a cluster with
.ci/postgres.sh), or, locally, a throwaway cluster of our own when the server binaries are installed.

With NARRATIVE_BOT_TEST_POSTGRES_REQUIRED=1 (set by .ci/run) a missing server fails the PostgreSQL tests instead of
skipping them, so CI cannot pass on SQLite alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DSN_VARIABLE = "NARRATIVE_BOT_TEST_POSTGRES"
REQUIRED_VARIABLE = "NARRATIVE_BOT_TEST_POSTGRES_REQUIRED"


@contextmanager
def postgres_server() -> Iterator[str | None]:
    """The admin DSN of a server to create test databases on; None when there is none (locally only)."""
    dsn = os.environ.get(DSN_VARIABLE)
    if dsn:
        yield dsn
        return
    if os.environ.get(REQUIRED_VARIABLE) == "1":
        yield None
        return
    script = ROOT / ".ci" / "postgres.sh"
    folder = Path(tempfile.mkdtemp(prefix="narrative-pg-"))
    folder.chmod(0o755)  # the cluster's owner (not root) must reach it
    started = subprocess.run(
        ["bash", str(script), "start", str(folder / "cluster")], capture_output=True, text=True, timeout=120
    )
    if started.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        yield None
        return
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(script), "stop", str(folder / "cluster")], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def require(admin_dsn: str | None) -> str:
    if admin_dsn is not None:
        return admin_dsn
    if os.environ.get(REQUIRED_VARIABLE) == "1":
        pytest.fail(f"{REQUIRED_VARIABLE}=1 but {DSN_VARIABLE} is not set: the PostgreSQL tests cannot run")
    pytest.skip(f"no PostgreSQL: set {DSN_VARIABLE} or install the server binaries")


def with_database(dsn: str, name: str) -> str:
    """The same server, another database."""
    import psycopg.conninfo

    return psycopg.conninfo.make_conninfo(dsn, dbname=name) if "://" not in dsn else _url_with_db(dsn, name)


def _url_with_db(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@contextmanager
def fresh_database(admin_dsn: str) -> Iterator[str]:
    """A new empty database on the server for one test, dropped after it: tests never share state."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(admin_dsn, name)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
