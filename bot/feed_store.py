"""Feed polling state (SQLite or PostgreSQL): schedules and failures, seen item keys, pending alerts and notices."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from bot.links import canonical_feed_url
from bot.models import ArticleRef, FeedRef, Finding, SourceLink, Verdict
from bot.read_reasons import plural, stored_error_in
from bot.render.i18n import FAILED_ATTEMPTS, FAILURES, FAILURES_IN_A_ROW, ITEMS, word
from bot.store import Store
from matchers.library import Lang, as_language

logger = logging.getLogger(__name__)

ItemKey = tuple[str, str]  # (kind, hashed key): kind is "id", "link" or "content" (older states: "title")


@dataclass(frozen=True)
class FeedState:
    url: str
    title: str | None
    etag: str | None
    last_modified: str | None
    primed: bool
    next_poll_at: float
    last_poll_at: float | None
    last_ok_at: float | None
    failures: int
    last_error: str | None
    disabled_at: float | None

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None


@dataclass(frozen=True)
class NewAlert:
    """An alert to record as pending, for one channel."""

    item_key: str
    platform: str
    channel_id: str
    verdict: Verdict
    tenant: str = ""


@dataclass(frozen=True)
class NewNotice:
    platform: str
    channel_id: str
    text: str
    tenant: str = ""


@dataclass(frozen=True)
class Subscriber:
    """A channel subscribed to a feed, with its tenant: alerts go to each, the feed is fetched once for all."""

    platform: str
    tenant: str
    channel_id: str


@dataclass(frozen=True)
class Outgoing:
    """A pending alert or notice row, as the deliverer reads it."""

    id: int
    feed_url: str
    platform: str
    channel_id: str
    kind: Literal["alert", "notice"]
    payload: str
    attempts: int
    next_attempt_at: float
    attempted_at: float | None  # when a first attempt began; its outcome may be unknown
    tenant: str = ""


class LeaseLost(Exception):
    """This poller's lease on a feed ran out and another replica may hold it now: what it found is dropped (the
    other replica records the feed's items itself)."""


_FEED_COLUMNS = (
    "url, title, etag, last_modified, primed, next_poll_at, last_poll_at, last_ok_at, failures, last_error, disabled_at"
)


def _state(row: Any) -> FeedState:
    data = dict(row)
    data.update(primed=bool(data["primed"]), next_poll_at=float(data["next_poll_at"]), failures=int(data["failures"]))
    return FeedState(**data)


# -- verdicts as JSON (pending alerts outlive the process) ------------------------------------------------------


def verdict_to_json(verdict: Verdict) -> str:
    return json.dumps(dataclasses.asdict(verdict), ensure_ascii=False)


def verdict_from_json(payload: str) -> Verdict:
    data = json.loads(payload)
    findings = tuple(
        Finding(**{
            **f, "sources": tuple(SourceLink(**s) for s in f.get("sources", ())),
            "signals": tuple(f.get("signals", ())),  # JSON has lists; an alert stored before signals has none
        })
        for f in data["findings"]
    )
    article = ArticleRef(**data["article"]) if data.get("article") else None
    feed = FeedRef(**data["feed"]) if data.get("feed") else None
    # An alert stored before cards had a language was drawn in English.
    language = as_language(data.get("language")) or "en"
    return Verdict(
        findings=findings, article=article, feed=feed, language=language, excerpt=str(data.get("excerpt") or "")
    )


