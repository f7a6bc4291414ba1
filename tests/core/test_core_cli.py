"""The command line as users run it: separate processes, real files, no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from matchers import Library, load_library
from tests.conftest import ROOT

BROKEN = ROOT / "tests" / "matchers" / "broken"


def run(args: list[str], tmp_path: Path, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "NARRATIVE_BOT_"))}
    full_env["NARRATIVE_BOT_SEMANTIC"] = "off"  # the lexical stage: see tests/conftest.py
    full_env.update({"NARRATIVE_BOT_DB": str(tmp_path / "state.sqlite3"), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=full_env,
    )


def test_run_without_credentials_is_the_console(tmp_path: Path, library: Library) -> None:
    example = library.get("west-in-panic").examples[0]  # type: ignore[union-attr]
    result = run(["run"], tmp_path, stdin=f"{example}\nhello\n/narrative show troops-denial\n")
    assert result.returncode == 0, result.stderr
    assert "console" in result.stdout
    assert library.get("west-in-panic").title_in("ru") in result.stdout  # type: ignore[union-attr]
    assert "Цитата:" in result.stdout  # a Russian text gets a Russian card
    assert library.get("troops-denial").title_in("en") in result.stdout  # type: ignore[union-attr]


def test_check_json(tmp_path: Path, library: Library) -> None:
    example = library.get("asian-nato").examples[0]  # type: ignore[union-attr]
    result = run(["check", "--json", example], tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["alerts"][0]["narrative"] == "asian-nato"
    assert {"title", "score", "evidence", "debunk"} <= set(out["alerts"][0])
    # The example is Russian: so are its title and debunk, and the output says which language they are in.
    narrative = library.get("asian-nato")
    assert narrative is not None and out["alerts"][0]["language"] == "ru"
    assert out["alerts"][0]["debunk"] == narrative.debunk_in("ru")
    # The signals say what carried the match; the lexical stage names its phrasing and stance words.
    signals = out["alerts"][0]["signals"]
    assert signals and all(s == "similar phrasing" or s.startswith("stance words: ") for s in signals)
    assert isinstance(out["suggestions"], list)


def test_check_reads_stdin(tmp_path: Path, library: Library) -> None:
    example = library.get("dprk-manpower").examples[0]  # type: ignore[union-attr]
    result = run(["check", "-"], tmp_path, stdin=example)
    assert result.returncode == 0
    assert library.get("dprk-manpower").title_in("ru") in result.stdout  # type: ignore[union-attr]


def test_check_jsonl_keeps_ids_and_reports_bad_lines(tmp_path: Path, library: Library) -> None:
    example = library.get("troops-denial").examples[0]  # type: ignore[union-attr]
    lines = [
        json.dumps({"id": "a", "text": example}),
        "{not json",
        json.dumps({"id": "b", "text": "The weather is mild in Vladivostok."}),
        json.dumps({"id": "c"}),
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(["check", "--jsonl", "in.jsonl"], tmp_path)
    assert result.returncode == 2  # bad lines are reported (a usage error), good ones still answered
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[0]["alerts"][0]["narrative"] == "troops-denial" and rows[1]["alerts"] == []
    assert "line 2" in result.stderr and "line 4" in result.stderr


def test_eval_scores_a_labelled_set(tmp_path: Path, library: Library) -> None:
    cases = [
        {"id": "p1", "kind": "propaganda", "lang": "en", "labels": ["troops-denial"],
         "text": library.get("troops-denial").examples[0]},  # type: ignore[union-attr]
        {"id": "p2", "kind": "propaganda", "lang": "en", "labels": ["kim-flattery"], "text": "Nothing here at all."},
        {"id": "n1", "kind": "neutral", "lang": "en", "labels": [], "text": "Kim arrived by train on Tuesday."},
    ]
    (tmp_path / "set.jsonl").write_text("\n".join(json.dumps(c) for c in cases), encoding="utf-8")
    result = run(["eval", "set.jsonl", "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    reports = json.loads(result.stdout)
    assert list(reports) == ["lexical"]  # the semantic stage is off in these processes (tests/conftest.py)
    report = reports["lexical"]
    overall = report["overall"]
    assert (overall["hits"], overall["misses"], overall["false_alarms"]) == (1, 1, 0)
    assert overall["precision"] == 1.0 and overall["recall"] == 0.5
    assert [p["id"] for p in report["problems"]] == ["p2"]
    text = run(["eval", "set.jsonl"], tmp_path)
    assert "p2 [en] miss" in text.stdout and "F1 0.667" in text.stdout


def test_library_commands(tmp_path: Path) -> None:
    ok = run(["library", "validate", str(ROOT / "narratives.yaml")], tmp_path)
    assert ok.returncode == 0 and "OK" in ok.stdout
    bad = run(["library", "validate", str(BROKEN / "missing_debunk.yaml")], tmp_path)
    assert bad.returncode == 1 and "missing_debunk.yaml:3:5: narratives[0].debunk: field required" in bad.stderr
    listing = run(["library", "list"], tmp_path)
    assert "troops-denial" in listing.stdout
    show = run(["library", "show", "asian-nato"], tmp_path)
    assert "Phrasings (ru)" in show.stdout
    ukrainian = run(["library", "show", "asian-nato", "--lang", "uk"], tmp_path)
    narrative = load_library(ROOT / "narratives.yaml").get("asian-nato")
    assert narrative is not None
    assert narrative.title_in("uk") in ukrainian.stdout and f"Факти: {narrative.debunk_in('uk')}" in ukrainian.stdout
    untranslated = run(["library", "validate", str(BROKEN / "missing_translation.yaml")], tmp_path)
    assert untranslated.returncode == 1
    assert "narratives[0].debunk.uk: the Ukrainian version (uk) is missing" in untranslated.stderr
    assert "(narrative 'a-b')" in untranslated.stderr
    assert run(["library", "show", "nope"], tmp_path).returncode == 1


def test_a_broken_configured_library_fails_with_its_location(tmp_path: Path) -> None:
    result = run(["check", "some text here"], tmp_path, env={"NARRATIVE_BOT_LIBRARY": str(BROKEN / "alias.yaml")})
    assert result.returncode != 0
    assert "alias.yaml:3:8: aliases (*name) are not allowed" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_configuration_is_reported_cleanly(tmp_path: Path) -> None:
    result = run(["run"], tmp_path, env={"NARRATIVE_BOT_MAX_LINKS": "many"})
    assert result.returncode == 2
    assert "NARRATIVE_BOT_MAX_LINKS" in result.stderr and "Traceback" not in result.stderr


def test_health(tmp_path: Path) -> None:
    result = run(["health"], tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("ok:")


def test_check_url_end_to_end_on_loopback(tmp_path: Path) -> None:
    from tests.fetch.loopback import fixture_bytes, start_server

    state, httpd = start_server()
    try:
        state.serve("/politics/summit", fixture_bytes("ru_news.html"))
        url = state.url("/politics/summit")
        allowed = {"NARRATIVE_BOT_ALLOW_NETS": "127.0.0.0/8", "NARRATIVE_BOT_ALLOWED_PORTS": str(state.port)}
        result = run(["check", "--json", url], tmp_path, env=allowed)
        assert result.returncode == 0, result.stderr
        out = json.loads(result.stdout)
        assert out["alerts"] and out["alerts"][0]["narrative"] == "west-in-panic"
        assert out["article"]["title"] and out["article"]["site"]
        refused = run(["check", url], tmp_path)  # default configuration: loopback is off limits
        assert refused.returncode == 3
        assert "private or local network address" in refused.stdout
        assert state.hits("/politics/summit") == 1
    finally:
        httpd.shutdown()


def test_library_build_takes_the_threads_asked_for(tmp_path: Path) -> None:
    # From the shipped seed the build embeds nothing, so this is quick; it says how many threads it used.
    built = run(["library", "build", "--threads", "1"], tmp_path, env={"NARRATIVE_BOT_SEMANTIC": "on"})
    assert built.returncode == 0, built.stderr
    assert "on 1 thread " in built.stdout
    refused = run(["library", "build", "--threads", "0"], tmp_path)
    assert refused.returncode == 2 and "must be 1 or more" in refused.stderr
