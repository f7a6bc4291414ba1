"""Feed bytes (RSS/Atom, or a Telegram channel preview page) into neutral items with stable dedup keys."""

from __future__ import annotations

import calendar
import codecs
import email.utils
import hashlib
import html
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import feedparser

from bot.charsafe import ascii_int, clean_chars, repair_charrefs
from bot.read_reasons import Reason

logger = logging.getLogger(__name__)

# Item fields are capped: a hostile feed can put megabytes in one <description>, and the matcher only needs the
# opening of an article to recognise a talking point.
MAX_TEXT_CHARS = 20_000
MAX_TITLE_CHARS = 500
MAX_MARKUP_CHARS = 10 * MAX_TEXT_CHARS


class FeedParseError(Exception):
    """The bytes are not a feed we can read; `code`, `reason` and `user_message` (English) as for fetch errors."""

    def __init__(self, reason: Reason, *, url: str = "") -> None:
        self.code = "malformed_feed"
        self.reason = reason
        self.user_message = reason.sentence("en")
        self.url = url
        super().__init__(f"{self.user_message} ({url})")


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, reduced to what matching and dedup need."""

    guid: str | None
    link: str | None
    title: str | None
    text: str
    published: str | None = None

    @property
    def item_id(self) -> str:
        """The stable id: guid, else link, else title+date+text (else the text), hashed."""
        if self.guid:
            return _hash("guid", self.guid)
        if self.link:
            return _hash("link", self.link)
        if self.title:
            # The text is part of it: items with one title and no date ("Новости") are still different items.
            return _hash("title", f"{self.title}|{self.published or ''}|{self.text[:1000]}")
        return _hash("text", self.text[:1000])

    def dedup_keys(self) -> tuple[tuple[str, str], ...]:
        """Every key under which this item counts as seen.

        Feeds regenerate guids (CMS migrations, tracking parameters): an item is a repeat when its id or its link
        was seen before, or its title and text together, so a guid change alone never re-posts it. A title alone is
        never a key: wires title every item "Новости", and items that differ in guid, link and text are different
        items.
        """
        keys = [("id", self.item_id)]
        if self.link:
            keys.append(("link", _hash("link", self.link)))
        text = normalize_title(self.text)
        if text:
            keys.append(("content", _hash("content", f"{normalize_title(self.title)}\0{text}")))
        return tuple(keys)

    @property
    def match_text(self) -> str:
        return f"{self.title}\n{self.text}" if self.title and not self.text.startswith(self.title) else self.text


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    items: tuple[FeedItem, ...]
    ttl_s: float | None = None


def _hash(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()[:32]


def normalize_title(title: str | None) -> str:
    return " ".join((title or "").casefold().split())


# -- HTML to text ----------------------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset({"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr"})
_SKIP_TAGS = frozenset({"script", "style", "template", "noscript"})


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self._skip:
            self._skip -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment, one line per block; plain text passes through unchanged."""
    if "<" not in markup and "&" not in markup:
        text = markup
    else:
        collector = _TextCollector()
        try:
            collector.feed(markup)
            collector.close()
            text = "".join(collector.parts)
        except Exception:  # HTMLParser is lenient, but a fragment must never break a poll
            text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


# -- RSS / Atom ------------------------------------------------------------------------------------------------


def _iso(parsed_time: Any) -> str | None:
    if not parsed_time:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed_time), UTC).isoformat()
    except (TypeError, ValueError, OverflowError):
        return None


def _entry_text(entry: Mapping[str, Any]) -> str:
    # Full content when the feed carries it, else the summary: whichever says more.
    candidates: list[str] = []
    for content in entry.get("content") or ():
        value = content.get("value") if isinstance(content, Mapping) else None
        if isinstance(value, str):
            candidates.append(value)
    summary = entry.get("summary")
    if isinstance(summary, str):
        candidates.append(summary)
    # The markup is cut before parsing, not only the text after: HTMLParser is pure Python, and a megabyte of
    # tiny tags in one <description> would cost seconds for text that is cut to MAX_TEXT_CHARS anyway.
    # Cleaned after html_to_text, which decodes references such as &#141; into control characters.
    texts = [clean_chars(html_to_text(c[:MAX_MARKUP_CHARS])) for c in candidates]
    return max(texts, key=len, default="")[:MAX_TEXT_CHARS]


