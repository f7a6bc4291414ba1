"""SafeFetcher: bounded, SSRF-guarded HTTP GET of user-supplied links over httpx."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import ipaddress
import logging
import re
import types
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Protocol

import brotli
import charset_normalizer
import httpcore
import httpx

from bot.charsafe import clean_chars
from bot.netguard import (
    BlockedAddressError,
    GuardedBackend,
    ResolveError,
    Resolver,
    blocked_reason,
    parse_address,
)
from bot.read_reasons import Reason, code_reason
from matchers.library import Lang

logger = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "narrative-bot/0.1 (+https://github.com/narrative-bot/narrative-bot; newsroom fact-checking bot)"
DEFAULT_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.1"
ACCEPTED_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "application/xml",
        "text/xml",
        "application/rss+xml",
        "application/atom+xml",
        "text/plain",
    }
)
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024

class FetchError(Exception):
    """A link could not be read; user_message is short and safe to post in chat, in English, and message_in()
    says the same in Ukrainian or Russian (from `reason`, bot/read_reasons.py).

    operator_hint, when set, tells whoever runs the bot which setting would allow the fetch. It goes to the log
    and to the command line, never to chat: a chat user cannot change the settings, and it names internal
    addresses.
    """

    def __init__(
        self,
        code: str,
        user_message: str | None = None,
        *,
        reason: Reason | None = None,
        url: str = "",
        status: int | None = None,
        retry_after: str | None = None,
        operator_hint: str | None = None,
    ) -> None:
        self.code = code
        # The reason words the message in any language; a message given as text alone stays as it was given.
        if reason is None and user_message is None:
            reason = code_reason(code) or Reason("unknown")
        self.reason = reason
        self.user_message = user_message or (reason.message("en") if reason else "")
        self.url = url
        self.status = status
        self.retry_after = retry_after  # the server's Retry-After on an error answer, for pollers to honour
        self.operator_hint = operator_hint
        super().__init__(f"{code}: {self.user_message} ({url})")

    def message_in(self, lang: Lang) -> str:
        """What users see, in `lang`."""
        return self.reason.message(lang) if self.reason is not None else self.user_message


# The settings (bot/config.py) that widen the policy, named in operator hints.
ALLOW_NETS_SETTING = "NARRATIVE_BOT_ALLOW_NETS"
ALLOWED_PORTS_SETTING = "NARRATIVE_BOT_ALLOWED_PORTS"


def allow_nets_hint(address: str, reason: str) -> str:
    """How an operator would let the fetcher reach a refused address (an intranet site, a test server)."""
    try:
        host_net = f"{address}/{32 if ipaddress.ip_address(address).version == 4 else 128}"
    except ValueError:
        host_net = "its network"
    return f"{address} is refused ({reason}); to allow it, add {host_net} (or its network) to {ALLOW_NETS_SETTING}"


def allowed_ports_hint(port: int) -> str:
    return f"port {port} is not in {ALLOWED_PORTS_SETTING}; add it there to allow it"


@dataclass(frozen=True)
class FetchSettings:
    """Limits and policy for fetching untrusted links."""

    timeout_s: float = 20.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    allow_nets: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    allowed_ports: tuple[int, ...] = (80, 443)
    user_agent: str = DEFAULT_USER_AGENT
    trust_env: bool = False


@dataclass(frozen=True)
class FetchedPage:
    """A successfully fetched page (status 200) or a not-modified answer (304)."""

    url: str
    status: int
    content_type: str
    body: bytes
    text: str
    headers: Mapping[str, str]


# --- decompression with a hard output cap ---------------------------------------------------


class _Decoder(Protocol):
    def feed(self, data: bytes, limit: int) -> bytes: ...


class _Identity:
    def feed(self, data: bytes, limit: int) -> bytes:
        return data


class _Zlib:
    """gzip/deflate; `deflate` is zlib-wrapped per RFC but some servers send it raw."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._obj: zlib._Decompress | None = None

    def feed(self, data: bytes, limit: int) -> bytes:
        if self._obj is None:
            if not data:
                return b""
            if self._gzip:
                wbits = zlib.MAX_WBITS | 32  # auto-detect gzip or zlib header
            else:
                zlib_header = len(data) >= 2 and (data[0] & 0x0F) == 8 and (data[0] << 8 | data[1]) % 31 == 0
                wbits = zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS
            self._obj = zlib.decompressobj(wbits)
        # max_length bounds each call; the caller raises as soon as output passes the cap,
        # so a bomb never gets further than limit+1 bytes into memory.
        out = bytearray(self._obj.decompress(data, limit + 1))
        while self._obj.unconsumed_tail and len(out) <= limit:
            out += self._obj.decompress(self._obj.unconsumed_tail, limit + 1 - len(out))
        return bytes(out)


class _Brotli:
    def __init__(self) -> None:
        self._obj = brotli.Decompressor()

    def feed(self, data: bytes, limit: int) -> bytes:
        out = bytearray(self._obj.process(data, output_buffer_limit=limit + 1))
        while len(out) <= limit and not self._obj.can_accept_more_data():
            more = self._obj.process(b"", output_buffer_limit=limit + 1 - len(out))
            if not more:
                break
            out += more
        return bytes(out)


