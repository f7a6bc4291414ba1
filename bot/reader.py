"""ArticleReader: URL -> Article, with a TTL cache and one in-flight fetch per URL."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bot.extract import Article, extract_article
from bot.fetch import FetchError, SafeFetcher
from bot.links import canonicalize_url
from bot.telegram import TELEGRAM_BASE, parse_telegram_embed, telegram_embed_url, telegram_post_url

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Entry:
    expires: float
    article: Article | None
    error: FetchError | None


def _size(entry: _Entry) -> int:
    article = entry.article
    if article is None:
        return 200  # an error entry: a code and a short message
    return len(article.text) + len(article.title or "") + len(article.url) + 200


def _copy(err: FetchError) -> FetchError:
    # A fresh exception per raise: re-raising one cached object would chain tracebacks forever.
    return FetchError(
        err.code,
        None if err.reason else err.user_message,
        reason=err.reason,
        url=err.url,
        status=err.status,
        operator_hint=err.operator_hint,
    )


class ArticleReader:
    """Reads links for the bot: canonicalise, route Telegram posts, fetch, extract, cache."""

    def __init__(
        self,
        fetcher: SafeFetcher,
        ttl_s: float = 900,
        max_entries: int = 512,
        max_chars: int = 8_000_000,
        clock: Callable[[], float] = time.monotonic,
        *,
        error_ttl_s: float = 60,
        telegram_base: str = TELEGRAM_BASE,
        extract_timeout_s: float = 15.0,
    ) -> None:
        self._fetcher = fetcher
        self._ttl_s = ttl_s
        self._error_ttl_s = error_ttl_s
        self._max_entries = max_entries
        # Entries are bounded in size as well as number: 512 articles of up to 200,000 characters each would be
        # 100 MB to 400 MB, so an entry count alone does not bound the cache's memory.
        self._max_chars = max_chars
        self._cache_chars = 0
        self._clock = clock
        self._telegram_base = telegram_base.rstrip("/")
        self._extract_timeout_s = extract_timeout_s
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._inflight: dict[str, asyncio.Task[_Entry]] = {}

    async def read(self, url: str) -> Article:
        """The article behind url; raises FetchError (possibly a cached one) when it can't."""
        try:
            key = canonicalize_url(url)
        except ValueError:
            raise FetchError("bad_url", url=url) from None
        entry = self._cached(key)
        if entry is None:
            task = self._inflight.get(key)
            if task is None:
                task = asyncio.create_task(self._load(key))
                self._inflight[key] = task
                task.add_done_callback(functools.partial(self._finished, key))
            # shield: one caller giving up (cancelled) must not cancel the others' fetch.
            entry = await asyncio.shield(task)
        if entry.error is not None:
            raise _copy(entry.error)
        assert entry.article is not None
        return entry.article

    def _cached(self, key: str) -> _Entry | None:
        entry = self._cache.get(key)
        if entry is None:
            return None
        if entry.expires <= self._clock():
            self._drop(key)
            return None
        self._cache.move_to_end(key)
        return entry

    def _finished(self, key: str, task: asyncio.Task[_Entry]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if task.cancelled() or task.exception() is not None:
            return
        if key in self._cache:
            self._drop(key)
        entry = task.result()
        self._cache[key] = entry
        self._cache_chars += _size(entry)
        while self._cache and (len(self._cache) > self._max_entries or self._cache_chars > self._max_chars):
            self._drop(next(iter(self._cache)))  # the least recently used

    def _drop(self, key: str) -> None:
        self._cache_chars -= _size(self._cache.pop(key))

    async def _load(self, key: str) -> _Entry:
        try:
            article = await self._read_uncached(key)
        except FetchError as err:
            return _Entry(self._clock() + self._error_ttl_s, None, err)
        except Exception as exc:  # a bug or a library surprise: answer the user, keep the bot up
            logger.warning("reading %s failed unexpectedly: %r", key, exc)
            return _Entry(self._clock() + self._error_ttl_s, None, FetchError("connect_failed", url=key))
        return _Entry(self._clock() + self._ttl_s, article, None)

    async def _read_uncached(self, url: str) -> Article:
        embed = telegram_embed_url(url, self._telegram_base)
        if embed is not None:
            post_url = telegram_post_url(url) or url
            page = await self._fetcher.fetch(embed)
            return await self._off_loop(url, parse_telegram_embed, page.text, post_url)
        page = await self._fetcher.fetch(url)
        # trafilatura is CPU work (milliseconds to a second on big pages): keep the loop free.
        return await self._off_loop(url, extract_article, page)

    async def _off_loop(self, url: str, parse: Callable[..., Article], *args: object) -> Article:
        """Run a parser in a worker thread, and answer within the time bound whatever it does.

        extract_article bounds its own work (MAX_TAGS); this is the backstop for a page that slips past that
        bound. A thread cannot be stopped, so it runs on, but the user gets an answer and the loop never waits.
        """
        try:
            async with asyncio.timeout(self._extract_timeout_s):
                return await asyncio.to_thread(parse, *args)
        except TimeoutError:
            logger.warning("extracting %s took over %.0f s: given up", url, self._extract_timeout_s)
            raise FetchError("page_too_complex", url=url) from None
