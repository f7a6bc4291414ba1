"""The bot's state (SQLite or PostgreSQL): migrations; handled messages, events, feedback and subscriptions."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bot.config import Secret
from bot.db_sqlite import SqliteDatabase

logger = logging.getLogger(__name__)


class StoreUnavailable(RuntimeError):
    """The database cannot be reached; the message never repeats a DSN (it may hold a password)."""


def is_postgres_url(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


class Cursor(Protocol):
    """What the store reads from a statement it ran (sqlite3.Cursor, bot.db_postgres.PgCursor)."""

    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """A connection inside a transaction, taking SQLite-dialect statements (sqlite3.Connection, PgConnection)."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...
    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> object: ...
    def executescript(self, script: str, /) -> object: ...


class Database(Protocol):
    """What a backend offers the Store (bot/db_sqlite.py, bot/db_postgres.py)."""

    dialect: str
    name: str  # for messages: a path, or host:port/dbname (never a password)

    def schema_version(self) -> int: ...
    def apply_migrations(self, migrations: Sequence[str], on_step: Callable[[int, int | None], None]) -> None:
        """Run the migrations past the database's version; on_step(current, None) first (it may refuse a newer
        schema by raising), then on_step(current, version) before each."""
    def transaction(self) -> AbstractContextManager[Connection]: ...
    def query(self, sql: str, params: Sequence[object] = ()) -> list[Any]: ...
    def close(self) -> None: ...


# Migration 7 (see MIGRATIONS): the tables with a workspace's rows gain `tenant` and keys that include it. Every
# row written before belongs to the one install there was: tenant '' (a Discord server adopts its rows when the
# bot sees it, bot/tenants.py).
TENANT_MIGRATION_SQLITE = """
CREATE TABLE subscriptions_7 (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    tenant TEXT NOT NULL DEFAULT '',
    channel_id TEXT NOT NULL,
    feed_url TEXT NOT NULL,
    created_at REAL NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    UNIQUE (platform, tenant, channel_id, feed_url)
);
INSERT INTO subscriptions_7 (id, platform, channel_id, feed_url, created_at, created_by)
    SELECT id, platform, channel_id, feed_url, created_at, created_by FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_7 RENAME TO subscriptions;
CREATE INDEX subscriptions_by_feed ON subscriptions (feed_url);

CREATE TABLE feedback_7 (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    tenant TEXT NOT NULL DEFAULT '',
    channel_id TEXT NOT NULL,
    message_ref TEXT NOT NULL,
    narrative_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    value TEXT NOT NULL CHECK (value IN ('correct', 'wrong')),
    created_at REAL NOT NULL,
    reason TEXT,
    UNIQUE (platform, tenant, message_ref, narrative_id, user_id)
);
INSERT INTO feedback_7 (id, platform, channel_id, message_ref, narrative_id, user_id, value, created_at, reason)
    SELECT id, platform, channel_id, message_ref, narrative_id, user_id, value, created_at, reason FROM feedback;
DROP TABLE feedback;
ALTER TABLE feedback_7 RENAME TO feedback;

CREATE TABLE channel_settings_7 (
    platform TEXT NOT NULL,
    tenant TEXT NOT NULL DEFAULT '',
    channel_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at REAL NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (platform, tenant, channel_id, name)
);
INSERT INTO channel_settings_7 (platform, channel_id, name, value, updated_at, updated_by)
    SELECT platform, channel_id, name, value, updated_at, updated_by FROM channel_settings;
DROP TABLE channel_settings;
ALTER TABLE channel_settings_7 RENAME TO channel_settings;

CREATE TABLE alert_history_7 (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    workspace_id TEXT,
    tenant TEXT NOT NULL DEFAULT '',
    channel_id TEXT NOT NULL,
    message_ref TEXT NOT NULL,
    message_id TEXT,
    permalink TEXT,
    origin TEXT NOT NULL CHECK (origin IN ('message', 'feed')),
    narrative_id TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    score INTEGER NOT NULL,
    source_url TEXT,
    site TEXT,
    feed_url TEXT,
    evidence TEXT NOT NULL DEFAULT '',
    excerpt TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    UNIQUE (platform, tenant, channel_id, message_ref, narrative_id)
);
INSERT INTO alert_history_7 (id, platform, workspace_id, tenant, channel_id, message_ref, message_id, permalink,
        origin, narrative_id, title, score, source_url, site, feed_url, evidence, excerpt, created_at)
    SELECT id, platform, workspace_id, '', channel_id, message_ref, message_id, permalink,
        origin, narrative_id, title, score, source_url, site, feed_url, evidence, excerpt, created_at
    FROM alert_history;
DROP TABLE alert_history;
ALTER TABLE alert_history_7 RENAME TO alert_history;
CREATE INDEX alert_history_by_channel ON alert_history (platform, tenant, channel_id, created_at);
CREATE INDEX alert_history_by_time ON alert_history (created_at);

CREATE TABLE digest_channels_7 (
    platform TEXT NOT NULL,
    tenant TEXT NOT NULL DEFAULT '',
    channel_id TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    last_week TEXT,
    updated_at REAL NOT NULL,
    PRIMARY KEY (platform, tenant, channel_id)
);
INSERT INTO digest_channels_7 (platform, channel_id, enabled, last_week, updated_at)
    SELECT platform, channel_id, enabled, last_week, updated_at FROM digest_channels;
DROP TABLE digest_channels;
ALTER TABLE digest_channels_7 RENAME TO digest_channels;

CREATE TABLE feed_alerts_7 (
    id INTEGER PRIMARY KEY,
    feed_url TEXT NOT NULL,
    item_key TEXT,
    platform TEXT NOT NULL,
    tenant TEXT NOT NULL DEFAULT '',
    channel_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('alert', 'notice')),
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'posted', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at REAL NOT NULL,
    posted_at REAL,
    attempted_at REAL,
    UNIQUE (feed_url, item_key, platform, tenant, channel_id)
);
INSERT INTO feed_alerts_7 (id, feed_url, item_key, platform, channel_id, kind, payload, status, attempts,
        next_attempt_at, last_error, created_at, posted_at, attempted_at)
    SELECT id, feed_url, item_key, platform, channel_id, kind, payload, status, attempts, next_attempt_at,
        last_error, created_at, posted_at, attempted_at FROM feed_alerts;
DROP TABLE feed_alerts;
ALTER TABLE feed_alerts_7 RENAME TO feed_alerts;
CREATE INDEX feed_alerts_pending ON feed_alerts (status, platform, next_attempt_at);
"""

