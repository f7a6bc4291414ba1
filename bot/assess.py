"""Texts and links in, verdict cards out: the matcher's matches made into cards in a reader's language, and links
read before their articles are matched."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Sequence
from typing import Protocol

from bot.config import Settings
from bot.headline import with_headline
from bot.history import excerpt_of
from bot.library_holder import LibraryHolder
from bot.links import find_links
from bot.models import ArticleRef, FeedRef, Finding, LinkProblem, SourceLink, Verdict
from bot.render.i18n import reply_language, text_language, word
from matchers import Lang, Match, Narrative

logger = logging.getLogger(__name__)

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


class ReadError(Protocol):
    code: str
    user_message: str

    def message_in(self, lang: Lang) -> str: ...


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


class Assessor:
    """Matches texts and reads links into verdicts; what a channel does with them is the caller's business."""

    def __init__(self, library: LibraryHolder, settings: Settings, reader: ArticleSource | None = None) -> None:
        self.library = library
        self.settings = settings
        self.reader = reader

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


_LINK_MARKUP = re.compile(r"<(?:https?://)[^>\s]*>|\bhttps?://\S+", re.IGNORECASE)


def strip_links(text: str) -> str:
    """The message's own words, without the links (and Slack/Discord link markup) it carries."""
    return " ".join(_LINK_MARKUP.sub(" ", text).split())
