"""trafilatura's own ERROR/WARNING lines about an empty page stay off the console unless debugging is asked for."""

from __future__ import annotations

from pathlib import Path

from tests.core.test_core_cli import run
from tests.fetch.loopback import LoopbackServer


def _allowed(server: LoopbackServer, **extra: str) -> dict[str, str]:
    return {"NARRATIVE_BOT_ALLOW_NETS": "127.0.0.0/8", "NARRATIVE_BOT_ALLOWED_PORTS": str(server.port), **extra}


def test_check_on_empty_pages_prints_one_line_and_no_parser_noise(tmp_path: Path, server: LoopbackServer) -> None:
    server.serve("/empty", b"<html><head></head><body></body></html>")
    server.serve("/blank", b"")
    for path in ("/empty", "/blank"):
        result = run(["check", server.url(path)], tmp_path, env=_allowed(server))
        assert result.returncode == 3
        assert "no article text" in result.stdout
        assert result.stderr == ""  # trafilatura said "empty HTML tree", "discarding data" here


def test_the_console_keeps_them_for_debugging_only(tmp_path: Path, server: LoopbackServer) -> None:
    server.serve("/blank", b"")
    line = server.url("/blank") + "\n"
    info = run(["run"], tmp_path, stdin=line, env=_allowed(server, LOG_LEVEL="info"))
    assert info.returncode == 0, info.stderr
    assert "no article text" in info.stdout and "trafilatura" not in info.stderr
    debug = run(["run"], tmp_path, stdin=line, env=_allowed(server, LOG_LEVEL="debug"))
    assert "DEBUG trafilatura" in debug.stderr and "ERROR trafilatura" not in debug.stderr