# PostgreSQL names a table's UNIQUE constraint table_columns_key and its primary key table_pkey.
TENANT_MIGRATION_POSTGRES = """
ALTER TABLE subscriptions ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_platform_channel_id_feed_url_key;
ALTER TABLE subscriptions ADD UNIQUE (platform, tenant, channel_id, feed_url);
ALTER TABLE feedback ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE feedback DROP CONSTRAINT feedback_platform_message_ref_narrative_id_user_id_key;
ALTER TABLE feedback ADD UNIQUE (platform, tenant, message_ref, narrative_id, user_id);
ALTER TABLE channel_settings ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE channel_settings DROP CONSTRAINT channel_settings_pkey;
ALTER TABLE channel_settings ADD PRIMARY KEY (platform, tenant, channel_id, name);
ALTER TABLE alert_history ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE alert_history DROP CONSTRAINT alert_history_platform_channel_id_message_ref_narrative_id_key;
ALTER TABLE alert_history ADD UNIQUE (platform, tenant, channel_id, message_ref, narrative_id);
DROP INDEX alert_history_by_channel;
CREATE INDEX alert_history_by_channel ON alert_history (platform, tenant, channel_id, created_at);
ALTER TABLE digest_channels ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE digest_channels DROP CONSTRAINT digest_channels_pkey;
ALTER TABLE digest_channels ADD PRIMARY KEY (platform, tenant, channel_id);
ALTER TABLE feed_alerts ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE feed_alerts DROP CONSTRAINT feed_alerts_feed_url_item_key_platform_channel_id_key;
ALTER TABLE feed_alerts ADD UNIQUE (feed_url, item_key, platform, tenant, channel_id);
"""


