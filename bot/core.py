"""Platform-neutral core: a message, command or feed item in; verdict cards and answers out. No chat SDK here.

Core wires the parts together and is what adapters hold: matching and reading (bot/assess.py), the `/narrative`
command (bot/commands.py) and the channel's state (settings, alert history, digests). It decides itself only
what a chat message gets in reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.assess import ArticleSource, Assessor, strip_links
from bot.channel_settings import ChannelPolicy, ChannelSettings
from bot.commands import NarrativeCommands
from bot.config import Settings
from bot.digest import DigestSettings
from bot.feed_commands import FeedChecker, FeedCommands
from bot.history import REASONS, AlertHistory
from bot.history_commands import HistoryCommands
from bot.library_holder import LibraryHolder
from bot.links import find_links
from bot.models import (
    CommandRequest,
    CommandResponse,
    IncomingMessage,
    LinkProblem,
    MessageOutcome,
    Verdict,
)
from bot.narrative_search import NarrativeSearch
from bot.render.i18n import reason_label, text_language, word
from bot.store import Store
from matchers import Lang, Narrative
from matchers.library import as_language

__all__ = ["Core", "strip_links"]

logger = logging.getLogger(__name__)

# A message without links is matched on its own text only when it is long enough to carry a claim: short chatter
# ("lol", "see thread") never alerts and costs nothing.
MIN_WORDS_FOR_TEXT_MATCH = 6


class Core:
    """Decides what to say; adapters decide how to draw and send it."""

    def __init__(
        self,
        library: LibraryHolder,
        store: Store,
        settings: Settings,
        reader: ArticleSource | None = None,
        feed_checker: FeedChecker | None = None,
    ) -> None:
        self.library = library
        self.store = store
        self.settings = settings
        self.channels = ChannelSettings(store, settings, lambda: self.library.library.ids)
        self.history = AlertHistory(store)
        self.digests = DigestSettings(store, self.channels)
        self.history_commands = HistoryCommands(self.history, self.digests)
        self.assessor = Assessor(library, settings, reader)
        self.finder = NarrativeSearch(library)
        self.feeds = FeedCommands(store, feed_checker)
        self.commands = NarrativeCommands(
            library, self.assessor, self.finder, self.channels, self.feeds, self.history_commands
        )

    @property
    def reader(self) -> ArticleSource | None:
        return self.assessor.reader

    @property
    def feed_checker(self) -> FeedChecker | None:
        return self.feeds.feed_checker

    def reply_language(self, platform: str, channel_id: str, *, tenant: str = "") -> str | None:
        """The language a channel's replies should be in; None to follow the language of the text answered."""
        return self.channels.reply_language(platform, channel_id, tenant=tenant)

    def channel_language(self, platform: str, channel_id: str, *, tenant: str = "") -> Lang | None:
        """`reply_language` as one of the library's languages (None: follow the text)."""
        return as_language(self.reply_language(platform, channel_id, tenant=tenant) or "")

    # -- chat messages --------------------------------------------------------------------------------------

    async def handle_message(
        self, message: IncomingMessage, *, channel_language: Lang | None = None
    ) -> MessageOutcome:
        """Read the links in a message (and its own text) and decide what to reply, once per message.

        The reply is in `channel_language` when the caller names one, else in the channel's setting, else in the
        language of the message's own words, else (a message that is only links) in each article's language.
        """
        policy = self.channels.policy(message.platform, message.channel_id, tenant=message.tenant)
        links = find_links(message.text, limit=self.settings.max_links) if policy.links else []
        # With links off a link is not read, and its address is no claim to match either.
        own_text = strip_links(message.text) if links or not policy.links else message.text
        has_claim_text = len(own_text.split()) >= MIN_WORDS_FOR_TEXT_MATCH
        if not links and not has_claim_text:
            return MessageOutcome()
        if not self.store.claim_message(message.platform, message.channel_id, message.message_id):
            logger.info("message %s/%s already handled", message.channel_id, message.message_id)
            return MessageOutcome(duplicate=True)
        language = channel_language or as_language(policy.language or "") or text_language(own_text)
        try:
            return await self._decide(own_text if has_claim_text else None, links, language, policy)
        except BaseException:
            # A crash (or a cancelled task) must not leave the message marked handled with no answer: a re-sent
            # event gets another chance.
            self.reply_failed(message)
            raise

    async def _decide(
        self, own_text: str | None, links: Sequence[str], language: Lang | None, policy: ChannelPolicy
    ) -> MessageOutcome:
        verdicts: list[Verdict] = []
        problems: list[LinkProblem] = []
        # A channel with its own cut-off decides on scores below the process's alert threshold too.
        suggestions = policy.own_threshold
        if own_text is not None:
            verdict = policy.apply(
                await self.assessor.assess(own_text, include_suggestions=suggestions, language=language)
            )
            if verdict is not None:
                verdicts.append(verdict)
        results = await asyncio.gather(
            *(self.assessor.read_and_assess(url, include_suggestions=suggestions, language=language) for url in links)
        )
        for verdict_or_none, problem in results:
            verdict_or_none = policy.apply(verdict_or_none)
            if verdict_or_none is not None:
                verdicts.append(verdict_or_none)
            if problem is not None and self.settings.link_errors == "reply":
                problems.append(problem)
        return MessageOutcome(verdicts=tuple(verdicts), problems=tuple(problems), checked=True)

    def reply_failed(self, message: IncomingMessage) -> None:
        """The adapter could not post the reply: let a re-sent event try again instead of dropping it."""
        self.store.release_message(message.platform, message.channel_id, message.message_id)

    def record_feedback(
        self,
        platform: str,
        channel_id: str,
        message_ref: str,
        narrative_id: str,
        user_id: str,
        value: str,
        *,
        channel_language: Lang | None = None,
        tenant: str = "",
    ) -> str:
        """A ✅ or ❌ on a card; the thanks, in `channel_language`, else the channel's setting, else English (a click
        has no words of its own to follow)."""
        self.store.record_feedback(platform, channel_id, message_ref, narrative_id, user_id, value, tenant=tenant)
        language = channel_language or self.channel_language(platform, channel_id, tenant=tenant) or "en"
        narrative = self.library.library.get(narrative_id)
        title = narrative.title_in(language) if narrative else narrative_id
        return word("feedback_right" if value == "correct" else "feedback_wrong", language, title=title)

    def record_reason(
        self,
        platform: str,
        message_ref: str,
        narrative_id: str,
        user_id: str,
        reason: str,
        *,
        tenant: str = "",
        channel_id: str = "",
        channel_language: Lang | None = None,
    ) -> str:
        """The optional reason after a ❌; what to tell the person who gave it, in the language of the thanks for
        the ❌ (`channel_language`, else the setting of the channel clicked in, else English)."""
        language = channel_language or self.channel_language(platform, channel_id, tenant=tenant) or "en"
        if reason not in REASONS or not self.history.set_reason(
            platform, message_ref, narrative_id, user_id, reason, tenant=tenant
        ):
            return word("reason_not_recorded", language)
        return word("reason_noted", language, reason=reason_label(reason, language).lower())

    # -- the /narrative command (bot/commands.py) -----------------------------------------------------------

    async def handle_command(
        self, request: CommandRequest, *, channel_language: Lang | None = None
    ) -> CommandResponse:
        """See NarrativeCommands.handle."""
        return await self.commands.handle(request, channel_language=channel_language)

    async def check_answer(
        self, text: str, *, public: bool = False, channel_language: Lang | None = None
    ) -> CommandResponse:
        """See NarrativeCommands.check_answer."""
        return await self.commands.check_answer(text, public=public, channel_language=channel_language)

    def search(self, words: str, limit: int = 5) -> list[tuple[Narrative, float]]:
        """See NarrativeSearch.search."""
        return self.finder.search(words, limit)

    def closest_ids(self, word: str, limit: int = 3) -> list[str]:
        return self.finder.closest_ids(word, limit)

    def describe(self, narrative: Narrative, language: Lang = "en") -> str:
        return self.commands.describe(narrative, language)
