"""The Dockerfile stays in line with the package: its commands exist, its files exist, it runs as non-root."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

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
    assert "pip install --no-deps ." in run
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


def _steps() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [
        (line.split(None, 1)[0], line.split(None, 1)[1])
        for line in joined.splitlines()
        if line and not line.startswith("#") and " " in line
    ]


def test_dependencies_install_from_pyproject_before_the_code_is_copied() -> None:
    steps = _steps()
    copies = [(i, shlex.split(arg)[:-1]) for i, (name, arg) in enumerate(steps) if name == "COPY"]
    first_copy, first_sources = copies[0]
    assert first_sources == ["pyproject.toml"]  # nothing else: a code edit must not invalidate the next layer
    code_copy = min(i for i, sources in copies if {"bot", "matchers"} & set(sources))
    deps = [arg for i, (name, arg) in enumerate(steps) if name == "RUN" and first_copy < i < code_copy]
    assert len(deps) == 1 and "pip install -r" in deps[0] and "pyproject.toml" in deps[0]
    final = [arg for i, (name, arg) in enumerate(steps) if name == "RUN" and i > code_copy]
    assert final and "pip install --no-deps ." in final[0]  # the package only; its dependencies are in place


def test_the_requirements_step_lists_exactly_the_pyproject_dependencies(tmp_path: Path) -> None:
    (deps,) = [arg for name, arg in _steps() if name == "RUN" and "pip install -r" in arg]
    command = deps.split(">", 1)[0].strip()  # `python -c "..."`, run here as the image would run it
    argv = shlex.split(command)
    assert argv[:2] == ["python", "-c"]
    (tmp_path / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    listed = subprocess.run(
        [sys.executable, "-c", argv[2]], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.splitlines()  # one requirement a line: an environment marker holds spaces
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert listed == expected


def test_the_readme_shows_how_to_mount_your_own_library() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Running in Docker") :]
    section = section[: section.index("\n## ", 1)]
    run = re.sub(r"\\\n\s*", " ", section)
    line = next(ln for ln in run.splitlines() if ln.startswith("docker run") and "NARRATIVE_BOT_LIBRARY=" in ln)
    library = re.search(r"NARRATIVE_BOT_LIBRARY=(\S+)", line).group(1)  # type: ignore[union-attr]
    mounts = [m.split(":") for m in re.findall(r"-v\s+\"?([^\s\"]+)\"?", line)]
    # A directory is mounted (read-only), not the file: editors save by replacing a file, and a bind-mounted file
    # would keep showing the old one, so the running bot would never reload the edit.
    assert any(len(m) >= 3 and m[2] == "ro" and library.startswith(m[1].rstrip("/") + "/") for m in mounts), line
    assert "library validate" in section  # how to check the file before mounting it
