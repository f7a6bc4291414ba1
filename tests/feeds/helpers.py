"""Test helpers for feed polling: a loopback feed server whose answers change between polls, feeds, a fake clock."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from bot.config import bundled_library_path
from bot.models import FeedAlert, FeedNotice
from matchers import load_library

FIXTURES = Path(__file__).parent / "fixtures"

NEUTRAL_TEXTS = (
    "The Bank of Russia kept its key rate unchanged on Friday.",
    "Moscow city council approved the budget for road repairs next year.",
    "Heavy snow closed two runways at Sheremetyevo airport on Tuesday morning.",
    "A new exhibition of Russian impressionists opens at the Tretyakov Gallery.",
)


def propaganda_texts() -> list[tuple[str, str]]:
    """(narrative id, example text) for every example in the shipped library, read at test time."""
    library = load_library(bundled_library_path())
    return [(n.id, example) for n in library.narratives for example in n.examples]


@dataclass
class Item:
    guid: str | None
    title: str | None
    text: str
    link: str | None = None
    pubdate: float | None = None


def rss(items: Iterable[Item], *, title: str = "Test Wire", ttl: int | None = None) -> bytes:
    """An RSS 2.0 document (newest first, as feeds are) with HTML-escaped descriptions."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>https://wire.example/</link><description>wire</description>",
    ]
    if ttl is not None:
        parts.append(f"<ttl>{ttl}</ttl>")
    for item in items:
        parts.append("<item>")
        if item.title is not None:
            parts.append(f"<title>{escape(item.title)}</title>")
        if item.link is not None:
            parts.append(f"<link>{escape(item.link)}</link>")
        if item.guid is not None:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        if item.pubdate is not None:
            parts.append(f"<pubDate>{formatdate(item.pubdate, usegmt=True)}</pubDate>")
        parts.append(f"<description>{escape('<p>' + item.text + '</p>')}</description></item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    started_at: float = 0.0  # wall clock, when the request arrived
    ended_at: float | None = None  # when its answer was written


@dataclass
class FeedServer:
    """A threaded HTTP server on 127.0.0.1:<free port>; set `answers[path]` to change what a path returns.

    It answers 304 itself when the request's If-None-Match equals the answer's ETag, like a real server.
    """

    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    active: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def serve_feed(self, path: str, body: bytes, **headers: str) -> None:
        self.answers[path] = Answer(body=body, headers={k.replace("_", "-"): v for k, v in headers.items()})


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = Request(path, headers, started_at=time.time())
            server.requests.append(request)
            answer = server.answers.get(path) or Answer(404, b"not found", "text/plain")
            etag = answer.headers.get("ETag")
            if answer.status == 200 and etag and headers.get("if-none-match") == etag:
                answer = Answer(304, b"", answer.content_type, {"ETag": etag})
            with server.lock:
                server.active += 1
                server.peak = max(server.peak, server.active)
            try:
                time.sleep(answer.delay_s)  # a slow server, to observe how many requests overlap
            finally:
                with server.lock:
                    server.active -= 1
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(answer.body)
            request.ended_at = time.time()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def start_feed_server() -> tuple[FeedServer, ThreadingHTTPServer]:
    state = FeedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return state, httpd


class FakeClock:
    """Wall-clock seconds that move only when a test says so."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingSender:
    """An AlertSender (the chat side's port) that records what it was given, or fails while `failing` is set."""

    def __init__(self, platform: str = "slack") -> None:
        self.platform = platform
        self.alerts: list[FeedAlert] = []
        self.notices: list[FeedNotice] = []
        self.failing = False
        self.attempts = 0

    async def send_alert(self, alert: FeedAlert) -> None:
        self.attempts += 1
        if self.failing:
            raise ConnectionError("chat platform unreachable")
        self.alerts.append(alert)

    async def send_notice(self, notice: FeedNotice) -> None:
        self.attempts += 1
        if self.failing:
            raise ConnectionError("chat platform unreachable")
        self.notices.append(notice)
