"""SQLite state: migrations, WAL, one writer; handled messages, events, feedback and subscriptions."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

# Each entry moves the schema one version up; never edit a released entry, append a new one.
MIGRATIONS: list[str] = [
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
]


@dataclass(frozen=True)
class Subscription:
    platform: str
    channel_id: str
    feed_url: str
    created_at: float


@dataclass(frozen=True)
class FeedbackRecord:
    platform: str
    channel_id: str
    message_ref: str
    narrative_id: str
    user_id: str
    value: str


class Store:
    """One SQLite file shared by every part of the bot.

    SQLite allows one writer at a time; a lock serialises our writes so that concurrent tasks (and threads from
    asyncio.to_thread) never see "database is locked", and WAL lets readers proceed meanwhile.
    """

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=30000")
        self.migrate()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        with self._lock:
            current = self.schema_version
            if current > len(MIGRATIONS):
                raise RuntimeError(
                    f"{self.path}: database schema version {current} is newer than this program "
                    f"({len(MIGRATIONS)}); upgrade narrative-bot"
                )
            for version in range(current + 1, len(MIGRATIONS) + 1):
                logger.info("migrating %s to schema version %d", self.path, version)
                script = MIGRATIONS[version - 1]
                # executescript commits first; wrap in an explicit transaction so a failed step leaves no half.
                self._db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")

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

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    def close(self) -> None:
        with self._lock:
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
        self, platform: str, channel_id: str, message_ref: str, narrative_id: str, user_id: str, value: str
    ) -> None:
        """Store a correct/wrong click; a second click by the same person replaces the first."""
        if value not in ("correct", "wrong"):
            raise ValueError(f"feedback must be 'correct' or 'wrong', not {value!r}")
        with self.transaction() as db:
            db.execute(
                """INSERT INTO feedback (platform, channel_id, message_ref, narrative_id, user_id, value, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (platform, message_ref, narrative_id, user_id)
                   DO UPDATE SET value = excluded.value, created_at = excluded.created_at,
                       reason = CASE WHEN feedback.value = excluded.value THEN feedback.reason END""",
                (platform, channel_id, message_ref, narrative_id, user_id, value, self.clock()),
            )

    def feedback(self, narrative_id: str | None = None) -> list[FeedbackRecord]:
        sql = "SELECT platform, channel_id, message_ref, narrative_id, user_id, value FROM feedback"
        params: tuple[object, ...] = ()
        if narrative_id is not None:
            sql += " WHERE narrative_id = ?"
            params = (narrative_id,)
        return [FeedbackRecord(*row) for row in self.query(sql + " ORDER BY id", params)]

    # -- subscriptions ----------------------------------------------------------------------------------------

    def add_subscription(self, platform: str, channel_id: str, feed_url: str, created_by: str = "") -> bool:
        """Subscribe a channel to a feed; False when it already was."""
        with self.transaction() as db:
            cur = db.execute(
                """INSERT OR IGNORE INTO subscriptions (platform, channel_id, feed_url, created_at, created_by)
                   VALUES (?, ?, ?, ?, ?)""",
                (platform, channel_id, feed_url, self.clock(), created_by),
            )
            return cur.rowcount == 1

    def remove_subscription(self, platform: str, channel_id: str | None, feed_url: str) -> int:
        """Unsubscribe one channel (or every channel when channel_id is None); returns how many were removed."""
        with self.transaction() as db:
            if channel_id is None:
                cur = db.execute(
                    "DELETE FROM subscriptions WHERE platform = ? AND feed_url = ?", (platform, feed_url)
                )
            else:
                cur = db.execute(
                    "DELETE FROM subscriptions WHERE platform = ? AND channel_id = ? AND feed_url = ?",
                    (platform, channel_id, feed_url),
                )
            return cur.rowcount

    def subscriptions(self, platform: str | None = None, channel_id: str | None = None) -> list[Subscription]:
        sql = "SELECT platform, channel_id, feed_url, created_at FROM subscriptions WHERE 1=1"
        params: list[object] = []
        if platform is not None:
            sql += " AND platform = ?"
            params.append(platform)
        if channel_id is not None:
            sql += " AND channel_id = ?"
            params.append(channel_id)
        return [Subscription(*row) for row in self.query(sql + " ORDER BY id", tuple(params))]
