"""Article text, title, site and date from a fetched page (trafilatura, with a plain fallback)."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.settings import Document

from bot.fetch import FetchedPage, FetchError
from bot.headline import dedupe_headline

logger = logging.getLogger(__name__)

# Below this much text a precision-first extraction probably missed the article body.
MIN_ARTICLE_CHARS = 200
# Less than this is not worth matching ("Subscribe", a cookie notice...).
MIN_USABLE_CHARS = 40
# Bounds the matcher's CPU on pathological pages; news articles are far shorter.
MAX_TEXT_CHARS = 200_000
# trafilatura's cost grows with the element count, and far faster than lxml's own parse: 600,000 tiny elements
# took it 107 s and 20 GB, where lxml parses them in half a second. News pages have a few thousand tags; above
# this many (opening and closing tags both count) the page is read by the plain extraction alone.
MAX_TAGS = 60_000

_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


@dataclass(frozen=True)
class Article:
    """The readable part of a page, ready for the matchers."""

    url: str
    title: str | None
    site: str | None
    published: str | None
    text: str


# trafilatura's date search hands odd expressions ("в апреле 2025 года ведомство признало (0,8),") to dateparser,
# which then tries every locale it knows and builds each one's tables on first use: 2-3 s, paid by the first link
# pasted after a start. An expression that no locale accepts builds them all at once; `start_warm_up` does that off
# the event loop when the bot starts, so the first reply is as fast as the next.
_UNPARSEABLE_DATE = "В апреле 2025 года ведомство заявило (0,5),"
_warm_up_started = threading.Event()
_warm_up_done = threading.Event()


def warm_up() -> None:
    """Build the date parser's tables now (seconds of CPU, once per process)."""
    try:
        from htmldate.extractors import external_date_parser

        external_date_parser(_UNPARSEABLE_DATE, "%Y-%m-%d")
    except Exception as exc:  # only a head start: extraction works without it
        logger.debug("date parser warm-up failed: %r", exc)
    finally:
        _warm_up_done.set()


def wait_warm_up(timeout: float | None = None) -> bool:
    """Whether the warm-up has finished (waiting up to `timeout` seconds); for benchmarks of steady-state replies."""
    return _warm_up_done.wait(timeout)


def start_warm_up() -> None:
    """`warm_up` in a background thread, the first time only."""
    if _warm_up_started.is_set():
        return
    _warm_up_started.set()
    threading.Thread(target=warm_up, name="extract-warm-up", daemon=True).start()


def clean_text(text: str) -> str:
    """Collapse runs of spaces and blank lines; strip each line."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    joined = "\n".join(lines)
    return _BLANK_LINES.sub("\n", joined).strip()


def _trafilatura(html: str, url: str, *, recall: bool) -> Document | None:
    try:
        result = trafilatura.bare_extraction(
            html,
            url=url,
            favor_precision=not recall,
            favor_recall=recall,
            include_comments=False,
            include_tables=False,
            with_metadata=True,
        )
    except Exception as exc:  # third-party parser on hostile input: never let it take the bot down
        logger.warning("trafilatura failed on %s: %r", url, exc)
        return None
    return result if isinstance(result, Document) else None


def _meta(tree: lxml.html.HtmlElement, *names: str) -> str | None:
    for name in names:
        for attr in ("property", "name"):
            found = tree.xpath(f'//meta[@{attr}="{name}"]/@content')
            if found and str(found[0]).strip():
                return clean_text(str(found[0]))
    return None


# The text is already decoded: re-encode as UTF-8 and say so, so a <meta charset> or XML
# declaration inside the page can neither re-decode it wrongly nor make lxml refuse a str.
_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)


def _parse(html: str) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.document_fromstring(html.encode("utf-8"), parser=_UTF8_PARSER)
    except (etree.ParserError, ValueError):
        return None


def _title_tag(tree: lxml.html.HtmlElement) -> str | None:
    raw = tree.findtext(".//title")
    return clean_text(raw) if raw and raw.strip() else None


def _fallback(tree: lxml.html.HtmlElement) -> str:
    """<title> + description + visible paragraph text, for pages trafilatura finds nothing in."""
    for bad in tree.xpath("//script|//style|//noscript|//nav|//header|//footer|//aside|//form"):
        bad.drop_tree()
    parts: list[str] = []
    title = _title_tag(tree)
    if title:
        parts.append(title)
    description = _meta(tree, "og:description", "description", "twitter:description")
    if description:
        parts.append(description)
    size = 0
    for p in tree.iter("p"):
        if size > MAX_TEXT_CHARS:
            break  # the rest would be cut by _finish anyway: stop the Python-level work with it
        text = clean_text(p.text_content())
        if text:
            parts.append(text)
            size += len(text)
    unique = list(dict.fromkeys(parts))
    return "\n".join(unique)


def too_complex(html: str) -> bool:
    """True when a page has too many tags for trafilatura to be run on it in bounded time and memory."""
    # str.count is a C loop over the text: an upper bound on the tag count, taken before any parse.
    return html.count("<") > MAX_TAGS


def extract_article(page: FetchedPage) -> Article:
    """Main text and metadata of a fetched page; FetchError("not_article") when there is none."""
    host = urlsplit(page.url).hostname
    if page.content_type == "text/plain":
        text = clean_text(page.text)
        title: str | None = text.split("\n", 1)[0][:200] if text else None
        return _finish(Article(page.url, title, host, None, text))
    if too_complex(page.text):
        return _plain(page, host)

    precise = _trafilatura(page.text, page.url, recall=False)
    text = clean_text(precise.text or "") if precise else ""
    doc = precise
    if len(text) < MIN_ARTICLE_CHARS:
        recalled = _trafilatura(page.text, page.url, recall=True)
        recalled_text = clean_text(recalled.text or "") if recalled else ""
        if len(recalled_text) > len(text):
            text, doc = recalled_text, recalled or doc

    tree = _parse(page.text)
    if len(text) < MIN_USABLE_CHARS and tree is not None:
        text = _fallback(tree)

    title = doc.title if doc else None
    site = doc.sitename if doc else None
    if tree is not None:
        title = title or _meta(tree, "og:title") or _title_tag(tree)
        site = site or _meta(tree, "og:site_name")
    published = doc.date if doc else None
    return _finish(Article(page.url, title or None, site or host, published, dedupe_headline(text, title)))


def _plain(page: FetchedPage, host: str | None) -> Article:
    """The cheap extraction alone (one lxml parse, linear in the page), for pages too complex for trafilatura."""
    logger.info("page %s has over %d tags: read with the plain extraction, not trafilatura", page.url, MAX_TAGS)
    tree = _parse(page.text)
    text = _fallback(tree) if tree is not None else ""
    if len(text) < MIN_USABLE_CHARS:
        raise FetchError("page_too_complex", url=page.url)
    title = (_meta(tree, "og:title") or _title_tag(tree)) if tree is not None else None
    site = (_meta(tree, "og:site_name") if tree is not None else None) or host
    return _finish(Article(page.url, title, site, None, text))


def _finish(article: Article) -> Article:
    if len(article.text) < MIN_USABLE_CHARS:
        logger.info("no article text at %s (%d chars)", article.url, len(article.text))
        raise FetchError("not_article", url=article.url)
    if len(article.text) > MAX_TEXT_CHARS:
        return Article(article.url, article.title, article.site, article.published, article.text[:MAX_TEXT_CHARS])
    return article
