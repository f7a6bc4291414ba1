"""`narrative-bot eval` on a file it cannot use: one line naming the file and line, exit 2, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matchers.evaluation import CaseError, load_cases
from tests.core.test_core_cli import run

GOOD = {"id": "p1", "kind": "propaganda", "lang": "en", "labels": ["troops-denial"], "text": "A text."}


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    result = run(["eval", "nope.jsonl"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "narrative-bot eval: nope.jsonl: cannot read: No such file or directory"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({k: v for k, v in GOOD.items() if k != "text"}, "set.jsonl:2: missing field text"),
        ({k: v for k, v in GOOD.items() if k not in ("lang", "labels")}, "set.jsonl:2: missing fields lang, labels"),
        ({**GOOD, "kind": "satire"}, "set.jsonl:2: unknown kind 'satire'"),
        ({**GOOD, "labels": "troops-denial"}, "set.jsonl:2: labels must be a list"),
        ([1, 2], "set.jsonl:2: expected a JSON object"),
    ],
)
def test_a_bad_line_is_named(tmp_path: Path, row: object, message: str) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(CaseError, match=message):
        load_cases(path)


def test_the_cli_prints_the_bad_line_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "set.jsonl").write_text(json.dumps(GOOD) + "\n{not json\n", encoding="utf-8")
    result = run(["eval", "set.jsonl"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("narrative-bot eval: set.jsonl:2: invalid JSON")
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
