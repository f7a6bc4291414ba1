"""The `/narrative` command: which subcommand was asked, and the words of its answer. The work behind each answer
lives with its job (assess, narrative_search, feed_commands, channel_settings, history_commands)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.assess import Assessor, strip_links
from bot.channel_settings import ChannelSettings, SettingError
from bot.feed_commands import FeedCommands
from bot.history_commands import HistoryCommands
from bot.library_holder import LibraryHolder
from bot.models import CommandRequest, CommandResponse
from bot.narrative_search import NarrativeSearch
from bot.render.i18n import reply_language, text_language, word
from matchers import Lang, Narrative
from matchers.library import as_language

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class NarrativeCard:
    """What `show` returns, for renderers that want more than text."""

    narrative: Narrative


class NarrativeCommands:
    """Answers `/narrative …` for every platform alike; who may run the commands that change a channel is the
    adapter's business (bot/permissions.py)."""

    def __init__(
        self,
        library: LibraryHolder,
        assessor: Assessor,
        finder: NarrativeSearch,
        channels: ChannelSettings,
        feeds: FeedCommands,
        history_commands: HistoryCommands,
    ) -> None:
        self.library = library
        self.assessor = assessor
        self.finder = finder
        self.channels = channels
        self.feeds = feeds
        self.history_commands = history_commands

    async def handle(
        self, request: CommandRequest, *, channel_language: Lang | None = None
    ) -> CommandResponse:
        """Answer `/narrative …`. `show`, `list`, `search` and `check` answer in `channel_language` when the channel
        has one (None: not set), else in the language the words or text were written in (`show ID uk` and `list uk`
        name one), else in English."""
        channel_language = channel_language or as_language(
            self.channels.reply_language(request.platform, request.channel_id, tenant=request.tenant) or ""
        )
        text = request.text.strip()
        if text.startswith("/narrative"):
            text = text[len("/narrative") :].strip()
        sub, _, rest = text.partition(" ")
        sub = sub.lower()
        rest = rest.strip()
        # The command's own words, for the answers that have nothing else to follow (help, usage, errors).
        asked_in = channel_language or text_language(text) or "en"
        if sub in ("", "help"):
            return CommandResponse(word("help", asked_in))
        if sub == "list":
            return self._list(as_language(rest) or channel_language or "en")
        if sub == "show":
            # A last word that names a language picks it ("show troops-denial uk"); otherwise it is all the id.
            head, _, last = rest.rpartition(" ")
            asked = as_language(last) if head else None
            return self._show(head if asked else rest, asked or asked_in)
        if sub == "search":
            return self._search(rest, channel_language or text_language(rest) or "en")
        if sub == "check":
            return await self._check(rest, channel_language, asked_in)
        if sub == "feeds":
            # The feed commands have no words of their own to follow: the channel's language, else English.
            return await self.feeds.handle(request, rest, channel_language or "en")
        if sub == "settings":
            return self._settings(request, rest, asked_in)
        if sub in ("recent", "feedback", "digest"):
            return self.history_commands.handle(request, sub, rest, asked_in)
        return CommandResponse(
            word("unknown_subcommand", asked_in, sub=sub) + "\n\n" + word("help", asked_in), error=True
        )

    def _list(self, language: Lang) -> CommandResponse:
        lines = [f"• `{n.id}` — {n.title_in(language)}" for n in self.library.library.narratives]
        return CommandResponse(word("list_header", language, count=len(lines)) + "\n" + "\n".join(lines))

    def describe(self, narrative: Narrative, language: Lang = "en") -> str:
        sources = "\n".join(f"  – {s.title}: {s.url}" for s in narrative.sources)
        return (
            f"*{narrative.title_in(language)}* (`{narrative.id}`)\n{narrative.summary_in(language)}\n\n"
            f"*{word('facts', language)}:* {narrative.debunk_in(language)}\n*{word('sources', language)}:*\n{sources}"
        )

    def _show(self, narrative_id: str, language: Lang = "en") -> CommandResponse:
        if not narrative_id:
            return CommandResponse(word("usage_show", language), error=True)
        narrative = self.library.library.get(narrative_id.strip().lower())
        if narrative is None:
            close = self.finder.closest_ids(narrative_id)
            hint = word("did_you_mean", language, ids=", ".join(f"`{c}`" for c in close)) if close else ""
            return CommandResponse(
                word("no_narrative", language, id=narrative_id) + hint, error=True, choices=tuple(close)
            )
        return CommandResponse(self.describe(narrative, language))

    def _search(self, words: str, language: Lang = "en") -> CommandResponse:
        if not words:
            return CommandResponse(word("usage_search", language), error=True)
        found = self.finder.search(words)
        if not found:
            return CommandResponse(word("search_none", language, words=words))
        lines = [f"• `{n.id}` — {n.title_in(language)}" for n, _ in found]
        return CommandResponse(word("search_header", language, words=words) + "\n" + "\n".join(lines))

    async def _check(self, rest: str, channel_language: Lang | None, asked_in: Lang) -> CommandResponse:
        public = False
        words = rest.split()
        if "--public" in words:
            public = True
            rest = " ".join(w for w in words if w != "--public")
        if not rest:
            return CommandResponse(word("usage_check", asked_in), error=True)
        return await self.check_answer(rest, public=public, channel_language=channel_language)

    async def check_answer(
        self, text: str, *, public: bool = False, channel_language: Lang | None = None
    ) -> CommandResponse:
        """What `check` says about a text and its links: for the command, Slack's message shortcut and Discord's
        message menu alike (private unless `public`)."""
        verdicts, problems = await self.assessor.check(text, channel_language=channel_language)
        if not verdicts and problems:
            text = "\n".join(p.message if len(problems) == 1 else f"{p.url}: {p.message}" for p in problems)
            return CommandResponse(text, problems=tuple(problems), ephemeral=not public, error=True)
        # The answer's own words follow its cards (the first card's language when links differ).
        language = verdicts[0].language if verdicts else reply_language(strip_links(text), channel_language)
        if not verdicts:
            return CommandResponse(word("check_none", language), ephemeral=not public)
        found = any(v.alerts for v in verdicts)
        summary = word("check_found" if found else "check_possible", language)
        summary += "".join("\n" + word("could_not_read", language, url=p.url, message=p.message) for p in problems)
        return CommandResponse(summary, verdicts=tuple(verdicts), problems=tuple(problems), ephemeral=not public)

    def _settings(self, request: CommandRequest, rest: str, language: Lang = "en") -> CommandResponse:
        """`settings` alone shows the channel's settings; with arguments it changes one. Who may change them is
        the adapter's business (bot/permissions.py): the core only applies what reaches it. The answer is in
        `language`, chosen before the change (a `language` change is confirmed in the language asked in)."""
        args = rest.split()
        where = request.platform, request.channel_id
        if not args or args[0].lower() in ("show", "list"):
            return CommandResponse(self.channels.describe(*where, tenant=request.tenant, lang=language))
        try:
            text = self.channels.change(*where, args, request.user_id, tenant=request.tenant, lang=language)
        except SettingError as exc:
            return CommandResponse(str(exc), error=True)
        logger.info("settings of %s/%s changed by %s: %s", request.platform, request.channel_id,
                    request.user_id or "?", " ".join(args))
        return CommandResponse(text)
