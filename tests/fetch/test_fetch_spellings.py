"""Odd spellings of numbers and hosts: canonical URLs are a fixpoint, non-ASCII digits never crash a parser
(issue 11, item 7)."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import pytest

from bot.feed_parse import parse_feed, parse_telegram, retry_after_s
from bot.fetch import FetchError, SafeFetcher
from bot.links import canonical_feed_url, canonicalize_url
from bot.telegram import telegram_channel_preview_url, telegram_embed_url, telegram_post_url
from tests.fetch.loopback import LoopbackServer, loopback_settings

ODD_DIGITS = ["¹", "²³", "٣", "߁", "１", "1" * 5_000]


@pytest.mark.parametrize(
    "url",
    [
        "http://a.b。/c",
        "http://A.B．/c",
        "http://пример.рф｡/путь?q=ж",
        "https://t.me/s/chan_name/",
        "HTTP://Example.COM:80/a%2fb?utm_source=x&b=%d0%b6#frag",
    ],
)
def test_canonical_url_is_a_fixpoint(url: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once
    assert canonical_feed_url(once) == once


def test_ideographic_full_stop_subscribes_one_feed() -> None:
    assert canonical_feed_url("http://a.b。/c") == canonical_feed_url("http://a.b/c") == "http://a.b/c"


@pytest.mark.parametrize("digits", ODD_DIGITS)
def test_non_ascii_digits_in_telegram_urls_are_not_posts(digits: str) -> None:
    url = f"https://t.me/chan_name/{digits}"
    assert telegram_post_url(url) is None
    assert telegram_embed_url(url) is None
    assert telegram_channel_preview_url(url) is None


@pytest.mark.parametrize("digits", ODD_DIGITS)
def test_non_ascii_digits_in_a_channel_page_drop_only_that_post(digits: str) -> None:
    def wrap(ref: str) -> str:
        return (
            f'<div class="tgme_widget_message_wrap"><div class="tgme_widget_message" data-post="{ref}">'
            f'<div class="tgme_widget_message_text">post {ref}</div></div></div>'
        )

    page = f"<html><body><section class='tgme_channel_history'>{wrap('chan_name/' + digits)}{wrap('chan_name/7')}"
    feed = parse_telegram(page + "</section></body></html>", url="https://t.me/s/chan_name")
    assert [i.guid for i in feed.items] == ["chan_name/7"]


@pytest.mark.parametrize("digits", ODD_DIGITS)
def test_non_ascii_digits_in_feed_hints_are_ignored(digits: str) -> None:
    body = (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><ttl>{digits}</ttl>"
        "<item><guid>1</guid><title>One</title></item></channel></rss>"
    ).encode()
    feed = parse_feed(body, url="https://wire.example/rss")
    assert feed.ttl_s is None and len(feed.items) == 1
    assert retry_after_s(digits, 0.0) is None


@pytest.mark.asyncio
@pytest.mark.parametrize("length", ["²", "1" * 5_000])
async def test_odd_content_length_is_a_fetch_error_not_a_crash(server: LoopbackServer, length: str) -> None:
    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", length)
        h.end_headers()
        h.wfile.write(b"<html><body><p>hello</p></body></html>")

    server.routes["/odd"] = handler
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        try:
            page = await fetcher.fetch(server.url("/odd"))
        except FetchError as err:
            assert err.code in {"too_large", "connect_failed", "http_error"}
        else:
            assert b"hello" in page.body
