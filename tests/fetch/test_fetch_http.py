"""SafeFetcher against a live loopback server: limits, redirects, charsets, conditional GET."""

from __future__ import annotations

import gzip
import ipaddress
import time
import tracemalloc
import zlib
from http.server import BaseHTTPRequestHandler

import brotli
import pytest

from bot.fetch import DEFAULT_USER_AGENT, FetchError, SafeFetcher, decode_body
from tests.fetch.loopback import LoopbackServer, fixture_bytes, loopback_settings

PAGE = "<html><head><title>t</title></head><body><p>Привет, мир</p></body></html>".encode()


async def _fetch_error(fetcher: SafeFetcher, url: str) -> FetchError:
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(url)
    return info.value


@pytest.mark.asyncio
async def test_fetches_page_with_honest_headers(server: LoopbackServer) -> None:
    server.serve("/a", PAGE, headers={"ETag": '"v1"'})
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        page = await fetcher.fetch(server.url("/a"))
    assert page.status == 200
    assert page.content_type == "text/html"
    assert "Привет, мир" in page.text
    assert page.headers["etag"] == '"v1"'
    sent = server.seen[0].headers
    assert sent["user-agent"] == DEFAULT_USER_AGENT
    assert "text/html" in sent["accept"]


@pytest.mark.asyncio
async def test_404_is_http_error(server: LoopbackServer) -> None:
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        err = await _fetch_error(fetcher, server.url("/missing"))
    assert err.code == "http_error"
    assert err.status == 404
    assert err.user_message == "I can't read that link: the site answered HTTP 404 (not found)."


@pytest.mark.asyncio
async def test_binary_is_unsupported_type(server: LoopbackServer) -> None:
    server.serve("/img.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, content_type="image/png")
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        err = await _fetch_error(fetcher, server.url("/img.png"))
    assert err.code == "unsupported_type"
    assert err.user_message == "I can't read that link: it is an image, not a web page."


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "ctype", ["application/xhtml+xml", "application/rss+xml; charset=utf-8", "text/xml", "text/plain"]
)
async def test_accepted_types(server: LoopbackServer, ctype: str) -> None:
    server.serve("/x", b"<?xml version='1.0'?><rss><channel><title>x</title></channel></rss>", content_type=ctype)
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        page = await fetcher.fetch(server.url("/x"))
    assert page.content_type == ctype.split(";")[0]


@pytest.mark.asyncio
async def test_too_large_with_content_length(server: LoopbackServer) -> None:
    server.serve("/big", b"a" * 200_000)
    async with SafeFetcher(loopback_settings(server, max_bytes=100_000)) as fetcher:
        err = await _fetch_error(fetcher, server.url("/big"))
    assert err.code == "too_large"


