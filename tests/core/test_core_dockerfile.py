"""The Dockerfile stays in line with the package: its commands exist, its files exist, it runs as non-root."""

from __future__ import annotations

import json
import re
import shlex

from bot.cli import build_parser
from bot.config import Settings
from tests.conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def _instructions(name: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(name + " ")]


def _exec_form(value: str) -> list[str]:
    return list(json.loads(value[value.index("[") :]))


def test_cmd_and_healthcheck_are_real_subcommands() -> None:
    parser = build_parser()
    cmd = _exec_form(_instructions("CMD")[0])
    health = _instructions("HEALTHCHECK")[0]
    health_cmd = _exec_form(health[health.index("CMD") + 3 :])
    for command in (cmd, health_cmd):
        assert command[0] == "narrative-bot"
        parser.parse_args(command[1:])  # exits (SystemExit) if the subcommand does not exist
    assert cmd == ["narrative-bot", "run"]


def test_copied_files_exist_and_install_matches_the_readme() -> None:
    for copy in _instructions("COPY"):
        for source in shlex.split(copy)[:-1]:
            assert (ROOT / source).exists(), source
    run = " ".join(_instructions("RUN"))
    assert "pip install ." in run
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install -e ." in readme  # the README's editable form of the same install


def test_runs_as_non_root_with_state_on_a_volume() -> None:
    users = _instructions("USER")
    assert users and users[-1] not in ("root", "0")
    volume = _exec_form(_instructions("VOLUME")[0])
    db = next(e for e in _instructions("ENV") if "NARRATIVE_BOT_DB=" in e)
    db_path = re.search(r"NARRATIVE_BOT_DB=(\S+)", db).group(1)  # type: ignore[union-attr]
    assert any(db_path.startswith(v.rstrip("/") + "/") for v in volume)
    assert _instructions("EXPOSE")[0].strip() == str(Settings().port)
    assert _instructions("FROM")[0].startswith("python:3.") and "slim" in _instructions("FROM")[0]
