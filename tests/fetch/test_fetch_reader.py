"""ArticleReader: caching, single-flight, TTL, errors and Telegram routing over loopback."""

from __future__ import annotations

import asyncio
import time
from http.server import BaseHTTPRequestHandler

import pytest

from bot.fetch import FetchError, SafeFetcher
from bot.reader import ArticleReader
from tests.fetch.loopback import LoopbackServer, fixture_bytes, loopback_settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.asyncio
async def test_cache_hit_and_canonical_key(server: LoopbackServer) -> None:
    server.serve("/news", fixture_bytes("ru_news.html"))
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        reader = ArticleReader(fetcher)
        first = await reader.read(server.url("/news"))
        second = await reader.read(server.url("/news?utm_source=telegram#comments"))
    assert first is second
    assert "Ким Чен Ына" in first.text
    assert server.hits("/news") == 1


@pytest.mark.asyncio
async def test_single_flight(server: LoopbackServer) -> None:
    def slow(h: BaseHTTPRequestHandler) -> None:
        time.sleep(0.3)
        body = fixture_bytes("en_news.html")
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    server.routes["/slow"] = slow
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        reader = ArticleReader(fetcher)
        articles = await asyncio.gather(*(reader.read(server.url("/slow")) for _ in range(5)))
    assert server.hits("/slow") == 1
    assert all(a is articles[0] for a in articles)


@pytest.mark.asyncio
async def test_ttl_expiry(server: LoopbackServer) -> None:
    server.serve("/news", fixture_bytes("en_news.html"))
    clock = FakeClock()
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        reader = ArticleReader(fetcher, ttl_s=900, clock=clock)
        await reader.read(server.url("/news"))
        clock.now += 899
        await reader.read(server.url("/news"))
        assert server.hits("/news") == 1
        clock.now += 2
        await reader.read(server.url("/news"))
    assert server.hits("/news") == 2


@pytest.mark.asyncio
async def test_errors_cached_briefly(server: LoopbackServer) -> None:
    clock = FakeClock()
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        reader = ArticleReader(fetcher, clock=clock)
        for _ in range(2):
            with pytest.raises(FetchError) as info:
                await reader.read(server.url("/gone"))
            assert info.value.code == "http_error"
        assert server.hits("/gone") == 1
        clock.now += 61
        with pytest.raises(FetchError):
            await reader.read(server.url("/gone"))
    assert server.hits("/gone") == 2


@pytest.mark.asyncio
async def test_max_entries_evicts_oldest(server: LoopbackServer) -> None:
    for name in ("a", "b", "c"):
        server.serve(f"/{name}", fixture_bytes("en_news.html"))
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        reader = ArticleReader(fetcher, max_entries=2)
        for name in ("a", "b", "c", "a"):
            await reader.read(server.url(f"/{name}"))
    assert server.hits("/a") == 2
    assert server.hits("/c") == 1


@pytest.mark.asyncio
async def test_bad_url() -> None:
    async with SafeFetcher() as fetcher:
        with pytest.raises(FetchError) as info:
            await ArticleReader(fetcher).read("javascript:alert(1)")
    assert info.value.code == "bad_url"


@pytest.mark.asyncio
async def test_not_article_page(server: LoopbackServer) -> None:
    server.serve("/empty", b"<html><body><nav>Home</nav></body></html>")
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        with pytest.raises(FetchError) as info:
            await ArticleReader(fetcher).read(server.url("/empty"))
    assert info.value.code == "not_article"


@pytest.mark.asyncio
async def test_telegram_post_through_embed_page(server: LoopbackServer) -> None:
    server.serve("/voenkor_daily/4821", fixture_bytes("tg_post_embed.html"))
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        reader = ArticleReader(fetcher, telegram_base=f"http://127.0.0.1:{server.port}")
        article = await reader.read("https://t.me/s/voenkor_daily/4821")
    assert server.seen[0].path == "/voenkor_daily/4821?embed=1"
    assert article.url == "https://t.me/voenkor_daily/4821"
    assert article.title == "Военкор Daily"
    assert "Западные политики впали в истерику" in article.text


@pytest.mark.asyncio
async def test_telegram_channel_without_preview(server: LoopbackServer) -> None:
    # Restricted channels bounce the embed to the channel page, which has no post widget.
    server.redirect("/closed_channel/77", "/closed_channel")
    server.serve("/closed_channel", b"<html><body><div class='tgme_page'>Closed</div></body></html>")
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        reader = ArticleReader(fetcher, telegram_base=f"http://127.0.0.1:{server.port}")
        with pytest.raises(FetchError) as info:
            await reader.read("https://t.me/closed_channel/77")
    assert info.value.code == "telegram_no_preview"
    assert "does not allow previews" in info.value.user_message


@pytest.mark.asyncio
async def test_cancelled_reader_does_not_cancel_others(server: LoopbackServer) -> None:
    def slow(h: BaseHTTPRequestHandler) -> None:
        time.sleep(0.3)
        body = fixture_bytes("en_news.html")
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    server.routes["/slow"] = slow
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        reader = ArticleReader(fetcher)
        impatient = asyncio.create_task(reader.read(server.url("/slow")))
        patient = asyncio.create_task(reader.read(server.url("/slow")))
        await asyncio.sleep(0.05)
        impatient.cancel()
        article = await patient
    assert "Black Sea" in article.text
    assert server.hits("/slow") == 1