@pytest.mark.asyncio
async def test_too_large_without_content_length(server: LoopbackServer) -> None:
    def endless(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Connection", "close")
        h.end_headers()
        chunk = b"<p>" + b"x" * 65536 + b"</p>"
        for _ in range(200):  # ~13 MB if nobody hangs up
            h.wfile.write(chunk)

    server.routes["/stream"] = endless
    async with SafeFetcher(loopback_settings(server, max_bytes=1024 * 1024)) as fetcher:
        err = await _fetch_error(fetcher, server.url("/stream"))
    assert err.code == "too_large"
    assert err.user_message == "I can't read that link: the page is larger than 1 MB."


def _gzip_bomb(size: int) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = b"\0" * (1024 * 1024)
    parts = [comp.compress(block) for _ in range(size // len(block))]
    parts.append(comp.flush())
    return b"".join(parts)


@pytest.mark.asyncio
async def test_gzip_bomb_is_too_large_without_inflating(server: LoopbackServer) -> None:
    bomb = _gzip_bomb(100 * 1024 * 1024)
    assert len(bomb) < 200_000
    server.serve("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        tracemalloc.start()
        started = time.monotonic()
        try:
            err = await _fetch_error(fetcher, server.url("/bomb"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert err.code == "too_large"
    assert "5 MB" in err.user_message
    assert time.monotonic() - started < 5
    assert peak < 40 * 1024 * 1024  # a 100 MB inflate would show here


@pytest.mark.asyncio
@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate", "br"])
async def test_compressed_pages_decode(server: LoopbackServer, encoding: str) -> None:
    body: bytes = {
        "gzip": gzip.compress(PAGE),
        "deflate": zlib.compress(PAGE),
        "raw-deflate": zlib.compress(PAGE, wbits=-zlib.MAX_WBITS),
        "br": brotli.compress(PAGE),
    }[encoding]
    header = "deflate" if encoding == "raw-deflate" else encoding
    server.serve("/c", body, headers={"Content-Encoding": header})
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        page = await fetcher.fetch(server.url("/c"))
    assert page.body == PAGE


@pytest.mark.asyncio
async def test_brotli_bomb_is_too_large(server: LoopbackServer) -> None:
    server.serve("/br", brotli.compress(b"\0" * (50 * 1024 * 1024)), headers={"Content-Encoding": "br"})
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        err = await _fetch_error(fetcher, server.url("/br"))
    assert err.code == "too_large"


@pytest.mark.asyncio
async def test_slow_drip_times_out(server: LoopbackServer) -> None:
    def drip(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "1000")
        h.end_headers()
        for _ in range(1000):
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(0.2)

    server.routes["/drip"] = drip
    async with SafeFetcher(loopback_settings(server, timeout_s=1.0)) as fetcher:
        started = time.monotonic()
        err = await _fetch_error(fetcher, server.url("/drip"))
    assert err.code == "timeout"
    assert err.user_message == "I can't read that link: the site took longer than 1 s to answer."
    assert time.monotonic() - started < 3


@pytest.mark.asyncio
async def test_redirects_are_followed(server: LoopbackServer) -> None:
    server.serve("/final", PAGE)
    server.redirect("/r1", "/r2", 301)
    server.redirect("/r2", server.url("/final"), 307)
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        page = await fetcher.fetch(server.url("/r1"))
    assert page.url == server.url("/final")


@pytest.mark.asyncio
async def test_redirect_loop_is_too_many_redirects(server: LoopbackServer) -> None:
    server.redirect("/loop", "/loop")
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        err = await _fetch_error(fetcher, server.url("/loop"))
    assert err.code == "too_many_redirects"
    assert server.hits("/loop") == 6  # first request + 5 redirects


@pytest.mark.asyncio
@pytest.mark.parametrize("target", ["http://127.0.0.2:{port}/", "http://[::1]:{port}/", "http://10.0.0.1:{port}/"])
async def test_redirect_to_blocked_address(server: LoopbackServer, target: str) -> None:
    server.redirect("/go", target.format(port=server.port))
    only_one = (ipaddress.ip_network("127.0.0.1/32"),)
    async with SafeFetcher(loopback_settings(server, allow_nets=only_one, timeout_s=3)) as fetcher:
        err = await _fetch_error(fetcher, server.url("/go"))
    assert err.code == "blocked_address"
    assert server.hits("/") == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://example.org/x", "http://127.0.0.1:22/"])
async def test_redirect_to_bad_scheme_or_port(server: LoopbackServer, target: str) -> None:
    server.redirect("/go", target)
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        err = await _fetch_error(fetcher, server.url("/go"))
    assert err.code == "bad_url"


@pytest.mark.asyncio
@pytest.mark.parametrize("url", ["ftp://example.org/", "javascript:alert(1)", "http://", "not a url"])
async def test_bad_urls(url: str) -> None:
    async with SafeFetcher() as fetcher:
        err = await _fetch_error(fetcher, url)
    assert err.code == "bad_url"


@pytest.mark.asyncio
async def test_conditional_get_returns_304(server: LoopbackServer) -> None:
    def conditional(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            h.send_response(304)
            h.send_header("ETag", '"v1"')
            h.end_headers()
            return
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("ETag", '"v1"')
        h.send_header("Content-Length", "7")
        h.end_headers()
        h.wfile.write(b"<rss/>\n")

    server.routes["/feed"] = conditional
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        first = await fetcher.fetch(server.url("/feed"))
        second = await fetcher.fetch(
            server.url("/feed"),
            headers={"If-None-Match": first.headers["etag"], "If-Modified-Since": "Wed, 19 Jun 2024 10:00:00 GMT"},
        )
    assert first.status == 200
    assert second.status == 304
    assert second.body == b"" and second.text == ""
    assert server.seen[1].headers["if-modified-since"] == "Wed, 19 Jun 2024 10:00:00 GMT"


@pytest.mark.asyncio
async def test_environment_proxies_are_ignored(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> None:
    server.serve("/p", PAGE)
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    monkeypatch.setenv("ALL_PROXY", "http://10.9.9.9:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with SafeFetcher(loopback_settings(server, timeout_s=3)) as fetcher:
        page = await fetcher.fetch(server.url("/p"))
    assert page.status == 200


@pytest.mark.asyncio
async def test_windows_1251_page_with_meta_charset(server: LoopbackServer) -> None:
    server.serve("/cp", fixture_bytes("ru_cp1251.html"), content_type="text/html")
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        page = await fetcher.fetch(server.url("/cp"))
    assert "Губернатор открыл новую школу в Саратове" in page.text
    assert "первоклассникам" in page.text


@pytest.mark.asyncio
async def test_koi8r_page_with_header_charset(server: LoopbackServer) -> None:
    server.serve("/koi", fixture_bytes("ru_koi8r.html"), content_type="text/html; charset=KOI8-R")
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        page = await fetcher.fetch(server.url("/koi"))
    assert "Морозы вернутся в Сибирь" in page.text
    assert "Синоптики предупреждают" in page.text


def test_charset_detection_without_any_declaration() -> None:
    raw = fixture_bytes("ru_koi8r.html")
    assert "Синоптики предупреждают" in decode_body(raw, "text/html")
    cp = fixture_bytes("ru_cp1251.html").replace(b"charset=windows-1251", b"")
    assert "первоклассникам" in decode_body(cp, "text/html")


def test_wrong_utf8_header_falls_back_to_meta() -> None:
    raw = fixture_bytes("ru_cp1251.html")
    assert "первоклассникам" in decode_body(raw, "text/html; charset=utf-8")