# Each entry moves the schema one version up; never edit a released entry, append a new one. Write them in SQLite's
# dialect, within what bot/sql_dialect.py rewrites for PostgreSQL (its docstring has the table).
# An entry is one script, or one per dialect where no single script fits both.
MIGRATIONS: list[str | dict[str, str]] = [
    # 1: chat-side state
    """
    CREATE TABLE handled_messages (
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        handled_at REAL NOT NULL,
        PRIMARY KEY (platform, channel_id, message_id)
    );
    CREATE TABLE handled_events (
        platform TEXT NOT NULL,
        event_id TEXT NOT NULL,
        seen_at REAL NOT NULL,
        PRIMARY KEY (platform, event_id)
    );
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        message_ref TEXT NOT NULL,
        narrative_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        value TEXT NOT NULL CHECK (value IN ('correct', 'wrong')),
        created_at REAL NOT NULL,
        UNIQUE (platform, message_ref, narrative_id, user_id)
    );
    CREATE TABLE subscriptions (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        feed_url TEXT NOT NULL,
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT '',
        UNIQUE (platform, channel_id, feed_url)
    );
    CREATE INDEX subscriptions_by_feed ON subscriptions (feed_url);
    """,
    # 2: feed polling state (bot/feed_store.py): per-feed schedule, seen item keys, pending alerts and notices
    """
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY,
        title TEXT,
        etag TEXT,
        last_modified TEXT,
        primed INTEGER NOT NULL DEFAULT 0,
        next_poll_at REAL NOT NULL DEFAULT 0,
        last_poll_at REAL,
        last_ok_at REAL,
        failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        disabled_at REAL,
        created_at REAL NOT NULL
    );
    CREATE TABLE feed_items (
        feed_url TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        first_seen_at REAL NOT NULL,
        last_seen_at REAL NOT NULL,
        PRIMARY KEY (feed_url, kind, key)
    );
    CREATE TABLE feed_alerts (
        id INTEGER PRIMARY KEY,
        feed_url TEXT NOT NULL,
        item_key TEXT,
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('alert', 'notice')),
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'posted', 'failed', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at REAL NOT NULL,
        posted_at REAL,
        UNIQUE (feed_url, item_key, platform, channel_id)
    );
    CREATE INDEX feed_alerts_pending ON feed_alerts (status, platform, next_attempt_at);
    """,
    # 3: when the first attempt to post a pending row began, written before the post: after a timeout or a crash
    # the sender looks for that post on the platform before posting again (bot/feeds.py, deliver)
    """
    ALTER TABLE feed_alerts ADD COLUMN attempted_at REAL;
    """,
    # 4: per-channel settings (bot/channel_settings.py): one row per setting a channel changed from the defaults
    """
    CREATE TABLE channel_settings (
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at REAL NOT NULL,
        updated_by TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (platform, channel_id, name)
    );
    """,
    # 5: the alert history (bot/history.py): one row per narrative on every card posted, with what feedback
    # clicks name it by (message_ref); the reason given with a ❌; the channels that asked for a weekly digest
    """
    CREATE TABLE alert_history (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        workspace_id TEXT,
        channel_id TEXT NOT NULL,
        message_ref TEXT NOT NULL,
        message_id TEXT,
        permalink TEXT,
        origin TEXT NOT NULL CHECK (origin IN ('message', 'feed')),
        narrative_id TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        score INTEGER NOT NULL,
        source_url TEXT,
        site TEXT,
        feed_url TEXT,
        evidence TEXT NOT NULL DEFAULT '',
        excerpt TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        UNIQUE (platform, channel_id, message_ref, narrative_id)
    );
    CREATE INDEX alert_history_by_channel ON alert_history (platform, channel_id, created_at);
    CREATE INDEX alert_history_by_time ON alert_history (created_at);
    ALTER TABLE feedback ADD COLUMN reason TEXT;
    CREATE TABLE digest_channels (
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        last_week TEXT,
        updated_at REAL NOT NULL,
        PRIMARY KEY (platform, channel_id)
    );
    """,
    # 6: replicas sharing one database: a due feed is leased by one poller until lease_until (a replica that dies
    # loses it then); `leases` holds named leases, such as the one delivery lease of each platform
    """
    ALTER TABLE feeds ADD COLUMN lease_owner TEXT;
    ALTER TABLE feeds ADD COLUMN lease_until REAL;
    CREATE INDEX feeds_due ON feeds (next_poll_at);
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        until REAL NOT NULL
    );
    """,
    # 7: many workspaces: every row that belongs to a workspace or server carries its tenant (Slack team id,
    # Discord guild id; '' for the console and for installs that never said), and its keys include it, so two
    # workspaces may even use the same channel id. Per dialect: SQLite cannot drop a UNIQUE constraint (the tables
    # are rebuilt), and PostgreSQL's identity columns would not follow ids copied into a rebuilt table.
    {"sqlite": TENANT_MIGRATION_SQLITE, "postgresql": TENANT_MIGRATION_POSTGRES},
    # 8: Slack workspaces installed through OAuth (bot/slack_installations.py): each one's bot token (a secret:
    # never logged), and the one-time `state` values of install flows in progress
    """
    CREATE TABLE slack_installations (
        team_id TEXT PRIMARY KEY,
        enterprise_id TEXT,
        team_name TEXT,
        app_id TEXT,
        bot_token TEXT NOT NULL,
        bot_id TEXT NOT NULL,
        bot_user_id TEXT NOT NULL,
        bot_scopes TEXT NOT NULL DEFAULT '',
        installer_user_id TEXT,
        installed_at REAL NOT NULL
    );
    CREATE TABLE slack_oauth_states (
        state TEXT PRIMARY KEY,
        expires_at REAL NOT NULL
    );
    """,
    # 9: a weekly digest that keeps failing (bot/digest.py): the week of the failures, how many and since when,
    # and whether that week was given up, so that a restart does not start counting again
    """
    ALTER TABLE digest_channels ADD COLUMN failed_week TEXT;
    ALTER TABLE digest_channels ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE digest_channels ADD COLUMN first_failed_at REAL;
    ALTER TABLE digest_channels ADD COLUMN gave_up INTEGER NOT NULL DEFAULT 0;
    """,
]


