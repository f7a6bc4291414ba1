"""`narrative-bot check` as scripts use it: files, standard input, links anywhere, and grep-like exit codes."""

from __future__ import annotations

from pathlib import Path

from bot.app import App
from bot.models import CommandRequest
from matchers import Library
from tests.core.test_core_cli import run
from tests.fetch.loopback import LoopbackServer, fixture_bytes, start_server


def test_a_path_is_read_as_a_file(tmp_path: Path, library: Library) -> None:
    narrative = library.get("troops-denial")
    assert narrative is not None
    (tmp_path / "post.txt").write_text(narrative.examples[0], encoding="utf-8")
    result = run(["check", "post.txt"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert narrative.title_in("ru") in result.stdout  # a Russian post gets a Russian card


def test_a_missing_file_or_a_directory_is_refused_with_a_hint(tmp_path: Path) -> None:
    missing = run(["check", "drafts/post.txt"], tmp_path)
    assert missing.returncode == 2
    assert "no such file: drafts/post.txt" in missing.stderr and "- reads standard input" in missing.stderr
    assert "No known narrative" not in missing.stdout
    (tmp_path / "drafts").mkdir()
    directory = run(["check", "drafts"], tmp_path)
    assert directory.returncode == 2 and "is a directory" in directory.stderr
    (tmp_path / "blob.bin").write_bytes(b"\xff\xfe\x00\x81")
    binary = run(["check", "blob.bin"], tmp_path)
    assert binary.returncode == 2 and "not UTF-8 text" in binary.stderr and "Traceback" not in binary.stderr


def test_exit_codes_tell_match_no_match_and_usage_error(tmp_path: Path, library: Library) -> None:
    example = library.get("asian-nato").examples[0]  # type: ignore[union-attr]
    assert run(["check", example], tmp_path).returncode == 0
    quiet = run(["check", "The weather in Vladivostok was mild on Tuesday, with light rain."], tmp_path)
    assert quiet.returncode == 1 and "No known narrative found." in quiet.stdout
    assert run(["check"], tmp_path).returncode == 2
    assert run(["check", "-"], tmp_path, stdin="  \n").returncode == 2
    assert run(["check", "--no-such-flag"], tmp_path).returncode == 2


def _summit(server: LoopbackServer) -> str:
    server.serve("/politics/summit", fixture_bytes("ru_news.html"))
    return server.url("/politics/summit")


def test_cli_reads_a_link_after_some_words(tmp_path: Path) -> None:
    state, httpd = start_server()
    try:
        url = _summit(state)
        allowed = {"NARRATIVE_BOT_ALLOW_NETS": "127.0.0.0/8", "NARRATIVE_BOT_ALLOWED_PORTS": str(state.port)}
        result = run(["check", "have a look at", url, "please"], tmp_path, env=allowed)
        assert result.returncode == 0, result.stderr
        assert "narrative: west-in-panic" in result.stdout and state.hits("/politics/summit") == 1
        refused = run(["check", "have a look at", url], tmp_path)
        assert refused.returncode == 3 and "private or local network address" in refused.stdout
    finally:
        httpd.shutdown()


async def test_slash_check_reads_links_anywhere_in_its_argument(app: App, page_server: LoopbackServer) -> None:
    url = _summit(page_server)
    response = await app.core.handle_command(CommandRequest("console", "c", f"check some words {url} and more"))
    assert response.verdicts and response.verdicts[0].top.narrative_id == "west-in-panic"
    assert response.verdicts[0].article is not None and page_server.hits("/politics/summit") == 1
    missing = await app.core.handle_command(CommandRequest("console", "c", f"check see {page_server.url('/gone')}"))
    assert missing.error and missing.problems and "404" in missing.text


def test_jsonl_from_a_missing_file_is_one_line(tmp_path: Path) -> None:
    result = run(["check", "--jsonl", "nope.jsonl"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "narrative-bot check: nope.jsonl: cannot read: No such file or directory"