def _decoder_for(content_encoding: str) -> _Decoder | None:
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return _Identity()
    if len(codings) > 1:
        return None  # stacked encodings: nobody serves articles that way
    factories: dict[str, Callable[[], _Decoder]] = {
        "gzip": lambda: _Zlib(gzip=True),
        "x-gzip": lambda: _Zlib(gzip=True),
        "deflate": lambda: _Zlib(gzip=False),
        "br": _Brotli,
    }
    factory = factories.get(codings[0])
    return factory() if factory else None


# --- charsets ----------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


# Codecs a page may not choose: Python's own escapes and UTF-7 turn plain bytes into lone surrogates and control
# characters, and the bytes-to-bytes codecs (base64, hex, rot13) are not text encodings at all.
_REFUSED_CODECS = frozenset({"utf-7", "unicode-escape", "raw-unicode-escape", "punycode", "idna", "undefined"})


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        info = codecs.lookup(name.strip().strip("\"'"))
    except LookupError:
        return None
    # _is_text_encoding is how str.encode itself tells text codecs from the others (codecs.CodecInfo).
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED_CODECS:
        return None
    return info.name


def header_charset(content_type_header: str) -> str | None:
    """The charset parameter of a Content-Type header, if it names a known codec."""
    msg = Message()
    msg["content-type"] = content_type_header
    param = msg.get_param("charset")
    return _codec(param if isinstance(param, str) else None)


def declared_charset(body: bytes) -> str | None:
    """The charset a document declares in <meta> or its XML declaration (first 16 KiB)."""
    head = body[:16384]
    match = _XML_DECL.search(head) or _META_CHARSET.search(head)
    return _codec(match.group(1).decode("ascii")) if match else None


def decode_body(body: bytes, content_type_header: str = "") -> str:
    """Decode a page: BOM, HTTP charset, <meta>/XML declaration, then charset-normalizer; never a surrogate."""
    # A few codecs pass lone surrogates through even with errors="replace" (utf-16 with unpaired halves in some
    # versions): no text leaves here that cannot be encoded again.
    return clean_chars(_decode_body(body, content_type_header))


def _decode_body(body: bytes, content_type_header: str) -> str:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body.decode(name, errors="replace")
    for candidate in (header_charset(content_type_header), declared_charset(body)):
        if candidate is None:
            continue
        if candidate == "utf-8":
            # Servers often default to a utf-8 header on legacy pages; trust it only if it fits.
            try:
                return body.decode("utf-8")
            except UnicodeDecodeError:
                continue
        return body.decode(candidate, errors="replace")
    best = charset_normalizer.from_bytes(body).best()
    if best is not None and best.encoding:
        return body.decode(best.encoding, errors="replace")
    return body.decode("utf-8", errors="replace")


def _media_type(content_type_header: str) -> str:
    return content_type_header.split(";", 1)[0].strip().lower()


def _looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body"))


# --- the fetcher -------------------------------------------------------------------------------


