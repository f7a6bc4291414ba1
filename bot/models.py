"""Platform-neutral models: what adapters hand to the core and what the core hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.read_reasons import Reason
from matchers.library import Lang

Level = Literal["alert", "suggest"]
FeedbackValue = Literal["correct", "wrong"]


@dataclass(frozen=True)
class SourceLink:
    """A public source a debunk rests on."""

    title: str
    url: str


@dataclass(frozen=True)
class ArticleRef:
    """The page a verdict is about (a pasted link or a feed item)."""

    url: str
    title: str | None = None
    site: str | None = None
    published: str | None = None


@dataclass(frozen=True)
class FeedRef:
    """The feed an alert came from."""

    url: str
    title: str | None = None


@dataclass(frozen=True)
class Finding:
    """One narrative recognised in a text, with the evidence a journalist can check."""

    narrative_id: str
    title: str
    score: int
    level: Level
    evidence: str
    matched: str
    debunk: str
    sources: tuple[SourceLink, ...] = ()
    signals: tuple[str, ...] = ()  # what carried the match: similar phrasing, stance words, the model's verdict


@dataclass(frozen=True)
class Verdict:
    """The card every platform draws: the findings (best first) for one text, link or feed item.

    `language` is the language the findings' titles and debunks were taken in, and the one the card's own words
    are drawn in.
    """

    findings: tuple[Finding, ...]
    article: ArticleRef | None = None
    feed: FeedRef | None = None
    language: Lang = "en"
    excerpt: str = ""  # the start of the text matched, kept in the alert history for review and evaluation

    @property
    def top(self) -> Finding:
        return self.findings[0]

    @property
    def alerts(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "alert")


@dataclass(frozen=True)
class LinkProblem:
    """A pasted link the bot could not read, with the message users see.

    `hint` is for whoever runs the bot (the setting that would allow it); chat renderers never show it.
    `language` is the language `message` is written in.
    """

    url: str
    code: str
    message: str
    hint: str | None = None
    language: Lang = "en"


@dataclass(frozen=True)
class FeedCheck:
    """A feed tried before subscribing: its title and item count, or the problem users see.

    `problem` is in English (the command line); `reason`, when known, words it in a channel's language.
    `hint` (the setting that would allow the fetch) is for the command line, never for chat.
    """

    url: str
    title: str | None = None
    items: int = 0
    problem: str | None = None
    hint: str | None = None
    reason: Reason | None = None


@dataclass(frozen=True)
class IncomingMessage:
    """A chat message, already stripped of platform specifics by the adapter."""

    platform: str
    channel_id: str
    message_id: str
    text: str
    user_id: str = ""
    thread_id: str | None = None
    tenant: str = ""  # the Slack team or Discord guild it came from; '' where there is none (the console)

    @property
    def reply_key(self) -> str:
        """The delivery key of the bot's reply to this message (a message gets at most one reply)."""
        return f"reply:{self.platform}:{self.channel_id}:{self.message_id}"


@dataclass(frozen=True)
class MessageOutcome:
    """What the core decided for a message: cards to post and unreadable links to mention."""

    verdicts: tuple[Verdict, ...] = ()
    problems: tuple[LinkProblem, ...] = ()
    duplicate: bool = False
    checked: bool = False  # links were read or the text was long enough to match

    @property
    def should_reply(self) -> bool:
        return bool(self.verdicts or self.problems)


@dataclass(frozen=True)
class CommandRequest:
    """A `/narrative ...` invocation, platform-neutral."""

    platform: str
    channel_id: str
    text: str
    user_id: str = ""
    tenant: str = ""  # the Slack team or Discord guild it came from; '' where there is none (the console)


@dataclass(frozen=True)
class CommandResponse:
    """The answer to a command: plain text plus optional cards.

    `ephemeral` answers are shown only to the person who asked (lookups); check results may be public.
    """

    text: str
    verdicts: tuple[Verdict, ...] = ()
    problems: tuple[LinkProblem, ...] = ()
    ephemeral: bool = True
    error: bool = False
    choices: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class FeedAlert:
    """A feed item that carries a narrative, to be posted to a subscribed channel.

    `attempted_at` is when an earlier attempt to post it began (None for a first attempt): that attempt may have
    reached the channel although its answer never came back, so a sender that can look first does.
    """

    alert_id: int
    platform: str
    channel_id: str
    verdict: Verdict
    attempted_at: float | None = None
    tenant: str = ""  # the workspace or server of the channel: which installation's token posts it

    @property
    def delivery_key(self) -> str:
        """Names this post on the platform (Slack metadata, Discord nonce), so a repeat can be recognised."""
        return f"alert:{self.alert_id}"


@dataclass(frozen=True)
class FeedNotice:
    """A plain notice for a channel (a digest line, a feed disabled after failures)."""

    platform: str
    channel_id: str
    text: str
    notice_id: int = 0  # its pending row; 0 for a notice with no row (no delivery key, no repeat check)
    attempted_at: float | None = None
    tenant: str = ""  # the workspace or server of the channel

    @property
    def delivery_key(self) -> str | None:
        return f"notice:{self.notice_id}" if self.notice_id else None