@dataclass(frozen=True)
class Subscription:
    platform: str
    channel_id: str
    feed_url: str
    created_at: float
    tenant: str = ""


@dataclass(frozen=True)
class FeedbackRecord:
    platform: str
    channel_id: str
    message_ref: str
    narrative_id: str
    user_id: str
    value: str


class Store:
    """The bot's state, in one SQLite file (the default) or one PostgreSQL database shared by replicas.

    `location` is a path (SQLite), or a PostgreSQL DSN as a Secret or a postgresql:// string. Every statement is
    written in SQLite's dialect; the PostgreSQL backend rewrites it (bot/sql_dialect.py).
    """

    def __init__(
        self, location: Path | str | Secret, *, clock: Callable[[], float] = time.time, migrate: bool = True
    ) -> None:
        self.clock = clock
        self._db: Database
        if isinstance(location, Secret) or is_postgres_url(str(location)):
            from bot.db_postgres import PostgresDatabase  # psycopg loads only when PostgreSQL is used

            dsn = location.get() if isinstance(location, Secret) else str(location)
            self._db = PostgresDatabase(dsn)
        else:
            self._db = SqliteDatabase(location)
        self.path = Path(self._db.name)
        if not migrate:
            return
        try:
            self.migrate()
        except BaseException:
            self._db.close()
            raise

    @property
    def dialect(self) -> str:
        """"sqlite" or "postgresql": for the few queries no rewrite can express (row locks)."""
        return self._db.dialect

    @property
    def name(self) -> str:
        """The file path, or host:port/dbname: never a password."""
        return self._db.name

    @property
    def schema_version(self) -> int:
        return self._db.schema_version()

    @property
    def latest_version(self) -> int:
        return len(MIGRATIONS)

    def migrate(self) -> None:
        def step(current: int, version: int | None) -> None:
            if version is None and current > len(MIGRATIONS):
                raise RuntimeError(
                    f"{self._db.name}: database schema version {current} is newer than this program "
                    f"({len(MIGRATIONS)}); upgrade narrative-bot"
                )
            if version is not None:
                logger.info("migrating %s to schema version %d", self._db.name, version)

        scripts = [m if isinstance(m, str) else m[self._db.dialect] for m in MIGRATIONS]
        self._db.apply_migrations(scripts, step)

    def transaction(self) -> AbstractContextManager[Connection]:
        """A write transaction: all or nothing (SQLite: one writer at a time)."""
        return self._db.transaction()

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[Any]:
        return self._db.query(sql, params)

    def close(self) -> None:
        self._db.close()

    # -- chat dedup -------------------------------------------------------------------------------------------

    def claim_message(self, platform: str, channel_id: str, message_id: str) -> bool:
        """Mark a message handled; False when it already was (a re-sent event, a second process)."""
        with self.transaction() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO handled_messages VALUES (?, ?, ?, ?)",
                (platform, channel_id, message_id, self.clock()),
            )
            return cur.rowcount == 1

    def release_message(self, platform: str, channel_id: str, message_id: str) -> None:
        """Forget a claim whose reply could not be posted, so a retried event can try again."""
        with self.transaction() as db:
            db.execute(
                "DELETE FROM handled_messages WHERE platform = ? AND channel_id = ? AND message_id = ?",
                (platform, channel_id, message_id),
            )

    def claim_event(self, platform: str, event_id: str) -> bool:
        """Mark a platform event id seen; False for a retry of an event already taken."""
        with self.transaction() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO handled_events VALUES (?, ?, ?)", (platform, event_id, self.clock())
            )
            return cur.rowcount == 1

    def release_event(self, platform: str, event_id: str) -> None:
        """Forget an event whose reply could not be posted, so the platform's re-send is handled."""
        with self.transaction() as db:
            db.execute("DELETE FROM handled_events WHERE platform = ? AND event_id = ?", (platform, event_id))

    def prune(self, older_than_s: float = 7 * 86400) -> None:
        """Drop dedup records older than any retry a platform would send."""
        cutoff = self.clock() - older_than_s
        with self.transaction() as db:
            db.execute("DELETE FROM handled_messages WHERE handled_at < ?", (cutoff,))
            db.execute("DELETE FROM handled_events WHERE seen_at < ?", (cutoff,))

    # -- feedback ---------------------------------------------------------------------------------------------

    def record_feedback(
        self,
        platform: str,
        channel_id: str,
        message_ref: str,
        narrative_id: str,
        user_id: str,
        value: str,
        *,
        tenant: str = "",
    ) -> None:
        """Store a correct/wrong click; a second click by the same person replaces the first."""
        if value not in ("correct", "wrong"):
            raise ValueError(f"feedback must be 'correct' or 'wrong', not {value!r}")
        with self.transaction() as db:
            db.execute(
                """INSERT INTO feedback
                       (platform, tenant, channel_id, message_ref, narrative_id, user_id, value, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (platform, tenant, message_ref, narrative_id, user_id)
                   DO UPDATE SET value = excluded.value, created_at = excluded.created_at,
                       reason = CASE WHEN feedback.value = excluded.value THEN feedback.reason END""",
                (platform, tenant, channel_id, message_ref, narrative_id, user_id, value, self.clock()),
            )

    def feedback(self, narrative_id: str | None = None, *, tenant: str | None = None) -> list[FeedbackRecord]:
        """Every click (of one tenant when given), oldest first."""
        sql = "SELECT platform, channel_id, message_ref, narrative_id, user_id, value FROM feedback WHERE 1=1"
        params: list[object] = []
        if narrative_id is not None:
            sql += " AND narrative_id = ?"
            params.append(narrative_id)
        if tenant is not None:
            sql += " AND tenant = ?"
            params.append(tenant)
        return [FeedbackRecord(*row) for row in self.query(sql + " ORDER BY id", tuple(params))]

    # -- subscriptions ----------------------------------------------------------------------------------------

    def add_subscription(
        self, platform: str, channel_id: str, feed_url: str, created_by: str = "", *, tenant: str = ""
    ) -> bool:
        """Subscribe a channel (of a tenant) to a feed; False when it already was."""
        with self.transaction() as db:
            cur = db.execute(
                """INSERT OR IGNORE INTO subscriptions
                       (platform, tenant, channel_id, feed_url, created_at, created_by)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                (platform, tenant, channel_id, feed_url, self.clock(), created_by),
            )
            return cur.rowcount == 1

    def remove_subscription(
        self, platform: str, channel_id: str | None, feed_url: str, *, tenant: str | None = ""
    ) -> int:
        """Unsubscribe one channel (or every channel when channel_id is None) of one tenant (of every tenant when
        tenant is None: the operator's command line); returns how many were removed."""
        sql = "DELETE FROM subscriptions WHERE platform = ? AND feed_url = ?"
        params: list[object] = [platform, feed_url]
        if channel_id is not None:
            sql += " AND channel_id = ?"
            params.append(channel_id)
        if tenant is not None:
            sql += " AND tenant = ?"
            params.append(tenant)
        with self.transaction() as db:
            return db.execute(sql, tuple(params)).rowcount

    def subscriptions(
        self, platform: str | None = None, channel_id: str | None = None, *, tenant: str | None = None
    ) -> list[Subscription]:
        """Subscriptions, narrowed to a platform, a channel and a tenant where given (None: any)."""
        sql = "SELECT platform, channel_id, feed_url, created_at, tenant FROM subscriptions WHERE 1=1"
        params: list[object] = []
        if platform is not None:
            sql += " AND platform = ?"
            params.append(platform)
        if channel_id is not None:
            sql += " AND channel_id = ?"
            params.append(channel_id)
        if tenant is not None:
            sql += " AND tenant = ?"
            params.append(tenant)
        return [Subscription(*row) for row in self.query(sql + " ORDER BY id", tuple(params))]
