"""Telegram public previews: t.me post/channel URLs and their embed/preview pages as text."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from bot.charsafe import ascii_int, clean_chars
from bot.extract import Article, clean_text
from bot.fetch import FetchError
from bot.read_reasons import Reason

logger = logging.getLogger(__name__)

TELEGRAM_BASE = "https://t.me"
_HOSTS = frozenset({"t.me", "www.t.me", "telegram.me", "www.telegram.me", "telegram.dog"})
# Public usernames are 5-32 characters; a few old ones are shorter.
_CHANNEL = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,31}")
# Paths under t.me that are features, not channels.
_RESERVED = frozenset(
    {
        "s",
        "c",
        "joinchat",
        "addstickers",
        "addemoji",
        "share",
        "proxy",
        "socks",
        "iv",
        "login",
        "setlanguage",
        "addtheme",
        "bg",
        "invoice",
        "boost",
        "contact",
        "addlist",
        "m",
        "k",
        "z",
        "a",
    }
)
_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)


@dataclass(frozen=True)
class TelegramPost:
    """One message from a channel's public preview page."""

    channel: str
    post_id: int
    url: str
    text: str
    published: str | None
    author: str | None


def _parts(url: str) -> list[str] | None:
    try:
        split = urlsplit(url.strip())
    except ValueError:
        return None
    if split.scheme.lower() not in ("http", "https") or (split.hostname or "") not in _HOSTS:
        return None
    return [p for p in split.path.split("/") if p]


def _post_ref(url: str) -> tuple[str, int] | None:
    parts = _parts(url)
    if parts is None:
        return None
    if parts and parts[0] == "s":
        parts = parts[1:]
    post_id = ascii_int(parts[1]) if len(parts) == 2 else None
    if post_id is None:
        return None
    channel = parts[0]
    if channel.lower() in _RESERVED or not _CHANNEL.fullmatch(channel):
        return None
    return channel, post_id


def telegram_post_url(url: str, base: str = TELEGRAM_BASE) -> str | None:
    """The canonical https://t.me/<channel>/<post> for a post link, else None."""
    ref = _post_ref(url)
    return f"{base.rstrip('/')}/{ref[0]}/{ref[1]}" if ref else None


def telegram_embed_url(url: str, base: str = TELEGRAM_BASE) -> str | None:
    """The public embed page (https://t.me/<channel>/<post>?embed=1) of a post link, else None."""
    post = telegram_post_url(url, base)
    return f"{post}?embed=1" if post else None


def telegram_channel_preview_url(url: str, base: str = TELEGRAM_BASE) -> str | None:
    """https://t.me/s/<channel> for a t.me/<channel> or t.me/s/<channel> link, else None."""
    parts = _parts(url)
    if parts is None:
        return None
    if parts and parts[0] == "s":
        parts = parts[1:]
    if len(parts) != 1 or parts[0].lower() in _RESERVED or not _CHANNEL.fullmatch(parts[0]):
        return None
    return f"{base.rstrip('/')}/s/{parts[0]}"


def _parse(html: str) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.document_fromstring(html.encode("utf-8"), parser=_UTF8_PARSER)
    except (etree.ParserError, ValueError):
        return None


def _by_class(node: lxml.html.HtmlElement, name: str) -> list[lxml.html.HtmlElement]:
    expr = f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"
    found: list[lxml.html.HtmlElement] = node.xpath(expr)
    return found


def _message_text(message: lxml.html.HtmlElement) -> str:
    nodes = _by_class(message, "tgme_widget_message_text")
    if not nodes:
        return ""
    node = nodes[0]
    for br in node.iter("br"):  # line breaks carry meaning in posts; text_content() drops them
        # lxml's parser keeps control characters that its setters refuse: clean the tail before setting it back.
        br.tail = "\n" + clean_chars(br.tail or "")
    return clean_chars(clean_text(node.text_content()))


def _author(message: lxml.html.HtmlElement) -> str | None:
    nodes = _by_class(message, "tgme_widget_message_owner_name")
    text = clean_text(nodes[0].text_content()) if nodes else ""
    return text or None


def _published(message: lxml.html.HtmlElement) -> str | None:
    times = message.xpath(".//*[contains(@class, 'tgme_widget_message_date')]//time/@datetime")
    if not times:
        times = message.xpath(".//time/@datetime")
    return str(times[0]) if times else None


def parse_telegram_embed(html: str, post_url: str) -> Article:
    """The post on a ?embed=1 page as an Article (title and site name the channel)."""
    tree = _parse(html)
    messages = _by_class(tree, "tgme_widget_message") if tree is not None else []
    if not messages or _by_class(messages[0], "tgme_widget_message_error"):
        logger.info("telegram embed has no post: %s", post_url)
        raise FetchError("telegram_no_preview", url=post_url)
    message = messages[0]
    text = _message_text(message)
    if not text:
        logger.info("telegram post has no text: %s", post_url)
        raise FetchError("not_article", reason=Reason("telegram_post_empty"), url=post_url)
    author = _author(message)
    return Article(url=post_url, title=author, site="Telegram", published=_published(message), text=text)


def parse_telegram_channel(html: str, base_url: str) -> list[TelegramPost]:
    """Posts on a https://t.me/s/<channel> preview page, oldest first as the page lists them.

    Posts without text (photos, stickers) are kept with text="" so a poller can still mark them seen.
    """
    tree = _parse(html)
    if tree is None:
        return []
    base = urlsplit(base_url)
    origin = f"{base.scheme}://{base.netloc}" if base.scheme and base.netloc else TELEGRAM_BASE
    posts: list[TelegramPost] = []
    for wrap in _by_class(tree, "tgme_widget_message_wrap"):
        carriers = wrap.xpath(".//*[@data-post]")
        if not carriers:
            continue
        ref = str(carriers[0].get("data-post", ""))
        channel, _, post = ref.partition("/")
        post_id = ascii_int(post)
        if post_id is None or not _CHANNEL.fullmatch(channel):
            continue
        try:
            posts.append(
                TelegramPost(
                    channel=channel,
                    post_id=post_id,
                    url=f"{origin}/{channel}/{post_id}",
                    text=_message_text(wrap),
                    published=_published(wrap),
                    author=_author(wrap),
                )
            )
        except Exception as exc:  # one odd post (lxml on hostile markup) never costs the channel's others
            logger.warning("telegram %s: dropped post %s that could not be read: %r", base_url, ref, exc)
    return posts
