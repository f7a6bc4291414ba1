"""Loopback HTTP server and fixture helpers shared by the link-reading tests."""

from __future__ import annotations

import contextlib
import ipaddress
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bot.fetch import FetchSettings

FIXTURES = Path(__file__).parent / "fixtures"

Handler = Callable[[BaseHTTPRequestHandler], None]


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1:<free port> with per-path handlers."""

    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for s in self.seen if s.path == path)

    def serve(
        self,
        path: str,
        body: bytes,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        def handler(h: BaseHTTPRequestHandler) -> None:
            h.send_response(status)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(body)

        self.routes[path] = handler

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        def handler(h: BaseHTTPRequestHandler) -> None:
            h.send_response(status)
            h.send_header("Location", location)
            h.send_header("Content-Length", "0")
            h.end_headers()

        self.routes[path] = handler


def _make_handler(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class _H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            server.seen.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
            handler = server.routes.get(path) or server.routes.get(self.path)
            if handler is None:
                body = b"<html><body><h1>Not found</h1></body></html>"
                self.send_response(404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            # the fetcher hangs up on purpose (size cap, timeout)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                handler(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return _H


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up mid-request is what several tests do on purpose


def start_server() -> tuple[LoopbackServer, ThreadingHTTPServer]:
    """Start a LoopbackServer on a free 127.0.0.1 port in a daemon thread."""
    state = LoopbackServer()
    httpd = _QuietServer(("127.0.0.1", 0), _make_handler(state))
    state.port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return state, httpd


LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)


def loopback_settings(server: LoopbackServer, **overrides: object) -> FetchSettings:
    """Settings that allow the loopback test server (and only what overrides add)."""
    kwargs: dict[str, object] = {"allow_nets": LOOPBACK, "allowed_ports": (server.port,)}
    kwargs.update(overrides)
    return FetchSettings(**kwargs)  # type: ignore[arg-type]
