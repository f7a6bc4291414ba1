"""Properties of the Telegram parsers: FeedParseError and FetchError are the only refusals (issue 11, item 8)."""

from __future__ import annotations

from html import escape

from hypothesis import given
from hypothesis import strategies as st

from bot.charsafe import has_bad_chars
from bot.feed_parse import FeedParseError, parse_telegram
from bot.fetch import FetchError
from bot.telegram import (
    parse_telegram_embed,
    telegram_channel_preview_url,
    telegram_embed_url,
    telegram_post_url,
)
from tests.fuzz.fuzzing import FUZZ, char_refs, nasty_text, prose

refs = st.one_of(
    st.builds(lambda c, p: f"{c}/{p}", st.sampled_from(["voenkor_daily", "ab", "s", "x" * 40]), nasty_text),
    st.builds(lambda p: f"voenkor_daily/{p}", st.integers(min_value=-5, max_value=10**30)),
    nasty_text,
)
bodies = st.lists(st.one_of(prose, char_refs, st.sampled_from(["<br/>", "<b>", "</b>", "<i>x</i>"])), max_size=8)
posts = st.builds(
    lambda ref, body, when, escaped: (
        '<div class="tgme_widget_message_wrap"><div class="tgme_widget_message" '
        f'data-post="{escape(ref) if escaped else ref}"><div class="tgme_widget_message_text">{"".join(body)}</div>'
        f'<a class="tgme_widget_message_date"><time datetime="{escape(when)}">x</time></a></div></div>'
    ),
    refs,
    bodies,
    nasty_text,
    st.booleans(),
)
pages = st.builds(
    lambda title, items: (
        f'<html><head><meta property="og:title" content="{title}"></head><body>'
        f'<section class="tgme_channel_history">{"".join(items)}</section></body></html>'
    ),
    nasty_text,
    st.lists(posts, max_size=5),
)


@FUZZ
@given(page=st.one_of(pages, nasty_text))
def test_channel_pages_parse_or_are_refused(page: str) -> None:
    try:
        feed = parse_telegram(page, url="https://t.me/s/voenkor_daily")
    except FeedParseError:  # the documented refusal
        return
    for item in feed.items:
        assert not has_bad_chars(item.text) and not has_bad_chars(item.guid or "")
        assert item.link is None or item.link.isascii()
        item.dedup_keys()
    assert feed.title is None or not has_bad_chars(feed.title)


@FUZZ
@given(page=st.one_of(pages, nasty_text))
def test_embed_pages_parse_or_are_refused(page: str) -> None:
    try:
        article = parse_telegram_embed(page, "https://t.me/voenkor_daily/1")
    except FetchError:  # the documented refusal
        return
    assert article.text


@FUZZ
@given(
    host=st.sampled_from(["t.me", "www.t.me", "telegram.me", "telegram.dog", "T.ME", "example.org"]),
    path=st.lists(st.one_of(nasty_text, st.sampled_from(["s", "voenkor_daily", "12", "¹", "١٢"])), max_size=4),
)
def test_telegram_urls_are_recognised_or_not_never_crash(host: str, path: list[str]) -> None:
    url = f"https://{host}/" + "/".join(path)
    post = telegram_post_url(url)
    assert post is None or post.isascii()
    assert (telegram_embed_url(url) is None) == (post is None)
    preview = telegram_channel_preview_url(url)
    assert preview is None or preview.startswith("https://t.me/s/")