class SafeFetcher:
    """GET untrusted http(s) URLs with address checks on every hop and hard time/size caps."""

    def __init__(self, settings: FetchSettings = FetchSettings(), resolver: Resolver | None = None) -> None:
        self.settings = settings
        self.backend = GuardedBackend(settings.allow_nets, resolver)
        transport = httpx.AsyncHTTPTransport(trust_env=settings.trust_env)
        # httpx 0.28's AsyncHTTPTransport has no network_backend argument. We keep its
        # public class (it maps httpcore exceptions to httpx ones and builds the SSL
        # context) and swap in a pool built with our backend; `_pool` is the one
        # attribute it uses to send. Checked against httpx 0.28.1 / httpcore 1.0.9.
        ssl_context = httpx.create_ssl_context(trust_env=settings.trust_env)
        if not hasattr(transport, "_pool"):  # pragma: no cover - guards an httpx upgrade
            raise RuntimeError("httpx.AsyncHTTPTransport has no _pool; update bot/fetch.py")
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=20,
            max_keepalive_connections=10,
            keepalive_expiry=5.0,
            network_backend=self.backend,
        )
        if settings.trust_env:
            # Env proxies get their own httpx transports: the proxy then does the
            # connecting and our address checks do not apply to the target.
            logger.warning("trust_env=True: proxies from the environment bypass the address checks")
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            trust_env=settings.trust_env,
            timeout=httpx.Timeout(settings.timeout_s),
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate, br"},
        )

    async def __aenter__(self) -> SafeFetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        accept: str = DEFAULT_ACCEPT,
    ) -> FetchedPage:
        """Fetch url; returns status 200 (with body) or 304 (conditional GET), else FetchError."""
        try:
            try:
                async with asyncio.timeout(self.settings.timeout_s):
                    return await self._fetch(url, headers or {}, accept)
            except TimeoutError:
                raise self._timeout(url) from None
        except FetchError as err:
            hint = f" ({err.operator_hint})" if err.operator_hint else ""
            logger.info("fetch failed: %s %s status=%s%s", err.code, err.url or url, err.status, hint)
            raise

    def _timeout(self, url: str) -> FetchError:
        return FetchError(
            "timeout", reason=Reason("timeout_after", (("seconds", f"{self.settings.timeout_s:g}"),)), url=url
        )

    def _check_url(self, url: str) -> httpx.URL:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise FetchError("bad_url", url=url) from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise FetchError("bad_url", url=url)
        # An address written out (http://127.0.0.1:8080/) is judged before its port, so that users hear the
        # real reason; host names are resolved and checked at connect time, on every hop.
        with contextlib.suppress(ValueError):
            reason = blocked_reason(parsed.host, self.settings.allow_nets)
            if reason is not None:
                hint = allow_nets_hint(str(parse_address(parsed.host)), reason)
                raise FetchError("blocked_address", url=url, operator_hint=hint)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        if port not in self.settings.allowed_ports:
            raise FetchError(
                "bad_url",
                reason=Reason("bad_port", (("port", port),)),
                url=url,
                operator_hint=allowed_ports_hint(port),
            )
        return parsed

    async def _fetch(self, url: str, headers: Mapping[str, str], accept: str) -> FetchedPage:
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            target = self._check_url(current)
            request = self._client.build_request("GET", target, headers={"Accept": accept, **headers})
            response = await self._send(request, current)
            try:
                location = response.headers.get("location")
                if response.status_code in _REDIRECT_STATUSES and location:
                    try:
                        current = str(target.join(location))
                    except (httpx.InvalidURL, ValueError):
                        raise FetchError("bad_url", url=location) from None
                    continue
                return await self._page(current, response)
            finally:
                await response.aclose()
        raise FetchError(
            "too_many_redirects",
            reason=Reason("too_many_redirects_n", (("count", self.settings.max_redirects),)),
            url=url,
        )

    async def _send(self, request: httpx.Request, url: str) -> httpx.Response:
        try:
            return await self._client.send(request, stream=True)
        except BlockedAddressError as exc:
            logger.debug("blocked address: %s", exc)  # the caller logs the one info line
            hint = allow_nets_hint(exc.address, exc.reason)
            raise FetchError("blocked_address", url=url, operator_hint=hint) from None
        except ResolveError:
            raise FetchError(
                "dns_failed", reason=Reason("dns_failed_host", (("host", request.url.host),)), url=url
            ) from None
        except httpx.TimeoutException:
            raise self._timeout(url) from None
        except httpx.HTTPError as exc:
            logger.debug("transport error for %s: %r", url, exc)
            raise FetchError("connect_failed", url=url) from None

    async def _page(self, url: str, response: httpx.Response) -> FetchedPage:
        headers = types.MappingProxyType({k.lower(): v for k, v in response.headers.items()})
        raw_type = response.headers.get("content-type", "")
        media_type = _media_type(raw_type)
        status = response.status_code
        if status == 304:
            return FetchedPage(url, 304, media_type, b"", "", headers)
        if not 200 <= status < 300:
            raise FetchError(
                "http_error",
                reason=Reason("http_status", (("status", status),)),
                url=url,
                status=status,
                retry_after=response.headers.get("retry-after"),
            )
        if media_type and media_type not in ACCEPTED_TYPES:
            raise FetchError(
                "unsupported_type",
                reason=Reason("media_type", (("media_type", media_type),)),
                url=url,
                status=status,
            )
        body = await self._read_body(url, response)
        if not media_type:
            if not _looks_like_html(body):
                raise FetchError("unsupported_type", url=url, status=status)
            media_type = "text/html"
        return FetchedPage(url, status, media_type, body, decode_body(body, raw_type), headers)

    async def _read_body(self, url: str, response: httpx.Response) -> bytes:
        cap = self.settings.max_bytes
        too_large = FetchError(
            "too_large", reason=Reason("too_large_than", (("bytes", cap),)), url=url, status=response.status_code
        )
        length = response.headers.get("content-length", "").strip()
        # Read as ASCII digits only ("²" passes isdigit() and then fails int()); a longer number is over any cap.
        if length.isascii() and length.isdigit() and (len(length) > 18 or int(length) > cap):
            raise too_large
        decoder = _decoder_for(response.headers.get("content-encoding", ""))
        if decoder is None:
            raise FetchError("unsupported_type", reason=Reason("compression"), url=url)
        wire = 0
        out = bytearray()
        try:
            async for chunk in response.aiter_raw(_CHUNK):
                wire += len(chunk)
                if wire > cap:
                    raise too_large
                out += decoder.feed(chunk, cap - len(out))
                if len(out) > cap:
                    raise too_large
        except (zlib.error, brotli.error):
            raise FetchError("connect_failed", reason=Reason("corrupt_compression"), url=url) from None
        except httpx.TimeoutException:
            raise self._timeout(url) from None
        except httpx.HTTPError:
            raise FetchError(
                "connect_failed", reason=Reason("connection_broke"), url=url
            ) from None
        return bytes(out)
