"""Refusals say what users can understand (chat) and what operators can change (log, command line)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleSession
from bot.app import build_app
from bot.config import Settings
from bot.fetch import FetchError, FetchSettings, SafeFetcher
from bot.read_reasons import describe_media_type
from tests.core.test_core_cli import run
from tests.fetch.loopback import LOOPBACK, LoopbackServer, loopback_settings
from tests.fetch.test_fetch_netguard import FakeResolver


async def _refusal(fetcher: SafeFetcher, url: str) -> FetchError:
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(url)
    return info.value


async def test_a_refused_address_names_the_setting_in_the_log(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.fetch")
    async with SafeFetcher(FetchSettings(allowed_ports=(server.port,))) as fetcher:
        err = await _refusal(fetcher, server.url("/"))
    assert err.operator_hint is not None and "NARRATIVE_BOT_ALLOW_NETS" in err.operator_hint
    assert "127.0.0.1/32" in err.operator_hint
    assert "NARRATIVE_BOT" not in err.user_message  # chat users cannot change settings
    assert any("NARRATIVE_BOT_ALLOW_NETS" in r.getMessage() for r in caplog.records)
    assert server.seen == []


async def test_a_name_resolving_to_a_private_address_names_the_setting() -> None:
    async with SafeFetcher(resolver=FakeResolver({"intranet.example": ["10.1.2.3"]})) as fetcher:
        err = await _refusal(fetcher, "http://intranet.example/wiki")
    assert err.code == "blocked_address"
    assert err.operator_hint is not None and "10.1.2.3/32" in err.operator_hint
    assert "NARRATIVE_BOT_ALLOW_NETS" in err.operator_hint


async def test_a_refused_port_names_its_setting(server: LoopbackServer) -> None:
    async with SafeFetcher(FetchSettings(allow_nets=LOOPBACK)) as fetcher:
        err = await _refusal(fetcher, server.url("/"))
    assert err.operator_hint is not None and f"port {server.port}" in err.operator_hint
    assert "NARRATIVE_BOT_ALLOWED_PORTS" in err.operator_hint and "NARRATIVE_BOT" not in err.user_message


def test_check_prints_the_hint(tmp_path: Path, server: LoopbackServer) -> None:
    server.serve("/a", b"<html><body><p>hello</p></body></html>")
    address = run(["check", server.url("/a")], tmp_path)
    assert address.returncode == 3 and "Hint:" in address.stdout and "NARRATIVE_BOT_ALLOW_NETS" in address.stdout
    port = run(["check", "--json", server.url("/a")], tmp_path, env={"NARRATIVE_BOT_ALLOW_NETS": "127.0.0.0/8"})
    assert port.returncode == 3 and '"hint"' in port.stdout and "NARRATIVE_BOT_ALLOWED_PORTS" in port.stdout


async def test_chat_replies_do_not_carry_the_hint(tmp_path: Path, server: LoopbackServer) -> None:
    async with build_app(Settings(semantic=False, db_path=tmp_path / "s.sqlite3", allowed_ports=(server.port,))) as app:
        session = ConsoleSession(app.core)
        await session.push(server.url("/secret"))
        reply = session.pop()
    assert "private or local" in reply and "NARRATIVE_BOT" not in reply


@pytest.mark.parametrize(
    ("media_type", "words"),
    [
        ("application/pdf", "a PDF file"),
        ("image/png", "an image"),
        ("image/webp", "an image"),
        ("video/mp4", "a video"),
        ("audio/mpeg", "an audio file"),
        ("application/zip", "an archive"),
        ("application/x-unknown-thing", "a file"),
    ],
)
def test_media_types_in_words(media_type: str, words: str) -> None:
    assert describe_media_type(media_type) == words


async def test_a_pdf_link_is_called_a_pdf_file(server: LoopbackServer) -> None:
    server.serve("/report.pdf", b"%PDF-1.7\n" + b"\0" * 100, content_type="application/pdf")
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        err = await _refusal(fetcher, server.url("/report.pdf"))
    assert err.user_message == "I can't read that link: it is a PDF file, not a web page."