def _canonical(link: str | None) -> str | None:
    # Tracking parameters (utm_*) change between polls of some feeds; the canonical link keeps dedup stable.
    if not link:
        return None
    from bot.links import canonicalize_url

    try:
        return canonicalize_url(link)
    except ValueError:
        return link


def _str(value: object, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(clean_chars(value).split())
    return value[:limit] or None


def parse_feed(body: bytes, *, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse RSS/Atom bytes; FeedParseError when they are not a feed at all.

    feedparser is given bytes only: handed a string it would open local paths and file:// URLs. One bad item never
    costs the others: references to non-characters are repaired first, and if feedparser still fails, each item is
    parsed on its own and the ones it fails on are dropped and logged.
    """
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    # content-location lets feedparser resolve relative item links against the feed's own address.
    response_headers.setdefault("content-location", url)
    body = repair_charrefs(_as_utf8(body))
    try:
        parsed = feedparser.parse(body, response_headers=response_headers, sanitize_html=True)
    except Exception as exc:  # feedparser's loose parser raises on some input instead of flagging it
        logger.warning("feed %s failed to parse as a whole (%r): parsing it item by item", url, exc)
        return _parse_by_item(body, url=url, headers=response_headers)
    entries = parsed.get("entries") or []
    if not parsed.get("version") and not entries:
        reason = parsed.get("bozo_exception")
        logger.info("not a feed: %s (%s)", url, reason)
        raise FeedParseError(Reason("malformed_feed"), url=url)
    if parsed.get("bozo"):
        # Minor breakage (a wrong charset label, an unescaped &) is common; keep what feedparser recovered.
        logger.debug("feed %s parsed with problems: %s", url, parsed.get("bozo_exception"))
    feed = parsed.get("feed") or {}
    items = []
    for entry in entries:
        try:
            item = _item(entry)
        except Exception as exc:  # one odd entry (a type feedparser did not expect) never costs the feed
            logger.warning("feed %s: dropped an item that could not be read: %r", url, exc)
            continue
        if item is not None:
            items.append(item)
    ttl_s: float | None = None
    ttl = feed.get("ttl")
    minutes = ascii_int(ttl.strip(), 9) if isinstance(ttl, str) else None
    if minutes is not None:
        ttl_s = minutes * 60.0  # RSS <ttl> is in minutes
    return ParsedFeed(title=_str(feed.get("title"), MAX_TITLE_CHARS), items=tuple(items), ttl_s=ttl_s)


# UTF-16 and UTF-32 feeds, by their byte order mark or by the first "<?" of an XML declaration without one.
_WIDE_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)
_XML_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""")


def _as_utf8(body: bytes) -> bytes:
    """A UTF-16 or UTF-32 feed re-encoded as UTF-8 (its declaration too), so that repair_charrefs, which reads
    ASCII-compatible bytes, sees its references; other feeds unchanged. Unpaired surrogates become U+FFFD."""
    for mark, encoding in _WIDE_ENCODINGS:
        if body.startswith(mark):
            text = body.decode(encoding, errors="replace").lstrip("\ufeff")
            return _XML_ENCODING.sub(r'\1"utf-8"', text, count=1).encode("utf-8")
    return body


def _item(entry: Mapping[str, Any]) -> FeedItem | None:
    title = _str(html_to_text(entry.get("title") or ""), MAX_TITLE_CHARS)  # _str cleans the characters
    link = _canonical(_str(entry.get("link"), 2000))
    guid = _str(entry.get("id"), 2000)
    text = _entry_text(entry)
    if not (title or text or link):
        return None
    published = _iso(entry.get("published_parsed") or entry.get("updated_parsed"))
    return FeedItem(guid=guid, link=link, title=title, text=text, published=published)


_ITEM_OPEN = re.compile(rb"<(item|entry)[\s>/]")


def _parse_by_item(body: bytes, *, url: str, headers: Mapping[str, str]) -> ParsedFeed:
    """The fallback: each <item>/<entry> is parsed in a copy of the feed that holds it alone."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while (match := _ITEM_OPEN.search(body, pos)) is not None:
        close = body.find(b"</" + match.group(1), match.end())
        if close < 0:
            break  # an unclosed item: the rest is not worth a guess
        end = body.find(b">", close)
        end = len(body) if end < 0 else end + 1
        spans.append((match.start(), end))
        pos = end
    if not spans:
        raise FeedParseError(Reason("malformed_feed"), url=url)
    head, tail = body[: spans[0][0]], body[spans[-1][1] :]
    items: list[FeedItem] = []
    title: str | None = None
    dropped = 0
    for start, end in spans:
        try:
            parsed = feedparser.parse(head + body[start:end] + tail, response_headers=dict(headers), sanitize_html=True)
            title = title or _str((parsed.get("feed") or {}).get("title"), MAX_TITLE_CHARS)
            items.extend(item for entry in parsed.get("entries") or [] if (item := _item(entry)) is not None)
        except Exception as exc:
            dropped += 1
            logger.warning("feed %s: dropped the item at byte %d: %r", url, start, exc)
    logger.info("feed %s read item by item: %d kept, %d dropped", url, len(items), dropped)
    return ParsedFeed(title=title, items=tuple(items))


# -- Telegram channel previews ----------------------------------------------------------------------------------


def telegram_preview_url(url: str) -> str | None:
    """https://t.me/s/<channel> for a Telegram channel address, else None (an ordinary feed)."""
    from bot.telegram import telegram_channel_preview_url

    return telegram_channel_preview_url(url)


def parse_telegram(page_text: str, *, url: str, final_url: str | None = None) -> ParsedFeed:
    """Posts of a public channel preview page (https://t.me/s/<channel>), oldest first as Telegram lists them."""
    from bot.telegram import TELEGRAM_BASE, parse_telegram_channel

    # Post links point at Telegram itself (t.me/<channel>/<id>), whichever address served the preview page.
    posts = parse_telegram_channel(page_text, TELEGRAM_BASE)
    if not posts:
        if final_url and "/s/" not in final_url:
            # Restricted channels have no preview: Telegram redirects /s/<channel> to the plain channel page.
            raise FeedParseError(Reason("telegram_channel_no_preview"), url=url)
        if "tgme_channel_history" not in page_text and "tgme_widget_message" not in page_text:
            raise FeedParseError(Reason("not_telegram_preview"), url=url)
    items = []
    for post in posts:
        # Photo-only posts have no text: keep them (with their id) so they are marked seen like any other post.
        items.append(
            FeedItem(
                guid=f"{post.channel}/{post.post_id}",
                link=_canonical(post.url),
                title=None,  # posts have no titles; dedup by id and link, never by a made-up title
                text=clean_chars(post.text[:MAX_TEXT_CHARS]),
                published=_str(post.published, 100),
            )
        )
    return ParsedFeed(title=_telegram_title(page_text), items=tuple(items))


_OG_TITLE = re.compile(r"""<meta\s+property=["']og:title["']\s+content=["']([^"']*)["']""", re.IGNORECASE)


def _telegram_title(page_text: str) -> str | None:
    match = _OG_TITLE.search(page_text[:20000])
    return _str(html.unescape(match.group(1)), MAX_TITLE_CHARS) if match else None


def display_title(item: FeedItem, limit: int = 120) -> str | None:
    """A title to show: the item's own, else the start of its text (Telegram posts)."""
    if item.title:
        return item.title
    first = item.text.strip().split("\n", 1)[0]
    if not first:
        return None
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


# -- polling hints -------------------------------------------------------------------------------------------

MIN_INTERVAL_S = 120.0
MAX_INTERVAL_S = 6 * 3600.0

_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def retry_after_s(value: str, now: float) -> float | None:
    """Seconds from `now` that a Retry-After header (seconds or an HTTP date) asks for."""
    value = value.strip()
    seconds = ascii_int(value, 12)
    if seconds is not None:
        return float(seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return float(when.timestamp()) - now


def poll_interval_s(base_s: float, headers: Mapping[str, str], ttl_s: float | None, now: float) -> float:
    """The next poll's delay: the configured interval, lengthened (never shortened) by the server's hints.

    Cache-Control max-age, Retry-After and RSS <ttl> say when new content can appear at the earliest; a shorter
    hint than our interval is no reason to poll faster. Bounded to [2 min, 6 h].
    """
    hints = [base_s]
    match = _MAX_AGE.search(headers.get("cache-control", ""))
    if match:
        hints.append(float(match.group(1)))
    retry_after = retry_after_s(headers.get("retry-after", ""), now) if headers.get("retry-after") else None
    if retry_after is not None:
        hints.append(retry_after)
    if ttl_s is not None:
        hints.append(ttl_s)
    return min(max(max(hints), MIN_INTERVAL_S), MAX_INTERVAL_S)
