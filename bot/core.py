"""Platform-neutral core: a message, command or feed item in; verdict cards and answers out. No chat SDK here."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import shlex
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz, process

from bot.channel_settings import ChannelPolicy, ChannelSettings, SettingError
from bot.config import Settings
from bot.digest import DigestSettings
from bot.headline import with_headline
from bot.history import REASONS, AlertHistory, excerpt_of
from bot.history_commands import HistoryCommands
from bot.library_holder import LibraryHolder
from bot.links import canonical_feed_url, find_links
from bot.models import (
    ArticleRef,
    CommandRequest,
    CommandResponse,
    FeedCheck,
    FeedRef,
    Finding,
    IncomingMessage,
    LinkProblem,
    MessageOutcome,
    SourceLink,
    Verdict,
)
from bot.read_reasons import plural
from bot.render.i18n import ITEMS, reply_language, text_language, word
from bot.store import Store
from matchers import Lang, Match, Narrative
from matchers.index import analyse
from matchers.library import as_language

logger = logging.getLogger(__name__)

# A message without links is matched on its own text only when it is long enough to carry a claim: short chatter
# ("lol", "see thread") never alerts and costs nothing.
MIN_WORDS_FOR_TEXT_MATCH = 6
MAX_FINDINGS_PER_CARD = 3


class ArticleLike(Protocol):
    @property
    def url(self) -> str: ...
    @property
    def title(self) -> str | None: ...
    @property
    def site(self) -> str | None: ...
    @property
    def published(self) -> str | None: ...
    @property
    def text(self) -> str: ...


class ArticleSource(Protocol):
    """Reads a URL into an article; raises an exception with `code` and `user_message` when it cannot."""

    async def read(self, url: str) -> ArticleLike: ...


class FeedChecker(Protocol):
    """Tries a feed once (fetch and parse) without subscribing to it."""

    async def check(self, url: str) -> FeedCheck: ...


class ReadError(Protocol):
    code: str
    user_message: str

    def message_in(self, lang: Lang) -> str: ...


HELP_TEXT = """\
*/narrative* — recognise Kremlin talking points about the Russia–DPRK alliance.
• `/narrative check TEXT|URL` — check a text and any links in it (add `--public` to show the result to the channel)
• `/narrative search WORDS` — find narratives by words
• `/narrative show ID [en|uk|ru]` — a narrative with its debunk and sources, in a language of your choice
• `/narrative list [en|uk|ru]` — every narrative in the library
• `/narrative feeds add URL` | `feeds remove URL` | `feeds list` — watch RSS/Atom feeds or Telegram channels here
• `/narrative settings` — this channel's settings; `settings threshold N`, `mute ID`, `unmute ID`, `links on|off`, \
`thread on|off`, `language en|uk|ru|auto`, `digest on|off`, `reset` change them
• `/narrative recent [N]` — this channel's latest alerts, with the feedback they got
• `/narrative feedback [disputed|confirmed]` — the matches people marked right or wrong here
• `/narrative digest on|off` — a weekly summary with a chart, posted here
• `/narrative help` — this text"""


@dataclass(frozen=True)
class NarrativeCard:
    """What `show` returns, for renderers that want more than text."""

    narrative: Narrative


def finding_from_match(match: Match, narrative: Narrative, language: Lang = "en") -> Finding:
    return Finding(
        narrative_id=match.narrative_id,
        title=narrative.title_in(language),
        score=round(match.score),
        level=match.level,
        evidence=match.evidence,
        matched=match.matched,
        debunk=narrative.debunk_in(language),
        sources=tuple(SourceLink(s.title, s.url) for s in narrative.sources),
        signals=match.signals,
    )


def _error_message(exc: BaseException, language: Lang) -> tuple[str, str, str | None]:
    """The code, the message in `language` and the operator hint of a failed read (see ReadError)."""
    code = getattr(exc, "code", None)
    message = getattr(exc, "user_message", None)
    hint = getattr(exc, "operator_hint", None)
    message_in = getattr(exc, "message_in", None)
    if callable(message_in):
        worded = message_in(language)
        message = worded if isinstance(worded, str) else message
    if isinstance(code, str) and isinstance(message, str):
        return code, message, hint if isinstance(hint, str) else None
    return "internal_error", word("read_internal_error", language), None


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
        self.reader = reader
        # Without one (a core built for matching only) feeds are subscribed untried, as before.
        self.feed_checker = feed_checker
        self.channels = ChannelSettings(store, settings, lambda: self.library.library.ids)
        self.history = AlertHistory(store)
        self.digests = DigestSettings(store, self.channels)
        self.history_commands = HistoryCommands(self.history, self.digests)

    def reply_language(self, platform: str, channel_id: str, *, tenant: str = "") -> str | None:
        """The language a channel's replies should be in; None to follow the language of the text answered."""
        return self.channels.reply_language(platform, channel_id, tenant=tenant)

    def channel_language(self, platform: str, channel_id: str, *, tenant: str = "") -> Lang | None:
        """`reply_language` as one of the library's languages (None: follow the text)."""
        return as_language(self.reply_language(platform, channel_id, tenant=tenant) or "")

    # -- matching -------------------------------------------------------------------------------------------

    async def assess(
        self,
        text: str,
        *,
        article: ArticleRef | None = None,
        feed: FeedRef | None = None,
        include_suggestions: bool = False,
        language: Lang | None = None,
    ) -> Verdict | None:
        """Match a text; a Verdict when it carries a narrative at alert level (or suggest level when asked).

        The card is in `language`, or in the text's own language when none is given (English for a text with no
        letters).
        """
        # Always off the event loop: with the semantic stage even a short message embeds its sentences (tens of
        # milliseconds each), and Slack and Discord expect their acknowledgements meanwhile.
        return await asyncio.to_thread(
            self.assess_now,
            text,
            article=article,
            feed=feed,
            include_suggestions=include_suggestions,
            language=language,
        )

    def assess_now(
        self,
        text: str,
        *,
        article: ArticleRef | None = None,
        feed: FeedRef | None = None,
        include_suggestions: bool = False,
        language: Lang | None = None,
    ) -> Verdict | None:
        """`assess` without the event loop: pure CPU work, for worker threads that match many texts in a row."""
        matches = self.library.matcher.match(text)
        verdict = self.verdict_from_matches(
            matches,
            article=article,
            feed=feed,
            include_suggestions=include_suggestions,
            language=reply_language(text, language),
        )
        return None if verdict is None else dataclasses.replace(verdict, excerpt=excerpt_of(text))

    def verdict_from_matches(
        self,
        matches: Sequence[Match],
        *,
        article: ArticleRef | None = None,
        feed: FeedRef | None = None,
        include_suggestions: bool = False,
        language: Lang = "en",
    ) -> Verdict | None:
        library = self.library.library
        findings: list[Finding] = []
        for match in matches:
            if match.level != "alert" and not include_suggestions:
                continue
            narrative = library.get(match.narrative_id)
            if narrative is not None:
                findings.append(finding_from_match(match, narrative, language))
        if not findings:
            return None
        return Verdict(
            findings=tuple(findings[:MAX_FINDINGS_PER_CARD]), article=article, feed=feed, language=language
        )

    def in_language(self, verdict: Verdict, language: Lang) -> Verdict:
        """The same card with its titles and debunks taken in another language (a channel's own setting for an
        alert matched once for several channels); a narrative since dropped from the library keeps its text."""
        if verdict.language == language:
            return verdict
        library = self.library.library
        findings = []
        for finding in verdict.findings:
            narrative = library.get(finding.narrative_id)
            if narrative is not None:
                finding = dataclasses.replace(
                    finding, title=narrative.title_in(language), debunk=narrative.debunk_in(language)
                )
            findings.append(finding)
        return dataclasses.replace(verdict, findings=tuple(findings), language=language)

    async def read_and_assess(
        self,
        url: str,
        *,
        include_suggestions: bool = False,
        feed: FeedRef | None = None,
        language: Lang | None = None,
    ) -> tuple[Verdict | None, LinkProblem | None]:
        """Read a link and match its article; the problem users see when it can't be read. The card is in
        `language`, else in the article's own language; the problem in `language`, else (no article to follow)
        in English."""
        problem_language = language or "en"
        if self.reader is None:
            return None, LinkProblem(
                url, "disabled", word("read_disabled", problem_language), language=problem_language
            )
        try:
            article = await self.reader.read(url)
        except Exception as exc:  # every failure becomes a message, never a crash
            code, message, hint = _error_message(exc, problem_language)
            if code == "internal_error":
                logger.exception("reading %s failed", url)
            else:
                logger.info("could not read %s: %s%s", url, code, f" ({hint})" if hint else "")
            return None, LinkProblem(url, code, message, hint, language=problem_language)
        ref = ArticleRef(url=article.url, title=article.title, site=article.site, published=article.published)
        text = with_headline(article.title, article.text)
        verdict = await self.assess(
            text, article=ref, feed=feed, include_suggestions=include_suggestions, language=language
        )
        return verdict, None

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
            verdict = policy.apply(await self.assess(own_text, include_suggestions=suggestions, language=language))
            if verdict is not None:
                verdicts.append(verdict)
        results = await asyncio.gather(
            *(self.read_and_assess(url, include_suggestions=suggestions, language=language) for url in links)
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
        self.store.record_feedback(platform, channel_id, message_ref, narrative_id, user_id, value, tenant=tenant)
        language = channel_language or "en"
        narrative = self.library.library.get(narrative_id)
        title = narrative.title_in(language) if narrative else narrative_id
        return word("feedback_right" if value == "correct" else "feedback_wrong", language, title=title)

    def record_reason(
        self, platform: str, message_ref: str, narrative_id: str, user_id: str, reason: str, *, tenant: str = ""
    ) -> str:
        """The optional reason after a ❌; what to tell the person who gave it."""
        if reason not in REASONS or not self.history.set_reason(
            platform, message_ref, narrative_id, user_id, reason, tenant=tenant
        ):
            return "That reason could not be recorded (the ❌ it belongs to was changed or not found)."
        return f"Thanks — noted: {REASONS[reason].lower()}. Editors see it in `narrative-bot feedback list`."

    # -- the /narrative command -----------------------------------------------------------------------------

    async def handle_command(
        self, request: CommandRequest, *, channel_language: Lang | None = None
    ) -> CommandResponse:
        """Answer `/narrative …`. `show`, `list`, `search` and `check` answer in `channel_language` when the channel
        has one (None: not set), else in the language the words or text were written in (`show ID uk` and `list uk`
        name one), else in English."""
        channel_language = channel_language or self.channel_language(
            request.platform, request.channel_id, tenant=request.tenant
        )
        text = request.text.strip()
        if text.startswith("/narrative"):
            text = text[len("/narrative") :].strip()
        sub, _, rest = text.partition(" ")
        sub = sub.lower()
        rest = rest.strip()
        if sub in ("", "help"):
            return CommandResponse(HELP_TEXT)
        if sub == "list":
            return self._list(as_language(rest) or channel_language or "en")
        if sub == "show":
            # A last word that names a language picks it ("show troops-denial uk"); otherwise it is all the id.
            head, _, last = rest.rpartition(" ")
            asked = as_language(last) if head else None
            return self._show(head if asked else rest, asked or channel_language or "en")
        if sub == "search":
            return self._search(rest, channel_language or text_language(rest) or "en")
        if sub == "check":
            return await self._check(rest, channel_language)
        if sub == "feeds":
            # The feed commands have no words of their own to follow: the channel's language, else English.
            return await self._feeds(request, rest, channel_language or "en")
        if sub == "settings":
            return self._settings(request, rest)
        if sub in ("recent", "feedback", "digest"):
            return self.history_commands.handle(request, sub, rest)
        return CommandResponse(f"Unknown subcommand `{sub}`.\n\n{HELP_TEXT}", error=True)

    def _list(self, language: Lang) -> CommandResponse:
        lines = [f"• `{n.id}` — {n.title_in(language)}" for n in self.library.library.narratives]
        return CommandResponse(word("list_header", language, count=len(lines)) + "\n" + "\n".join(lines))

    def closest_ids(self, word: str, limit: int = 3) -> list[str]:
        ids = self.library.library.ids
        return [m[0] for m in process.extract(word, ids, scorer=fuzz.WRatio, limit=limit, score_cutoff=50)]

    def describe(self, narrative: Narrative, language: Lang = "en") -> str:
        sources = "\n".join(f"  – {s.title}: {s.url}" for s in narrative.sources)
        return (
            f"*{narrative.title_in(language)}* (`{narrative.id}`)\n{narrative.summary_in(language)}\n\n"
            f"*{word('facts', language)}:* {narrative.debunk_in(language)}\n*{word('sources', language)}:*\n{sources}"
        )

    def _show(self, narrative_id: str, language: Lang = "en") -> CommandResponse:
        if not narrative_id:
            return CommandResponse("Usage: `/narrative show ID` (see `/narrative list`).", error=True)
        narrative = self.library.library.get(narrative_id.strip().lower())
        if narrative is None:
            close = self.closest_ids(narrative_id)
            hint = f" Did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
            return CommandResponse(f"No narrative `{narrative_id}`.{hint}", error=True, choices=tuple(close))
        return CommandResponse(self.describe(narrative, language))

    def search(self, words: str, limit: int = 5) -> list[tuple[Narrative, float]]:
        """Narratives ranked by how well `words` fit them, in any of the three languages.

        Words are stemmed like texts are, so "истерике" finds "истерика"; a word counts fully when the title,
        summary or cues use it, a little less when only phrasings do (three of them make it); rapidfuzz on id
        and title forgives typos. Only narratives close to the best fit are returned, so a common word does not
        list the library.
        """
        matcher = self.library.matcher
        compiled = matcher.compiled
        query = set(analyse(words, compiled.rewriter).content)
        phrasing_stems: dict[int, list[tuple[int, ...]]] = defaultdict(list)
        for phrasing in compiled.phrasings:
            phrasing_stems[phrasing.narrative].append(phrasing.stems)
        ranked: list[tuple[Narrative, float]] = []
        for n_idx, narrative in enumerate(matcher.library.narratives):
            # Titles and summaries in all three languages, so "паніка" finds what "panic" finds.
            about_text = " ".join(
                [narrative.id.replace("-", " "), *narrative.titles.all(), *narrative.summaries.all(), *narrative.cues]
            )
            about = set(analyse(about_text, compiled.rewriter).content)
            values = []
            for stem_ in query:
                k = compiled.vocab.get(stem_)
                uses = 0 if k is None else sum(k in p for p in phrasing_stems[n_idx])
                values.append(1.0 if stem_ in about else min(0.9, uses / 3))
            score = 100 * sum(values) / len(values) if values else 0.0
            typo = max(
                fuzz.partial_token_set_ratio(words.lower(), f.lower()) for f in (narrative.id, *narrative.titles.all())
            )
            ranked.append((narrative, max(score, typo if typo >= 80 else 0.0)))
        ranked.sort(key=lambda item: -item[1])
        if not ranked or ranked[0][1] < 50:
            return []
        top = ranked[0][1]
        return [(n, score) for n, score in ranked[:limit] if score >= max(50.0, top - 15)]

    def _search(self, words: str, language: Lang = "en") -> CommandResponse:
        if not words:
            return CommandResponse("Usage: `/narrative search WORDS`.", error=True)
        found = self.search(words)
        if not found:
            return CommandResponse(word("search_none", language, words=words))
        lines = [f"• `{n.id}` — {n.title_in(language)}" for n, _ in found]
        return CommandResponse(word("search_header", language, words=words) + "\n" + "\n".join(lines))

    async def check(
        self, text: str, *, channel_language: Lang | None = None
    ) -> tuple[list[Verdict], list[LinkProblem]]:
        """What `check` answers: the text's own words and every link in it, wherever it stands (suggestions
        included). A link is read whether it comes alone or after a few words, as people paste them.

        Cards are in `channel_language` when set, else in the language of the text's own words, else (links alone)
        in each article's language."""
        links = find_links(text, limit=self.settings.max_links)
        own_text = strip_links(text) if links else text
        language = channel_language or text_language(own_text)
        verdicts: list[Verdict] = []
        problems: list[LinkProblem] = []
        if own_text.strip():
            verdict = await self.assess(own_text, include_suggestions=True, language=language)
            if verdict is not None:
                verdicts.append(verdict)
        results = await asyncio.gather(
            *(self.read_and_assess(url, include_suggestions=True, language=language) for url in links)
        )
        for verdict_or_none, problem in results:
            if verdict_or_none is not None:
                verdicts.append(verdict_or_none)
            if problem is not None:
                problems.append(problem)
        return verdicts, problems

    async def _check(self, rest: str, channel_language: Lang | None = None) -> CommandResponse:
        public = False
        words = rest.split()
        if "--public" in words:
            public = True
            rest = " ".join(w for w in words if w != "--public")
        if not rest:
            return CommandResponse("Usage: `/narrative check TEXT|URL`.", error=True)
        return await self.check_answer(rest, public=public, channel_language=channel_language)

    async def check_answer(
        self, text: str, *, public: bool = False, channel_language: Lang | None = None
    ) -> CommandResponse:
        """What `check` says about a text and its links: for the command, Slack's message shortcut and Discord's
        message menu alike (private unless `public`)."""
        verdicts, problems = await self.check(text, channel_language=channel_language)
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

    async def _feeds(self, request: CommandRequest, rest: str, language: Lang = "en") -> CommandResponse:
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
                return await self._add_feed(request, url, language)
            removed = self.store.remove_subscription(request.platform, request.channel_id, url, tenant=request.tenant)
            if not removed:
                return CommandResponse(word("feeds_not_watched", language, url=url), error=True)
            return CommandResponse(word("feeds_stopped", language, url=url))
        return CommandResponse(word("feeds_usage", language), error=True)


    def _settings(self, request: CommandRequest, rest: str) -> CommandResponse:
        """`settings` alone shows the channel's settings; with arguments it changes one. Who may change them is
        the adapter's business (bot/permissions.py): the core only applies what reaches it."""
        args = rest.split()
        if not args or args[0].lower() in ("show", "list"):
            return CommandResponse(self.channels.describe(request.platform, request.channel_id, tenant=request.tenant))
        try:
            text = self.channels.change(
                request.platform, request.channel_id, args, request.user_id, tenant=request.tenant
            )
        except SettingError as exc:
            return CommandResponse(str(exc), error=True)
        logger.info("settings of %s/%s changed by %s: %s", request.platform, request.channel_id,
                    request.user_id or "?", " ".join(args))
        return CommandResponse(text)

    async def _add_feed(self, request: CommandRequest, url: str, language: Lang = "en") -> CommandResponse:
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


# A feed's title quoted as each language quotes: “Wire” in English, «Wire» in Ukrainian and Russian.
_QUOTES: dict[Lang, str] = {"en": "“{}”", "uk": "«{}»", "ru": "«{}»"}

_LINK_MARKUP = re.compile(r"<(?:https?://)[^>\s]*>|\bhttps?://\S+", re.IGNORECASE)


def strip_links(text: str) -> str:
    """The message's own words, without the links (and Slack/Discord link markup) it carries."""
    return " ".join(_LINK_MARKUP.sub(" ", text).split())
