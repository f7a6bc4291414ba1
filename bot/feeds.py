"""FeedPoller: polls subscribed feeds politely, records new matching items as pending alerts, and delivers them."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from bot.feed_parse import (
    MAX_INTERVAL_S,
    FeedItem,
    FeedParseError,
    ParsedFeed,
    display_title,
    parse_feed,
    parse_telegram,
    poll_interval_s,
    retry_after_s,
)
from bot.feed_store import (
    FeedState,
    FeedStore,
    ItemKey,
    LeaseLost,
    NewAlert,
    NewNotice,
    Subscriber,
    disabled_notice,
    more_items_notice,
    verdict_from_json,
)
from bot.models import ArticleRef, FeedAlert, FeedNotice, FeedRef, Verdict
from bot.ports import AlertSender
from matchers import Lang
from matchers.library import as_language

if TYPE_CHECKING:
    from bot.channel_settings import ChannelPolicy
    from bot.config import Settings
    from bot.core import Core
    from bot.fetch import FetchedPage, SafeFetcher
    from bot.store import Store

logger = logging.getLogger(__name__)

BACKOFF_BASE_S = 300.0  # 5 min × 2^(failures-1): 5, 10, 20 min ... capped
BACKOFF_CAP_S = 12 * 3600.0
MAX_FAILURES = 10
REQUESTS_PER_HOST = 2
SHORT_SUMMARY_CHARS = 400
MAX_ARTICLE_READS_PER_POLL = 10
DELIVERY_MAX_ATTEMPTS = 12
DELIVERY_RETRY_BASE_S = 30.0
DELIVERY_RETRY_CAP_S = 3600.0
ITEM_RETENTION_S = 90 * 86400.0
# Feeds one replica leases at a time: small enough that replicas share a round, large enough to keep a poller busy.
LEASE_BATCH = 50
POLL_SHARE_OF_LEASE = 0.8  # a poll is cut off here, so it ends before its lease does
# Share of the lease a poll spends matching new items. Items still waiting then stay unseen and the feed is due
# again soon: a big backlog is worked off over a few polls (oldest first), and the poll records what it did instead
# of running into the cut-off above and losing its work.
ASSESS_SHARE_OF_LEASE = 0.5
# The linked articles of the items matched are read after that, until this share of the lease (each read is bounded
# by the fetcher too). Reads still running then are stopped and their items left for the next poll, like a backlog:
# the window after the matching budget (60 s by default) holds several fetch timeouts, so only a long queue on one
# host is cut, and the items cut come first at the next poll.
READS_SHARE_OF_LEASE = 0.7
# When a poll left items for later: how soon the feed is polled again (a full fetch, without validators).
BACKLOG_RETRY_S = 60.0

# Items matched per worker-thread call: about 0.1 s of CPU at the 0.5 ms an item takes on this project's machine.
MATCH_BATCH_ITEMS = 200

# Replica ids of the pollers alive in this process: a lease of this pid under another id is a predecessor's.
_POLLERS_OF_THIS_PROCESS: set[str] = set()

_T = TypeVar("_T")
_FAILED = object()  # a batch outcome: matching this item raised (logged); it stays unseen and is tried again


@dataclass(frozen=True)
class PollResult:
    """What one poll of one feed did."""

    url: str
    new_items: int = 0
    alerts: tuple[FeedAlert, ...] = ()
    notices: tuple[FeedNotice, ...] = ()
    error: str | None = None
    not_modified: bool = False
    first_poll: bool = False
    disabled: bool = False
    deferred: int = 0  # new items left for the next poll: this one's time for matching ran out

    @property
    def alerts_created(self) -> int:
        return len(self.alerts)


def backoff_s(failures: int) -> float:
    """Delay before the next try after `failures` consecutive failures."""
    return min(BACKOFF_BASE_S * float(2 ** max(failures - 1, 0)), BACKOFF_CAP_S)


def _honouring(retry_after_s: float) -> Callable[[int], float]:
    """Backoff that waits at least what the server asked, but no longer than a poll interval may be."""

    def delay(failures: int) -> float:
        return max(backoff_s(failures), min(retry_after_s, MAX_INTERVAL_S))

    return delay


def _looks_like_telegram(page: FetchedPage) -> bool:
    return page.content_type == "text/html" and "tgme_widget_message" in page.text[:200_000]


def _parse(page: FetchedPage, url: str, *, telegram: bool) -> ParsedFeed:
    if telegram or _looks_like_telegram(page):
        return parse_telegram(page.text, url=url, final_url=page.url)
    return parse_feed(page.body, url=page.url, headers=page.headers)


def _chronological(items: Sequence[FeedItem]) -> list[FeedItem]:
    # Feeds usually list newest first; post oldest first so a channel reads in order. Without dates on every
    # item the order is unknown: keep the document's.
    if items and all(i.published for i in items):
        return sorted(items, key=lambda i: i.published or "")
    return list(items)


class FeedPoller:
    """Polls every subscribed feed when due and posts what carries a narrative, once."""

    def __init__(
        self,
        store: Store,
        fetcher: SafeFetcher,
        core: Core,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        max_posts_per_poll: int = 3,
        short_summary_chars: int = SHORT_SUMMARY_CHARS,
        max_failures: int = MAX_FAILURES,
        requests_per_host: int = REQUESTS_PER_HOST,
        channel_language: Callable[[str, str], Lang | None] | None = None,
        lease_batch: int = LEASE_BATCH,
        replica_id: str | None = None,
        assess_budget_s: float | None = None,
    ) -> None:
        """`assess_budget_s`: seconds a poll may spend matching new items (default: ASSESS_SHARE_OF_LEASE of
        the lease); at least one item is matched whatever it is."""
        self.feeds = FeedStore(store)
        # Names this poller in the leases it holds: unique per process start, so a restarted replica never
        # mistakes its predecessor's leases for its own.
        self.replica_id = replica_id or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._reclaimed = False
        _POLLERS_OF_THIS_PROCESS.add(self.replica_id)
        self.lease_s = settings.feed_lease_s
        self.assess_budget_s = (
            assess_budget_s if assess_budget_s is not None else self.lease_s * ASSESS_SHARE_OF_LEASE
        )
        self.lease_batch = lease_batch
        self.fetcher = fetcher
        self.core = core
        self.settings = settings
        self.clock = clock
        self.max_posts_per_poll = max_posts_per_poll
        self.short_summary_chars = short_summary_chars
        self.max_failures = max_failures
        self.requests_per_host = requests_per_host
        # A channel's reply language by (platform, channel id), None where it has none: an item is matched once,
        # and each channel that has a language gets the card in it (else in the item's own language).
        self.channel_language = channel_language
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._poll_lock = asyncio.Lock()
        self._deliver_lock = asyncio.Lock()
        self._cpu = asyncio.Semaphore(1)
        self._pruned_at = 0.0

    # -- polling ----------------------------------------------------------------------------------------------

    async def poll_once(self, *, force: bool = False) -> list[PollResult]:
        """Poll every due feed (all subscribed feeds with `force`, except disabled ones); one result each."""
        async with self._poll_lock:
            now = self.clock()
            if not self._reclaimed:
                self._reclaimed = True
                released = self.feeds.release_leases_of(self._is_dead_on_this_host)
                if released:
                    logger.info("took back %d lease(s) of a process of this host that is gone", released)
            self.feeds.sync_feeds(now)
            results: list[PollResult] = []
            polled: set[str] = set()
            while True:
                # Other replicas lease from the same rows: each feed is polled by one of them. `force` leases every
                # free feed at once (it would find the feeds it just polled due again).
                batch = await self._offload(
                    self.feeds.lease_due, self.replica_id, now=self.clock(), lease_s=self.lease_s, force=force,
                    limit=None if force else self.lease_batch,
                )
                if not batch:
                    break
                # Every leased feed is polled (a lease is only handed back by recording the poll). A feed that came
                # due again while this call ran means the round has gone full circle: stop after this batch.
                again = any(s.url in polled for s in batch)
                polled.update(s.url for s in batch)
                results.extend(await asyncio.gather(*(self._poll_guarded(s) for s in batch)))
                if force or again:
                    break
            if now - self._pruned_at > 86400:
                self._pruned_at = now
                # A DELETE over every feed's items (a correlated subquery per row): not on the loop either.
                await self._offload(self.feeds.prune_items, now - ITEM_RETENTION_S)
            return list(results)

    def _is_dead_on_this_host(self, owner: str) -> bool:
        """Whether a lease owner (host:pid:token) was a process of this host that no longer runs: our pid under
        an id no poller of this process has is our predecessor (a container restarts as pid 1); another pid must
        not exist. Owners of other hosts are left to their lease expiry."""
        host_and_pid, _, token = owner.rpartition(":")
        host, _, pid_text = host_and_pid.rpartition(":")
        if not token or host != socket.gethostname() or owner == self.replica_id or not pid_text.isdigit():
            return False
        pid = int(pid_text)
        if pid == os.getpid():
            return owner not in _POLLERS_OF_THIS_PROCESS
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, another user's
            return False
        return False

    @contextlib.asynccontextmanager
    async def _host_slot(self, url: str):  # type: ignore[no-untyped-def]
        host = (urlsplit(url).hostname or "").lower()
        slot = self._hosts.setdefault(host, asyncio.Semaphore(self.requests_per_host))
        async with slot:
            yield

    async def _poll_guarded(self, state: FeedState) -> PollResult:
        try:
            try:
                # Cut off before the lease runs out, so no other replica starts on this feed while we still are.
                async with asyncio.timeout(self.lease_s * POLL_SHARE_OF_LEASE):
                    return await self._poll(state, reads_until=time.monotonic() + self.lease_s * READS_SHARE_OF_LEASE)
            except TimeoutError:
                logger.warning("polling %s took longer than %.0f s; stopped", state.url,
                               self.lease_s * POLL_SHARE_OF_LEASE)
                return self._failed(state, "timeout: the feed took too long to process")
            except LeaseLost:
                raise
            except Exception:  # one broken feed (or a bug on its data) never stops the others
                logger.exception("polling %s failed", state.url)
                return self._failed(state, "internal_error: the feed could not be processed")
        except LeaseLost:
            logger.warning("lost the lease on %s to another replica; its poll is dropped", state.url)
            return PollResult(state.url, error="lease_lost: another replica holds the feed")

    def _failed(self, state: FeedState, error: str, *, retry_after_s: float | None = None) -> PollResult:
        # The notice, should this failure disable the feed, in each subscribed channel's language (else English).
        # The lease keeps `state.failures` current, so the channels are looked up only when this is the last try.
        notice = disabled_notice(state.title, state.url, self.max_failures, error)
        own: dict[Subscriber, str] = {}
        for sub in self.feeds.subscribers(state.url) if state.failures + 1 >= self.max_failures else ():
            lang = self._language_of(sub, self.core.channels.policy(sub.platform, sub.channel_id, tenant=sub.tenant))
            if lang is not None and lang != "en":
                own[sub] = disabled_notice(state.title, state.url, self.max_failures, error, lang)
        new = self.feeds.record_failure(
            state.url,
            now=self.clock(),
            error=error,
            backoff_s=backoff_s if retry_after_s is None else _honouring(retry_after_s),
            max_failures=self.max_failures,
            disabled_notice=notice,
            lease_owner=self.replica_id,
            channel_notices=own,
        )
        if new.disabled:
            logger.warning("feed %s disabled after %d failures: %s", state.url, new.failures, error)
            subs = self.feeds.subscribers(state.url)
            notices = tuple(FeedNotice(s.platform, s.channel_id, own.get(s, notice), tenant=s.tenant) for s in subs)
            return PollResult(state.url, error=error, disabled=True, notices=notices)
        logger.info("feed %s failed (%d in a row): %s", state.url, new.failures, error)
        return PollResult(state.url, error=error)

    async def _poll(self, state: FeedState, *, reads_until: float = float("inf")) -> PollResult:
        from bot.feed_parse import telegram_preview_url
        from bot.fetch import FetchError

        url = state.url
        telegram_url = telegram_preview_url(url)
        headers: dict[str, str] = {}
        if state.primed and state.etag:
            headers["If-None-Match"] = state.etag
        if state.primed and state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        fetch_url = telegram_url or url
        try:
            async with self._host_slot(fetch_url):
                page = await self.fetcher.fetch(fetch_url, headers=headers)
        except FetchError as exc:
            # A 429/503 with Retry-After says when to come back: never sooner than that (within our bounds).
            hint = retry_after_s(exc.retry_after, self.clock()) if exc.retry_after else None
            return self._failed(state, f"{exc.code}: {exc.user_message}", retry_after_s=hint)
        now = self.clock()
        if page.status == 304:
            self.feeds.record_success(
                url,
                now=now,
                title=None,
                etag=page.headers.get("etag") or state.etag,
                last_modified=page.headers.get("last-modified") or state.last_modified,
                next_poll_at=now + poll_interval_s(self.settings.feed_interval_s, page.headers, None, now),
                item_keys=(),
                lease_owner=self.replica_id,
            )
            return PollResult(url, not_modified=True)
        try:
            # Parsing a large feed takes seconds of CPU: in a worker thread, or chat events would wait for it.
            parsed = await self._offload(_parse, page, url, telegram=telegram_url is not None)
        except FeedParseError as exc:
            logger.warning("feed %s is malformed: %s", url, exc.user_message)
            return self._failed(state, f"{exc.code}: {exc.user_message}")
        return await self._record(state, page, parsed, is_telegram=telegram_url is not None, reads_until=reads_until)

    async def _record(
        self, state: FeedState, page: FetchedPage, parsed: ParsedFeed, *, is_telegram: bool,
        reads_until: float = float("inf"),
    ) -> PollResult:
        url = state.url
        # Measured from here: fetching and parsing are bounded by their own limits.
        deadline = time.monotonic() + self.assess_budget_s
        items, item_keys, new = await self._offload(self._sort_out, url, parsed.items)
        feed_ref = FeedRef(url, parsed.title or state.title)
        matched: list[tuple[FeedItem, Verdict]] = []
        failed: set[FeedItem] = set()
        deferred: set[FeedItem] = set()
        policies = {
            sub: self.core.channels.policy(sub.platform, sub.channel_id, tenant=sub.tenant)
            for sub in self.feeds.subscribers(url)
        }
        # A channel with a cut-off below the process's alert threshold needs the matches under it too.
        suggestions = any(p.own_threshold and p.threshold < self.core.channels.default_threshold
                          for p in policies.values())
        if state.primed and new:
            matched, failed, deferred = await self._assess(
                new, feed_ref, read_articles=not is_telegram, suggestions=suggestions, deadline=deadline,
                reads_until=reads_until,
            )
        # Items whose assessment crashed, or that this poll had no time for, stay unseen: the next poll tries them
        # again. That poll must see the whole feed, so the validators are not kept (a 304 would hide the items).
        keys = [k for item in items if item not in failed and item not in deferred for k in item_keys[item]]
        left_over = bool(failed or deferred)
        now = self.clock()
        next_poll_at = now + poll_interval_s(self.settings.feed_interval_s, page.headers, parsed.ttl_s, now)
        if deferred:
            next_poll_at = min(next_poll_at, now + BACKLOG_RETRY_S)
        alerts, notices = self._plan(url, feed_ref, matched, policies) if state.primed else ([], [])
        # Tens of thousands of keys are one transaction of some 100 ms: off the loop too.
        ids = await self._offload(
            self.feeds.record_success,
            url,
            now=now,
            title=parsed.title,
            etag=None if left_over else page.headers.get("etag"),
            last_modified=None if left_over else page.headers.get("last-modified"),
            next_poll_at=next_poll_at,
            item_keys=keys,
            alerts=alerts,
            notices=notices,
            lease_owner=self.replica_id,
        )
        if not state.primed:
            logger.info("feed %s: first poll, %d items recorded silently", url, len(items))
            return PollResult(url, first_poll=True)
        created = tuple(
            FeedAlert(alert_id, a.platform, a.channel_id, a.verdict, tenant=a.tenant)
            for alert_id, a in zip(ids, alerts, strict=True) if alert_id
        )
        notes = tuple(FeedNotice(n.platform, n.channel_id, n.text, tenant=n.tenant) for n in notices)
        logger.info("feed %s: %d new items, %d matching, %d left for the next poll", url, len(new), len(matched),
                    len(deferred))
        return PollResult(
            url, new_items=len(new) - len(deferred), alerts=created, notices=notes, deferred=len(deferred)
        )

    def _sort_out(
        self, url: str, parsed_items: Sequence[FeedItem]
    ) -> tuple[list[FeedItem], dict[FeedItem, tuple[ItemKey, ...]], list[FeedItem]]:
        """(items oldest first, each item's dedup keys, the items never seen): runs in a worker thread."""
        items = _chronological(parsed_items)
        item_keys = {item: item.dedup_keys() for item in items}
        seen = self.feeds.seen(url, (k for keys in item_keys.values() for k in keys))
        new: list[FeedItem] = []
        batch: set[ItemKey] = set()
        for item in items:
            keys = item_keys[item]
            if not any(k in seen or k in batch for k in keys):
                new.append(item)
            batch.update(keys)
        return items, item_keys, new

    async def _offload(self, func: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        """Run CPU-heavy work in a worker thread, one piece at a time per poller: the event loop stays free for
        chat events (Slack and Discord want an answer within 3 s), and concurrent polls of big feeds queue here
        instead of filling the thread pool."""
        async with self._cpu:
            return await asyncio.to_thread(func, *args, **kwargs)

    def _plan(
        self,
        url: str,
        feed_ref: FeedRef,
        matched: Sequence[tuple[FeedItem, Verdict]],
        policies: Mapping[Subscriber, ChannelPolicy],
    ) -> tuple[list[NewAlert], list[NewNotice]]:
        """Alerts for the first few matching items per channel, one digest line for the rest: no burst. Each
        channel sees the items through its own settings (threshold, muted narratives)."""
        alerts: list[NewAlert] = []
        notices: list[NewNotice] = []
        if not matched:
            return alerts, notices
        for sub, policy in policies.items():
            platform, channel_id = sub.platform, sub.channel_id
            language = self._language_of(sub, policy)
            seen: list[tuple[FeedItem, Verdict]] = []
            for item, verdict in matched:
                as_seen = policy.apply(verdict)
                if as_seen is not None:
                    seen.append((item, self.core.assessor.in_language(as_seen, language) if language else as_seen))
            shown = seen[: self.max_posts_per_poll]
            extra = len(seen) - len(shown)
            alerts.extend(
                NewAlert(item.item_id, platform, channel_id, verdict, sub.tenant) for item, verdict in shown
            )
            if extra:
                text = more_items_notice(feed_ref.title, url, extra, language or "en")
                notices.append(NewNotice(platform, channel_id, text, sub.tenant))
        return alerts, notices

    def _language_of(self, sub: Subscriber, policy: ChannelPolicy) -> Lang | None:
        """The language a subscribed channel reads in: its setting, else the poller's `channel_language`, else
        None (a card follows its item's language; a notice is in English)."""
        return as_language(policy.language or "") or (
            self.channel_language(sub.platform, sub.channel_id) if self.channel_language else None
        )

    async def _assess(
        self, items: Sequence[FeedItem], feed_ref: FeedRef, *, read_articles: bool, suggestions: bool = False,
        deadline: float = float("inf"), reads_until: float = float("inf"),
    ) -> tuple[list[tuple[FeedItem, Verdict]], set[FeedItem], set[FeedItem]]:
        """(matches in item order, items whose matching crashed, items left for the next poll).

        Items are matched oldest first until `deadline` (time.monotonic()); the rest are left for the next poll.
        At least one item is matched, so a backlog shrinks at every poll however slow matching is. The linked
        articles of the items matched are read after that: few (MAX_ARTICLE_READS_PER_POLL), each bounded by
        the fetcher's own limits, all of them by `reads_until`; the items whose reads it stops are left for the
        next poll too."""
        verdicts: dict[FeedItem, Verdict] = {}
        failed: set[FeedItem] = set()
        deferred: set[FeedItem] = set()
        to_read: list[FeedItem] = []
        candidates = [item for item in items if item.match_text.strip()]  # a photo-only post: nothing to match
        # In bounded batches: each is a fraction of a second in a worker thread, so a cancelled poll (shutdown)
        # stops soon, and a library reload takes effect within a big feed.
        for start in range(0, len(candidates), MATCH_BATCH_ITEMS):
            batch = candidates[start : start + MATCH_BATCH_ITEMS]
            outcomes = await self._offload(
                self._match_batch, batch, feed_ref, suggestions, deadline=deadline, at_least=int(start == 0)
            )
            if len(outcomes) < len(batch):
                deferred.update(candidates[start + len(outcomes) :])
            for item, outcome in zip(batch, outcomes, strict=False):
                if outcome is _FAILED:
                    failed.add(item)
                elif isinstance(outcome, Verdict):
                    verdicts[item] = outcome
                elif (
                    read_articles
                    and self.settings.feed_read_articles
                    and item.link
                    and len(item.text) < self.short_summary_chars
                ):
                    to_read.append(item)
            if deferred:
                break
        # Only a summary: the claim may be in the article. Bounded per poll so a big feed cannot fan out.
        if len(to_read) > MAX_ARTICLE_READS_PER_POLL:
            logger.info("feed %s: reading %d of %d linked articles", feed_ref.url, MAX_ARTICLE_READS_PER_POLL,
                        len(to_read))
        reading = to_read[:MAX_ARTICLE_READS_PER_POLL]
        tasks = [asyncio.ensure_future(self._read(item, feed_ref, suggestions)) for item in reading]
        if tasks:
            try:
                _, late = await asyncio.wait(tasks, timeout=max(0.0, reads_until - time.monotonic()))
            finally:  # also when this poll is cancelled: no read outlives it
                for task in tasks:
                    task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            if late:
                logger.info("feed %s: %d article reads stopped, left for the next poll", feed_ref.url, len(late))
        for item, task in zip(reading, tasks, strict=True):
            if task.cancelled():
                deferred.add(item)
            elif (error := task.exception()) is not None:
                logger.error("reading %s failed", item.link, exc_info=error)
            elif (read := task.result()) is not None:
                verdicts[item] = dataclasses.replace(read, article=self._article_ref(item, feed_ref))
        return [(item, verdicts[item]) for item in items if item in verdicts], failed, deferred

    def _match_batch(
        self, batch: Sequence[FeedItem], feed_ref: FeedRef, suggestions: bool = False, *,
        deadline: float = float("inf"), at_least: int = 0,
    ) -> list[Verdict | object | None]:
        """Match items in a worker thread: a Verdict, None (no narrative), or _FAILED (a crash, logged) each, for
        the first items of the batch: it stops at `deadline` (time.monotonic()) once `at_least` are done."""
        outcomes: list[Verdict | object | None] = []
        for item in batch:
            if len(outcomes) >= at_least and time.monotonic() >= deadline:
                break
            try:
                ref = self._article_ref(item, feed_ref)
                verdict = self.core.assessor.assess_now(
                    item.match_text, article=ref, feed=feed_ref, include_suggestions=suggestions
                )
            except Exception:
                logger.exception("matching an item of %s failed", feed_ref.url)
                outcomes.append(_FAILED)
                continue
            outcomes.append(verdict)
        return outcomes

    async def _read(self, item: FeedItem, feed_ref: FeedRef, suggestions: bool = False) -> Verdict | None:
        assert item.link is not None
        async with self._host_slot(item.link):
            verdict, problem = await self.core.assessor.read_and_assess(
                item.link, feed=feed_ref, include_suggestions=suggestions
            )
        if problem is not None:
            logger.info("could not read %s from %s: %s", item.link, feed_ref.url, problem.code)
        return verdict

    @staticmethod
    def _article_ref(item: FeedItem, feed_ref: FeedRef) -> ArticleRef:
        return ArticleRef(
            url=item.link or feed_ref.url, title=display_title(item), site=feed_ref.title, published=item.published
        )

    # -- delivery ---------------------------------------------------------------------------------------------

    async def deliver(self, sender: AlertSender) -> int:
        """Post pending alerts and notices for the sender's platform, oldest first; how many were posted.

        A row is marked posted only after the sender returns. A failure keeps it pending with a growing delay (and
        holds back that channel's later rows this round, to keep their order); after many attempts it is given up.
        """
        async with self._deliver_lock:
            # One replica delivers a platform's rows at a time (that keeps each channel's order); the lease is
            # renewed before each post, and a replica that dies holds it until it runs out.
            lease = f"deliver:{sender.platform}"
            if not self.feeds.take_lease(lease, self.replica_id, now=self.clock(), lease_s=self.lease_s):
                return 0
            try:
                return await self._deliver_held(sender, lease)
            finally:
                self.feeds.release_lease(lease, self.replica_id)

    async def _deliver_held(self, sender: AlertSender, lease: str) -> int:
        posted = 0
        # A channel is named by its tenant and id: two workspaces may use the same channel id.
        held: set[tuple[str, str]] = set()
        for row in self.feeds.pending(sender.platform):
            where = (row.tenant, row.channel_id)
            if where in held:
                continue
            if not self.feeds.take_lease(lease, self.replica_id, now=self.clock(), lease_s=self.lease_s):
                logger.warning("the %s delivery lease passed to another replica; stopping", sender.platform)
                break
            if row.next_attempt_at > self.clock():
                held.add(where)  # waiting for its retry: the channel's later rows wait behind it
                continue
            if not self.feeds.is_subscribed(row.platform, row.channel_id, row.feed_url, tenant=row.tenant):
                self.feeds.mark(row.id, "cancelled", self.clock())
                continue
            # Written before the post: if the answer is lost (a timeout, a kill), the next attempt knows the
            # post may already be in the channel and asks the sender to look first.
            self.feeds.mark_attempt(row.id, self.clock())
            try:
                if row.kind == "alert":
                    verdict = verdict_from_json(row.payload)
                    alert = FeedAlert(row.id, row.platform, row.channel_id, verdict, row.attempted_at, row.tenant)
                    await sender.send_alert(alert)
                else:
                    notice = FeedNotice(
                        row.platform, row.channel_id, row.payload, row.id, row.attempted_at, row.tenant
                    )
                    await sender.send_notice(notice)
            except Exception as exc:
                held.add(where)
                attempts = row.attempts + 1
                give_up = attempts >= DELIVERY_MAX_ATTEMPTS
                delay = min(DELIVERY_RETRY_BASE_S * 2 ** (attempts - 1), DELIVERY_RETRY_CAP_S)
                self.feeds.mark_retry(
                    row.id, error=repr(exc), next_attempt_at=self.clock() + delay, give_up=give_up
                )
                if give_up:
                    logger.error("giving up on %s %d for %s/%s after %d attempts: %r",
                                 row.kind, row.id, row.platform, row.channel_id, attempts, exc)
                else:
                    logger.warning("posting %s %d to %s/%s failed (attempt %d), will retry in %.0f s: %r",
                                   row.kind, row.id, row.platform, row.channel_id, attempts, delay, exc)
                continue
            self.feeds.mark(row.id, "posted", self.clock())
            posted += 1
        return posted

    # -- the loop ---------------------------------------------------------------------------------------------

    async def run(self, sender: AlertSender, *, stop: asyncio.Event | None = None, tick_s: float = 30.0) -> None:
        """Poll due feeds and deliver, every `tick_s`, until `stop` is set; never raises on one feed's failure."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.poll_once()
            except Exception:
                logger.exception("feed poll round failed")
            try:
                await self.deliver(sender)
            except Exception:
                logger.exception("feed delivery round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), tick_s)

