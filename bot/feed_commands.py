"""`/narrative feeds add|remove|list`: a channel's feed subscriptions, answered in the channel's language."""

from __future__ import annotations

import shlex
from typing import Protocol

from bot.links import canonical_feed_url
from bot.models import CommandRequest, CommandResponse, FeedCheck
from bot.read_reasons import plural
from bot.render.i18n import ITEMS, word
from bot.store import Store
from matchers import Lang

# A feed's title quoted as each language quotes: “Wire” in English, «Wire» in Ukrainian and Russian.
_QUOTES: dict[Lang, str] = {"en": "“{}”", "uk": "«{}»", "ru": "«{}»"}


class FeedChecker(Protocol):
    """Tries a feed once (fetch and parse) without subscribing to it."""

    async def check(self, url: str) -> FeedCheck: ...


class FeedCommands:
    """Adds, removes and lists a channel's feeds; a feed is tried first when there is a `feed_checker`."""

    def __init__(self, store: Store, feed_checker: FeedChecker | None = None) -> None:
        self.store = store
        # Without one (a core built for matching only) feeds are subscribed untried, as before.
        self.feed_checker = feed_checker

    async def handle(self, request: CommandRequest, rest: str, language: Lang = "en") -> CommandResponse:
        """Answer `/narrative feeds …` (`rest` is what follows `feeds`) in `language`."""
        try:
            action, *args = shlex.split(rest) if rest else ["list"]
        except ValueError:
            action, args = rest.split()[0], rest.split()[1:]
        action = action.lower()
        if action == "list":
            subs = self.store.subscriptions(request.platform, request.channel_id, tenant=request.tenant)
            if not subs:
                return CommandResponse(word("feeds_none", language))
            from bot.feed_store import FeedStore, describe_feed_state

            feeds = FeedStore(self.store)
            lines = [f"• {s.feed_url}{describe_feed_state(feeds.state(s.feed_url), language)}" for s in subs]
            return CommandResponse(word("feeds_header", language) + "\n" + "\n".join(lines))
        if action in ("add", "remove") and len(args) == 1:
            url = canonical_feed_url(args[0])
            if url is None:
                return CommandResponse(word("feeds_not_url", language, value=args[0]), error=True)
            if action == "add":
                return await self._add(request, url, language)
            removed = self.store.remove_subscription(request.platform, request.channel_id, url, tenant=request.tenant)
            if not removed:
                return CommandResponse(word("feeds_not_watched", language, url=url), error=True)
            return CommandResponse(word("feeds_stopped", language, url=url))
        return CommandResponse(word("feeds_usage", language), error=True)

    async def _add(self, request: CommandRequest, url: str, language: Lang = "en") -> CommandResponse:
        feeds = [
            s.feed_url for s in self.store.subscriptions(request.platform, request.channel_id, tenant=request.tenant)
        ]
        if url in feeds:
            return CommandResponse(word("feeds_already", language, url=url))
        about = ""
        if self.feed_checker is not None:
            # Try it first: "Watching" a feed that can never be read would only fail quietly, poll after poll.
            check = await self.feed_checker.check(url)
            if check.problem is not None:
                problem = check.reason.clause(language) if check.reason is not None else check.problem
                return CommandResponse(word("feeds_refused", language, url=url, problem=problem), error=True)
            items = word("feeds_items_now", language, count=check.items, items=plural(check.items, language, ITEMS))
            title = f"{_QUOTES[language].format(check.title)}, " if check.title else ""
            about = f" ({title}{items})"
        added = self.store.add_subscription(
            request.platform, request.channel_id, url, request.user_id, tenant=request.tenant
        )
        if not added:
            return CommandResponse(word("feeds_already", language, url=url))
        return CommandResponse(word("feeds_added", language, url=url, about=about))
