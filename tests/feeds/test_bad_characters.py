"""One bad character never costs a whole feed: the item is repaired or dropped, the rest kept (issue 11, item 3)."""

from __future__ import annotations

import pytest

from bot.charsafe import clean_chars, has_bad_chars, repair_charrefs
from bot.feed_parse import parse_feed, parse_telegram
from bot.fetch import decode_body
from tests.feeds.conftest import RigFactory
from tests.feeds.helpers import NEUTRAL_TEXTS, Answer, FakeClock, FeedServer, propaganda_texts
from tests.feeds.test_poller import tg_page

BAD_REFS = ["&#xD800;", "&#xdfff;", "&#1114112;", "&#0;", "&#x1F;", "&#xFFFE;", "&#99999999999999999999;", "&#141;", "&#x81;"]


def _feed(bad: str, *, escaped: bool = False) -> bytes:
    # escaped: the reference sits inside an HTML-escaped description, as most CMSs write them.
    description = f"&lt;p&gt;d {bad.replace('&', '&amp;')}&lt;/p&gt;" if escaped else f"d {bad}"
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Wire</title>"
        f"<item><guid>1</guid><title>Bad {bad} title</title><description>{description}</description>"
        "<link>https://wire.example/1</link></item>"
        "<item><guid>2</guid><title>Good</title><description>fine</description>"
        "<link>https://wire.example/2</link></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize("escaped", [False, True])
@pytest.mark.parametrize("bad", BAD_REFS)
def test_reference_to_a_non_character_is_repaired_and_the_feed_kept(bad: str, escaped: bool) -> None:
    feed = parse_feed(_feed(bad, escaped=escaped), url="https://wire.example/rss")
    assert [i.link for i in feed.items] == ["https://wire.example/1", "https://wire.example/2"]
    for item in feed.items:
        for value in (item.title or "", item.text, item.link or "", item.guid or ""):
            assert not has_bad_chars(value)
            value.encode("utf-8")  # what SQLite, JSON and the chat APIs need
        item.dedup_keys()
    assert feed.items[0].title in ("Bad \ufffd title", "Bad title")  # repaired, or a control character dropped


@pytest.mark.parametrize("bad", ["\x01", "\x00", "\x0b", "\x1b[31m", "\x7f", "\x9f", "\ufffe", "&#1;"])
def test_telegram_post_with_a_control_character_is_cleaned(bad: str) -> None:
    page = tg_page([(1, f"bad {bad} post"), (2, "good")]).decode()
    feed = parse_telegram(page, url="https://t.me/s/voenkor_daily")
    assert [i.text for i in feed.items] == [i.text for i in feed.items if not has_bad_chars(i.text)]
    assert feed.items[0].text.startswith("bad") and feed.items[1].text == "good"


def test_clean_chars_keeps_text_and_line_breaks() -> None:
    assert clean_chars("Сводка\tза\nночь\r\n") == "Сводка\tза\nночь\r\n"
    assert clean_chars("a\ud800b\x00c\x85d\U0010ffffe") == "a\ufffdbcde"


def test_repair_charrefs_leaves_valid_references_alone() -> None:
    body = b"&#x41; &#1071; &amp;#x1F600; &#10; &#xD800 &#55296;"
    assert repair_charrefs(body) == b"&#x41; &#1071; &amp;#x1F600; &#10; &#xFFFD; &#xFFFD;"


@pytest.mark.parametrize("charset", ["utf-7", "unicode_escape", "raw_unicode_escape", "base64", "rot13", "hex"])
def test_decoding_never_yields_surrogates_nor_fails_on_a_hostile_charset(charset: str) -> None:
    body = b"<html><body>+2AA- \\ud800 Hello</body></html>"
    text = decode_body(body, f"text/html; charset={charset}")
    assert "Hello" in text and "\ud800" not in text


async def test_feed_with_a_bad_item_keeps_alerting_its_other_items(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/wire.xml")
    rig.store.add_subscription("slack", "C1", url)
    feed_server.serve_feed("/wire.xml", _feed("&#1;"))
    (first,) = await rig.poller.poll_once()
    assert first.error is None
    _, text = propaganda_texts()[0]
    items = (
        f"<item><guid>p1</guid><title>Bad &#xD800; &#1114112;</title><description>{text}</description></item>"
        f"<item><guid>p2</guid><title>Report</title><description>{text}</description></item>"
        f"<item><guid>n1</guid><title>Neutral</title><description>{NEUTRAL_TEXTS[0]}</description></item>"
    )
    feed_server.serve_feed("/wire.xml", _feed("&#1;").replace(b"</channel>", items.encode() + b"</channel>"))
    clock.advance(601)
    (result,) = await rig.poller.poll_once()
    assert result.error is None and result.new_items == 3 and result.alerts_created >= 1


async def test_telegram_channel_with_a_control_character_is_polled(
    make_rig: RigFactory, feed_server: FeedServer, clock: FakeClock
) -> None:
    rig = make_rig()
    url = feed_server.url("/s/voenkor_daily")
    rig.store.add_subscription("discord", "42", url)
    posts = [(1, NEUTRAL_TEXTS[0])]
    feed_server.answers["/s/voenkor_daily"] = Answer(body=tg_page(posts), content_type="text/html; charset=utf-8")
    await rig.poller.poll_once()
    _, text = propaganda_texts()[5]
    posts += [(2, "\x01\x1b " + text)]
    feed_server.answers["/s/voenkor_daily"] = Answer(body=tg_page(posts), content_type="text/html; charset=utf-8")
    clock.advance(601)
    (result,) = await rig.poller.poll_once()
    assert result.error is None and result.alerts_created == 1
    assert not has_bad_chars(str(result.alerts[0].verdict))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_wide_encoded_feed_with_a_bad_reference_is_repaired(encoding: str) -> None:
    # Found by the feed fuzzer: the repair read ASCII-compatible bytes only, so a UTF-16 feed was lost whole.
    body = _feed("&#1114112;").replace(b"encoding='utf-8'", f"encoding='{encoding}'".encode())
    feed = parse_feed(body.decode().encode(encoding), url="https://wire.example/rss")
    assert [i.title for i in feed.items] == ["Bad \ufffd title", "Good"]


@pytest.mark.parametrize("bad", ["\x1f", "\x01", "\x7f", "\ufffe"])
def test_control_character_after_a_line_break_keeps_the_post(bad: str) -> None:
    # Found by the Telegram fuzzer: lxml keeps the character, then refuses it when the <br> tail is set back.
    from bot.telegram import parse_telegram_embed

    page = tg_page([(1, f"Сводка<br/>{bad} за ночь"), (2, "good")]).decode()
    feed = parse_telegram(page, url="https://t.me/s/voenkor_daily")
    assert [i.text for i in feed.items] == ["Сводка\nза ночь", "good"]
    article = parse_telegram_embed(page, "https://t.me/voenkor_daily/1")
    assert article.text == "Сводка\nза ночь"


def test_item_by_item_fallback_keeps_the_good_items(caplog: pytest.LogCaptureFixture) -> None:
    # The fallback behind the repair, for whatever else feedparser raises on: fed a feed the repair has not seen,
    # it parses each item alone, drops the one feedparser fails on, and says so.
    from bot.feed_parse import _parse_by_item

    with caplog.at_level("INFO", logger="bot.feed_parse"):
        feed = _parse_by_item(_feed("&#xD800;"), url="https://wire.example/rss", headers={})
    assert [i.title for i in feed.items] == ["Good"] and feed.title == "Wire"
    assert "dropped the item at byte" in caplog.text and "1 kept, 1 dropped" in caplog.text
