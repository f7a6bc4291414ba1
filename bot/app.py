"""The one place that builds concrete clients from settings and wires them together."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.core import Core
from bot.library_cache import LibraryCache
from bot.library_holder import LibraryHolder, SemanticBuild
from bot.store import Store
from matchers import Library, Thresholds
from matchers.semantic import HybridMatcher

if TYPE_CHECKING:
    from bot.feeds import FeedPoller
    from bot.fetch import SafeFetcher
    from bot.reader import ArticleReader

logger = logging.getLogger(__name__)


def thresholds_from(settings: Settings) -> Thresholds:
    defaults = Thresholds()
    return Thresholds(
        alert=settings.alert_threshold if settings.alert_threshold is not None else defaults.alert,
        suggest=settings.suggest_threshold if settings.suggest_threshold is not None else defaults.suggest,
    )


def build_fetcher(settings: Settings) -> SafeFetcher:
    from bot.fetch import FetchSettings, SafeFetcher

    return SafeFetcher(
        FetchSettings(
            timeout_s=settings.fetch_timeout_s,
            max_bytes=settings.max_page_bytes,
            allow_nets=settings.allow_nets,
            allowed_ports=settings.allowed_ports,
            trust_env=settings.trust_env_proxy,
        )
    )


@dataclass
class App:
    """Everything a platform adapter needs, built once."""

    settings: Settings
    store: Store
    library: LibraryHolder
    fetcher: SafeFetcher
    reader: ArticleReader
    core: Core
    feed_poller: FeedPoller

    async def aclose(self) -> None:
        await self.fetcher.aclose()
        self.store.close()

    async def __aenter__(self) -> App:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def semantic_build(settings: Settings) -> SemanticBuild | None:
    """The full matcher's build for the library holder, or None when the semantic stage is off or cannot load
    here (said once; the lexical stage then serves alone)."""
    if not settings.semantic:
        return None
    from bot.semantic_setup import build_classifier, hybrid_matcher, load_embedder
    from matchers.embedding import EmbedderUnavailable

    try:
        embedder = load_embedder(settings)
    except EmbedderUnavailable as exc:
        logger.warning("semantic stage unavailable, matching with the lexical stage only: %s", exc)
        return None
    thresholds = thresholds_from(settings)

    def build(library: Library) -> HybridMatcher:
        classifier = build_classifier(library, embedder, settings.artefact_dir)
        return hybrid_matcher(library, thresholds, embedder, classifier, settings)

    return build


def build_app(settings: Settings) -> App:
    from bot.extract import start_warm_up
    from bot.reader import ArticleReader

    start_warm_up()
    library = LibraryHolder(
        settings.library_path, thresholds_from(settings), semantic=semantic_build(settings),
        max_bytes=settings.max_library_bytes, cache=LibraryCache(settings.artefact_dir),
    )
    store = Store(settings.database)
    fetcher = build_fetcher(settings)
    reader = ArticleReader(fetcher)
    from bot.feed_probe import FeedProbe

    core = Core(library, store, settings, reader=reader, feed_checker=FeedProbe(fetcher))
    feed_poller = build_feed_poller(settings, store, fetcher, core)
    return App(
        settings=settings, store=store, library=library, fetcher=fetcher, reader=reader, core=core,
        feed_poller=feed_poller,
    )


def build_feed_poller(settings: Settings, store: Store, fetcher: SafeFetcher, core: Core) -> FeedPoller:
    """The feed poller, after subscribing the default feeds from Settings.feeds_file (idempotent)."""
    from bot.config import ConfigError
    from bot.feed_store import FeedsFileError, load_default_feeds
    from bot.feeds import FeedPoller

    if settings.feeds_file is not None:
        try:
            load_default_feeds(store, settings.feeds_file, settings.platform())
        except FeedsFileError as exc:
            raise ConfigError(f"NARRATIVE_BOT_FEEDS_FILE: {exc}") from None
    return FeedPoller(store, fetcher, core, settings)