class FeedStore:
    """Queries over the feed tables of the shared Store; every multi-row change is one transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- feeds ------------------------------------------------------------------------------------------------

    def sync_feeds(self, now: float) -> list[FeedState]:
        """A row for every subscribed feed URL; the states of all subscribed feeds.

        A feed disabled after failures comes back when a channel subscribes to it again (remove, then add): that
        is the way a person says "try again".
        """
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO feeds (url, created_at) SELECT DISTINCT feed_url, ? FROM subscriptions", (now,)
            )
            db.execute(
                """UPDATE feeds SET disabled_at = NULL, failures = 0, next_poll_at = 0
                   WHERE disabled_at IS NOT NULL AND EXISTS (SELECT 1 FROM subscriptions s
                       WHERE s.feed_url = feeds.url AND s.created_at > feeds.disabled_at)"""
            )
        rows = self.store.query(
            f"SELECT {_FEED_COLUMNS} FROM feeds WHERE url IN (SELECT feed_url FROM subscriptions) ORDER BY url"
        )
        return [_state(r) for r in rows]

    def state(self, url: str) -> FeedState | None:
        rows = self.store.query(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE url = ?", (url,))
        return _state(rows[0]) if rows else None

    def subscribers(self, url: str) -> list[Subscriber]:
        """Every channel, of every tenant, subscribed to a feed."""
        rows = self.store.query(
            "SELECT platform, tenant, channel_id FROM subscriptions WHERE feed_url = ? ORDER BY id", (url,)
        )
        return [Subscriber(r["platform"], r["tenant"], r["channel_id"]) for r in rows]

    def is_subscribed(self, platform: str, channel_id: str, url: str, *, tenant: str = "") -> bool:
        rows = self.store.query(
            "SELECT 1 FROM subscriptions WHERE platform = ? AND tenant = ? AND channel_id = ? AND feed_url = ?",
            (platform, tenant, channel_id, url),
        )
        return bool(rows)

    # -- leases: replicas share the work -----------------------------------------------------------------------

    def lease_due(
        self, owner: str, *, now: float, lease_s: float, force: bool = False, limit: int | None = None
    ) -> list[FeedState]:
        """Lease up to `limit` subscribed feeds that are due (all enabled ones with `force`) and leased by nobody,
        or whose lease ran out; their states, by URL.

        PostgreSQL: the candidate rows are locked FOR UPDATE SKIP LOCKED, so replicas leasing at the same moment
        take disjoint sets without waiting on each other. SQLite: the write transaction is the only one, which
        gives the same result in one process (or several on one file).
        """
        lock = " FOR UPDATE SKIP LOCKED" if self.store.dialect == "postgresql" else ""
        with self.store.transaction() as db:
            rows = db.execute(
                f"""UPDATE feeds SET lease_owner = ?, lease_until = ?
                    WHERE url IN (
                        SELECT url FROM feeds
                        WHERE disabled_at IS NULL AND (? OR next_poll_at <= ?)
                          AND (lease_until IS NULL OR lease_until <= ?)
                          AND url IN (SELECT feed_url FROM subscriptions)
                        ORDER BY next_poll_at, url LIMIT ?{lock})
                    RETURNING {_FEED_COLUMNS}""",
                (owner, now + lease_s, bool(force), now, now, self._no_limit() if limit is None else limit),
            ).fetchall()
        return sorted((_state(r) for r in rows), key=lambda s: s.url)

    def _no_limit(self) -> int | None:
        return -1 if self.store.dialect == "sqlite" else None  # LIMIT -1 / LIMIT NULL: no limit

    def lease_holder(self, url: str) -> tuple[str | None, float | None]:
        rows = self.store.query("SELECT lease_owner, lease_until FROM feeds WHERE url = ?", (url,))
        return (rows[0][0], rows[0][1]) if rows else (None, None)

    def take_lease(self, name: str, owner: str, *, now: float, lease_s: float) -> bool:
        """Take (or renew) a named lease until now + lease_s; False while another owner holds it unexpired."""
        with self.store.transaction() as db:
            row = db.execute(
                """INSERT INTO leases (name, owner, until) VALUES (?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
                   WHERE leases.owner = excluded.owner OR leases.until <= ?
                   RETURNING owner""",
                (name, owner, now + lease_s, now),
            ).fetchone()
        return row is not None

    def release_leases_of(self, dead: Callable[[str], bool]) -> int:
        """Hand back every feed and named lease whose owner `dead` says is gone (a restart after a kill need not
        wait for the expiry); how many."""
        owners = {r[0] for r in self.store.query(
            "SELECT DISTINCT lease_owner FROM feeds WHERE lease_owner IS NOT NULL UNION SELECT owner FROM leases"
        )}
        gone = [owner for owner in owners if dead(owner)]
        released = 0
        with self.store.transaction() as db:
            for owner in gone:
                released += db.execute(
                    "UPDATE feeds SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?", (owner,)
                ).rowcount
                released += db.execute("DELETE FROM leases WHERE owner = ?", (owner,)).rowcount
        return released

    def release_lease(self, name: str, owner: str) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))

    # -- items ------------------------------------------------------------------------------------------------

    def seen(self, url: str, keys: Iterable[ItemKey]) -> set[ItemKey]:
        """Which of these keys this feed has seen before."""
        wanted = list(dict.fromkeys(keys))
        found: set[ItemKey] = set()
        # SQLite caps bound parameters; ask in slices.
        for start in range(0, len(wanted), 300):
            chunk = wanted[start : start + 300]
            marks = ",".join("(?, ?)" for _ in chunk)
            params: list[object] = [url]
            for kind, key in chunk:
                params.extend((kind, key))
            rows = self.store.query(
                f"SELECT kind, key FROM feed_items WHERE feed_url = ? AND (kind, key) IN (VALUES {marks})",
                tuple(params),
            )
            found.update((r["kind"], r["key"]) for r in rows)
        return found

    def record_success(
        self,
        url: str,
        *,
        now: float,
        title: str | None,
        etag: str | None,
        last_modified: str | None,
        next_poll_at: float,
        item_keys: Sequence[ItemKey],
        alerts: Sequence[NewAlert] = (),
        notices: Sequence[NewNotice] = (),
        lease_owner: str | None = None,
    ) -> list[int]:
        """Record a good poll in ONE transaction: items seen, alerts and notices pending, the schedule.

        Alerts are written before anything is posted: a crash after this commit leaves them pending (posted on
        the next start), a crash before it leaves the items unseen (assessed again). Nothing is lost or doubled.
        Returns the ids of the alert rows, in the order given (0 where the alert already existed).
        """
        ids: list[int] = []
        with self.store.transaction() as db:
            # The schedule first: with a lease owner it is the fence (and on PostgreSQL, the row lock) that keeps a
            # poller whose lease ran out from recording what the new holder records too.
            fence, fence_params = self._fence(url, lease_owner)
            cur = db.execute(
                f"""UPDATE feeds SET title = COALESCE(?, title), etag = ?, last_modified = ?, primed = 1,
                       next_poll_at = ?, last_poll_at = ?, last_ok_at = ?, failures = 0, last_error = NULL,
                       lease_owner = NULL, lease_until = NULL
                   WHERE {fence}""",
                (title, etag, last_modified, next_poll_at, now, now, *fence_params),
            )
            if lease_owner is not None and cur.rowcount != 1:
                raise LeaseLost(url)
            db.executemany(
                """INSERT INTO feed_items (feed_url, kind, key, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (feed_url, kind, key) DO UPDATE SET last_seen_at = excluded.last_seen_at""",
                [(url, kind, key, now, now) for kind, key in dict.fromkeys(item_keys)],
            )
            for alert in alerts:
                cur = db.execute(
                    """INSERT OR IGNORE INTO feed_alerts
                       (feed_url, item_key, platform, tenant, channel_id, kind, payload, created_at)
                       VALUES (?, ?, ?, ?, ?, 'alert', ?, ?) RETURNING id""",
                    (url, alert.item_key, alert.platform, alert.tenant, alert.channel_id,
                     verdict_to_json(alert.verdict), now),
                )
                row = cur.fetchone()  # none when the alert already existed
                ids.append(int(row[0]) if row else 0)
            self._insert_notices(db, url, notices, now)
        return ids

    @staticmethod
    def _fence(url: str, lease_owner: str | None) -> tuple[str, tuple[object, ...]]:
        """The WHERE clause of a feed's row, held by `lease_owner` when one is given (unexpired or not: a lease
        is only taken over by another owner, which rewrites lease_owner)."""
        if lease_owner is None:
            return "url = ?", (url,)
        return "url = ? AND lease_owner = ?", (url, lease_owner)

    def record_failure(
        self,
        url: str,
        *,
        now: float,
        error: str,
        backoff_s: Callable[[int], float],
        max_failures: int,
        disabled_notice: str,
        lease_owner: str | None = None,
        channel_notices: Mapping[Subscriber, str] | None = None,
    ) -> FeedState:
        """Count a failed poll; schedule the retry; disable the feed (with a notice to its channels) at the limit:
        a channel's own wording from `channel_notices` (its language), else `disabled_notice`. With `lease_owner`,
        only while that poller holds the feed (else LeaseLost)."""
        fence, fence_params = self._fence(url, lease_owner)
        with self.store.transaction() as db:
            # The failure count increments in the row itself: one statement, whatever ran meanwhile.
            row = db.execute(
                f"""UPDATE feeds SET failures = failures + 1, last_error = ?, last_poll_at = ?,
                       lease_owner = NULL, lease_until = NULL
                   WHERE {fence} RETURNING failures""",
                (error[:500], now, *fence_params),
            ).fetchone()
            if row is None and lease_owner is not None:
                raise LeaseLost(url)
            failures = int(row[0]) if row else 1
            disable = failures >= max_failures
            db.execute(
                """UPDATE feeds SET next_poll_at = ?, disabled_at = CASE WHEN ? THEN ? ELSE disabled_at END
                   WHERE url = ?""",
                (now + backoff_s(failures), disable, now, url),
            )
            if disable:
                subs = db.execute(
                    "SELECT platform, tenant, channel_id FROM subscriptions WHERE feed_url = ? ORDER BY id", (url,)
                ).fetchall()
                own = channel_notices or {}
                notices = [
                    NewNotice(
                        s["platform"],
                        s["channel_id"],
                        own.get(Subscriber(s["platform"], s["tenant"], s["channel_id"]), disabled_notice),
                        s["tenant"],
                    )
                    for s in subs
                ]
                self._insert_notices(db, url, notices, now)
        state = self.state(url)
        assert state is not None
        return state

    @staticmethod
    def _insert_notices(db: Any, url: str, notices: Iterable[NewNotice], now: float) -> None:
        db.executemany(
            """INSERT INTO feed_alerts (feed_url, item_key, platform, tenant, channel_id, kind, payload, created_at)
               VALUES (?, NULL, ?, ?, ?, 'notice', ?, ?)""",
            [(url, n.platform, n.tenant, n.channel_id, n.text, now) for n in notices],
        )

    def prune_items(self, older_than: float) -> int:
        """Forget items no poll has seen since `older_than` (they have left the feed for good)."""
        with self.store.transaction() as db:
            # Only items absent from the feed's latest full answer: a feed answering 304 for months does not
            # refresh its items' last_seen_at, and pruning those would post them again on its next change.
            return db.execute(
                """DELETE FROM feed_items WHERE last_seen_at < ? AND last_seen_at < (
                       SELECT MAX(f.last_seen_at) FROM feed_items f WHERE f.feed_url = feed_items.feed_url)""",
                (older_than,),
            ).rowcount

    # -- outgoing alerts and notices --------------------------------------------------------------------------

    def pending(self, platform: str, limit: int = 1000) -> list[Outgoing]:
        """Pending rows of a platform, oldest first, including those waiting for a retry (they hold back the
        later rows of their channel)."""
        rows = self.store.query(
            """SELECT id, feed_url, platform, channel_id, kind, payload, attempts, next_attempt_at, attempted_at,
                      tenant
               FROM feed_alerts
               WHERE status = 'pending' AND platform = ? ORDER BY id LIMIT ?""",
            (platform, limit),
        )
        return [Outgoing(*tuple(r)) for r in rows]

    def counts(self, feed_url: str | None = None) -> dict[str, int]:
        sql = "SELECT status, COUNT(*) AS n FROM feed_alerts"
        params: tuple[object, ...] = ()
        if feed_url is not None:
            sql += " WHERE feed_url = ?"
            params = (feed_url,)
        return {r["status"]: int(r["n"]) for r in self.store.query(sql + " GROUP BY status", params)}

    def mark_attempt(self, row_id: int, now: float) -> None:
        """Record, before posting, that an attempt begins; the first attempt's time is kept (the earliest moment
        the post can have reached the channel)."""
        with self.store.transaction() as db:
            db.execute("UPDATE feed_alerts SET attempted_at = COALESCE(attempted_at, ?) WHERE id = ?", (now, row_id))

    def mark(self, row_id: int, status: Literal["posted", "cancelled"], now: float) -> None:
        with self.store.transaction() as db:
            db.execute(
                "UPDATE feed_alerts SET status = ?, posted_at = ? WHERE id = ?",
                (status, now if status == "posted" else None, row_id),
            )

    def mark_retry(self, row_id: int, *, error: str, next_attempt_at: float, give_up: bool) -> None:
        with self.store.transaction() as db:
            db.execute(
                """UPDATE feed_alerts SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,
                       status = CASE WHEN ? THEN 'failed' ELSE status END
                   WHERE id = ?""",
                (error[:500], next_attempt_at, give_up, row_id),
            )


# -- default subscriptions from a config file -------------------------------------------------------------------


class FeedsFileError(Exception):
    """The feeds file is invalid; the message names the file and the entry."""


# The feeds file is three levels deep; PyYAML recurses per level, so deep nesting would raise RecursionError.
MAX_FEEDS_FILE_DEPTH = 20


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without aliases or deep nesting: a billion-laughs file must not get past the loader."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise FeedsFileError(f"line {event.start_mark.line + 1}: YAML aliases are not allowed")
        if self._depth >= MAX_FEEDS_FILE_DEPTH:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise FeedsFileError(
                f"line {event.start_mark.line + 1}: nested more than {MAX_FEEDS_FILE_DEPTH} levels deep"
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1


MAX_FEEDS_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class FeedsFileEntry:
    platform: str
    channel_id: str
    url: str
    tenant: str = ""  # `workspace:` the Slack team or Discord server id, with several workspaces


def read_feeds_file(path: Path, default_platform: str) -> list[tuple[str, str, str]]:
    """(platform, channel_id, url) triples from YAML `feeds: [{url: ..., platform: slack, channel: C123}]`."""
    return [(e.platform, e.channel_id, e.url) for e in read_feeds_file_entries(path, default_platform)]


def read_feeds_file_entries(path: Path, default_platform: str) -> list[FeedsFileEntry]:
    """The entries of a feeds file, each with its optional `workspace:` (the tenant of the channel)."""
    raw = path.read_bytes()
    if len(raw) > MAX_FEEDS_FILE_BYTES:
        raise FeedsFileError(f"{path}: larger than {MAX_FEEDS_FILE_BYTES} bytes")
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=_NoAliasLoader)  # a SafeLoader subclass
    except FeedsFileError as exc:
        raise FeedsFileError(f"{path}: {exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise FeedsFileError(f"{path}: not valid YAML: {exc}") from None
    entries = data.get("feeds") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise FeedsFileError(f"{path}: expected a mapping with a `feeds:` list")
    out: list[FeedsFileEntry] = []
    problems: list[str] = []
    for i, entry in enumerate(entries, 1):
        if isinstance(entry, str):
            entry = {"url": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            problems.append(f"feeds[{i}]: expected {{url: ..., platform: ..., channel: ...}}")
            continue
        platform = entry.get("platform", default_platform)
        channel = entry.get("channel", "console" if platform == "console" else None)
        if not isinstance(platform, str) or not isinstance(channel, str) or not channel:
            problems.append(f"feeds[{i}] ({entry['url']}): `platform` and `channel` must be strings")
            continue
        tenant = entry.get("workspace", "")
        if not isinstance(tenant, str):
            problems.append(f"feeds[{i}] ({entry['url']}): `workspace` must be a string (a team or server id)")
            continue
        out.append(FeedsFileEntry(platform, channel, entry["url"].strip(), tenant.strip()))
    if problems:
        raise FeedsFileError(f"{path}:\n  " + "\n  ".join(problems))
    return out




def load_default_feeds(store: Store, path: Path, default_platform: str) -> int:
    """Subscribe the channels listed in a feeds file (idempotent: run at every start); how many were new.

    Raises FeedsFileError naming the file and entry when it is invalid.
    """
    added = 0
    problems = []
    for entry in read_feeds_file_entries(path, default_platform):
        url = canonical_feed_url(entry.url)
        if url is None:
            problems.append(f"{entry.url!r} is not an http(s) URL")
            continue
        added += store.add_subscription(
            entry.platform, entry.channel_id, url, created_by="feeds-file", tenant=entry.tenant
        )
    if problems:
        raise FeedsFileError(f"{path}: " + "; ".join(problems))
    if added:
        logger.info("subscribed %d feed(s) from %s", added, path)
    return added


def disabled_notice(title: str | None, url: str, failures: int, error: str, lang: Lang = "en") -> str:
    """What a channel is told when its feed is given up after `failures` failed polls in a row, in `lang` (the
    last error is stored in English; another language names its code and that code's reason instead)."""
    feed = feed_name(title, url, lang)
    attempts = plural(failures, lang, FAILED_ATTEMPTS)
    # The error sits inside "(last: …)." and many stored errors end in a full stop of their own.
    reason = stored_error_in(error, lang).rstrip().rstrip(".")
    return word("feed_disabled_notice", lang, feed=feed, count=failures, attempts=attempts, error=reason)


def more_items_notice(title: str | None, url: str, extra: int, lang: Lang = "en") -> str:
    """The line a channel gets, in `lang`, for the `extra` matching items of a poll beyond those posted as cards."""
    items = plural(extra, lang, ITEMS)
    return word("feed_more_items", lang, count=extra, items=items, feed=feed_name(title, url, lang))


def feed_name(title: str | None, url: str, lang: Lang) -> str:
    """A feed as a notice names it: "Title (URL)" in English, "«Title» (URL)" otherwise, or the URL alone."""
    if not title:
        return url
    return f"{title} ({url})" if lang == "en" else f"«{title}» ({url})"


def describe_feed_state(state: FeedState | None, lang: Lang = "en") -> str:
    """A short status suffix for `/narrative feeds list` in `lang`: disabled, failing, or when it was last read.

    The last error is stored in English; another language names its code and that code's reason instead."""
    if state is None or state.last_poll_at is None:
        return word("feed_not_polled", lang)
    error = stored_error_in(state.last_error or "", lang)
    count = state.failures
    if state.disabled:
        return word("feed_disabled", lang, count=count, failures=plural(count, lang, FAILURES), error=error)
    if state.failures:
        return word("feed_failing", lang, count=count, failures=plural(count, lang, FAILURES_IN_A_ROW), error=error)
    return word("feed_ok", lang) + (f" ({state.title})" if state.title else "")
