"""The SQLite backend: one file, WAL, one writer at a time (the embedded default)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class SqliteDatabase:
    """One connection to one file, shared by every part of the bot.

    SQLite allows one writer at a time; a lock serialises our writes so that concurrent tasks (and threads from
    asyncio.to_thread) never see "database is locked", and WAL lets readers proceed meanwhile.
    """

    dialect = "sqlite"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.name = str(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=30000")

    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def apply_migrations(self, migrations: Sequence[str], on_step: Callable[[int, int | None], None]) -> None:
        """Run the migrations past the file's version, each in its own transaction."""
        with self._lock:
            current = self.schema_version()
            on_step(current, None)
            for version in range(current + 1, len(migrations) + 1):
                on_step(current, version)
                # executescript commits first; wrap in an explicit transaction so a failed step leaves no half.
                self._db.executescript(f"BEGIN;\n{migrations[version - 1]}\nPRAGMA user_version = {version};\nCOMMIT;")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE): all or nothing, one writer at a time."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        with self._lock:
            return list(self._db.execute(sql, tuple(params)).fetchall())

    def close(self) -> None:
        with self._lock:
            self._db.close()
