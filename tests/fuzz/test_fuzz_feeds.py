"""Properties of the RSS/Atom parser: FeedParseError is the only refusal, and what it returns is clean text
(issue 11, item 8)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from hypothesis import given
from hypothesis import strategies as st

from bot.charsafe import has_bad_chars
from bot.feed_parse import FeedParseError, ParsedFeed, parse_feed
from tests.fuzz.fuzzing import FUZZ, char_refs, nasty_text, prose

field = st.one_of(prose, char_refs, st.lists(st.one_of(prose, char_refs), max_size=4).map("".join))




items = st.builds(
    lambda guid, title, text, link, escaped: (
        "<item>"
        + (f"<guid>{guid}</guid>" if guid is not None else "")
        + f"<title>{title}</title>"
        + (f"<link>{link}</link>" if link is not None else "")
        + f"<description>{escape(text) if escaped else text}</description></item>"
    ),
    st.one_of(st.none(), field),
    field,
    field,
    st.one_of(st.none(), st.just("https://wire.example/a"), field),
    st.booleans(),
)
feeds = st.builds(
    lambda encoding, title, ttl, body_items: (
        f"<?xml version='1.0' encoding='{encoding}'?><rss version='2.0'><channel><title>{title}</title>"
        f"<ttl>{ttl}</ttl>{''.join(body_items)}</channel></rss>"
    ),
    st.sampled_from(["utf-8", "UTF-8", "windows-1251", "koi8-r", "latin-1", "utf-7", "bogus"]),
    field,
    st.one_of(st.integers().map(str), nasty_text),
    st.lists(items, max_size=6),
)


def _check(parsed: ParsedFeed) -> None:
    for item in parsed.items:
        for value in (item.title or "", item.text, item.link or "", item.guid or "", item.published or ""):
            assert not has_bad_chars(value), value
            value.encode("utf-8")
        item.dedup_keys()
        assert item.item_id
    assert parsed.ttl_s is None or parsed.ttl_s >= 0


def _parse(body: bytes) -> None:
    try:
        parsed = parse_feed(body, url="https://wire.example/rss")
    except FeedParseError:  # the documented refusal
        return
    _check(parsed)


@FUZZ
@given(feed=feeds, encoding=st.sampled_from(["utf-8", "cp1251", "utf-16"]))
def test_generated_feeds_parse_or_are_refused(feed: str, encoding: str) -> None:
    # Surrogates pass into the UTF encodings as the broken bytes some servers send; cp1251 replaces what it lacks.
    _parse(feed.encode(encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace"))


@FUZZ
@given(body=st.binary(max_size=400))
def test_arbitrary_bytes_parse_or_are_refused(body: bytes) -> None:
    _parse(body)


@FUZZ
@given(feed=feeds, cut=st.integers(min_value=0, max_value=2000))
def test_truncated_feeds_parse_or_are_refused(feed: str, cut: int) -> None:
    _parse(feed.encode("utf-8", errors="surrogatepass")[:cut])
