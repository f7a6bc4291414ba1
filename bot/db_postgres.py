"""The PostgreSQL backend: a psycopg 3 connection pool; statements rewritten from SQLite by bot.sql_dialect."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.sql_dialect import for_postgres, split_script
from bot.store import StoreUnavailable

# Any constant shared by every replica: the migration of one waits for another's to finish (advisory lock).
_MIGRATION_LOCK = 0x6E6172726174  # "narrat"
POOL_MAX = 8  # the poller's worker threads and the event loop, with room to spare


class Row(tuple[Any, ...]):
    """A row readable by position and by column name, as sqlite3.Row is."""

    _names: dict[str, int]

    def __new__(cls, names: dict[str, int], values: Sequence[Any]) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return super().__getitem__(self._names[key])
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], Row]:
    names = {col.name: i for i, col in enumerate(cursor.description or ())}
    return lambda values: Row(names, values)


class PgCursor:
    """The few cursor features the store uses (rowcount, fetchone, fetchall), over a psycopg cursor."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()


class PgConnection:
    """A connection inside a transaction that takes SQLite-dialect statements, like sqlite3.Connection."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> PgCursor:
        cursor = self._conn.cursor(row_factory=_row_factory)
        cursor.execute(for_postgres(sql), tuple(params))
        return PgCursor(cursor)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> None:
        batch = [tuple(r) for r in rows]
        if batch:
            with self._conn.cursor() as cursor:
                cursor.executemany(for_postgres(sql), batch)

    def executescript(self, script: str, /) -> None:
        for statement in split_script(script):
            self._conn.execute(for_postgres(statement), ())


class PostgresDatabase:
    """A pool of connections to one PostgreSQL database, shared by the replicas through the server."""

    dialect = "postgresql"

    def __init__(self, dsn: str, *, max_size: int = POOL_MAX, connect_timeout_s: float = 10.0) -> None:
        self.name = _describe(dsn)
        self._pool = ConnectionPool(
            dsn, min_size=1, max_size=max_size, open=False, timeout=connect_timeout_s,
            kwargs={"autocommit": False}, name="narrative-bot",
        )
        try:
            self._pool.open(wait=True, timeout=connect_timeout_s)
        except PoolTimeout:
            self._pool.close()
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL at {self.name} within {connect_timeout_s:g} s"
            ) from None

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout:
            raise StoreUnavailable(f"no PostgreSQL connection to {self.name} available") from None
        except psycopg.OperationalError as exc:  # the server went away mid-statement
            raise StoreUnavailable(f"PostgreSQL at {self.name}: {exc}") from None

    def schema_version(self) -> int:
        with self._connection() as conn:
            exists = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
            if not exists or not exists[0]:
                return 0
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            return int(row[0]) if row else 0

    def apply_migrations(self, migrations: Sequence[str], on_step: Callable[[int, int | None], None]) -> None:
        """Run the pending migrations in one transaction, under a lock that a replica starting at the same time
        waits on (DDL is transactional in PostgreSQL: a failed step leaves no half)."""
        with self._connection() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                conn.execute("INSERT INTO schema_version VALUES (0)")
            current = int(row[0]) if row else 0
            on_step(current, None)
            wrapped = PgConnection(conn)
            for version in range(current + 1, len(migrations) + 1):
                on_step(current, version)
                wrapped.executescript(migrations[version - 1])
                conn.execute("UPDATE schema_version SET version = %s", (version,))

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        """A transaction on one pooled connection: committed on exit, rolled back on an exception."""
        with self._connection() as conn:
            yield PgConnection(conn)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        with self._connection() as conn:
            cursor = conn.cursor(row_factory=_row_factory)
            cursor.execute(for_postgres(sql), tuple(params))
            return cursor.fetchall()

    def close(self) -> None:
        self._pool.close()


def _describe(dsn: str) -> str:
    """host:port/dbname, for messages: never the user or password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "(an invalid PostgreSQL URL)"
    host = str(info.get("host") or "localhost")
    port = str(info.get("port") or "5432")
    return f"{host}:{port}/{info.get('dbname') or ''}"
