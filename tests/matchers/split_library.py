"""The shipped narratives.yaml rewritten as a split library: the same narratives, concepts and terms over several
files, cut from the file's own text so that nothing but the layout differs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from tests.conftest import LIBRARY_PATH

VERSION = "version: 1\n"


def _cut() -> tuple[str, list[str]]:
    """The shipped file's text before `narratives:`, and its narratives one text each."""
    text = LIBRARY_PATH.read_text(encoding="utf-8")
    head, body = text.split("\nnarratives:\n", 1)
    items = re.split(r"(?m)^(?=  - id: )", body)
    assert items[0] == "" and len(items) >= 10, "the shipped library's layout changed: adjust this cut"
    return head + "\n", items[1:]


def split_texts() -> dict[str, str]:
    """File name -> text. `main` is the head (with half of the dprk concept and most topic terms) and the first
    narratives; `010-shared.yaml` adds the rest of the concept and terms, repeating one of each already listed;
    the other two hold the remaining narratives."""
    head, items = _cut()
    concept_line = next(line for line in head.splitlines() if line.startswith("  dprk: ["))
    words = yaml.safe_load(concept_line)["dprk"]
    half = len(words) // 2
    head = head.replace(concept_line, f"  dprk: {json.dumps(words[:half], ensure_ascii=False)}")
    terms_start = head.index("topic_terms:\n") + len("topic_terms:\n")
    terms = head[terms_start:].splitlines(keepends=True)
    kept, moved = terms[:-5], terms[-5:]
    head = head[:terms_start] + "".join(kept)
    shared = (
        VERSION
        + "# Words added to the main file's groups; one of each is listed there already and counts once.\n"
        + f"concepts:\n  dprk: {json.dumps([words[0], *words[half:]], ensure_ascii=False)}\n"
        + "topic_terms:\n"
        + kept[0]
        + "".join(moved)
    )
    return {
        "main": head + "narratives:\n" + "".join(items[:4]),
        "010-shared.yaml": shared,
        "020-arms.yaml": VERSION + "narratives:\n" + "".join(items[4:9]),
        "030-rest.yml": VERSION + "narratives:\n" + "".join(items[9:]),
    }


def write_beside(folder: Path) -> Path:
    """narratives.yaml with its narratives.d/ folder in `folder`; the path of narratives.yaml."""
    texts = split_texts()
    main = folder / "narratives.yaml"
    main.write_text(texts.pop("main"), encoding="utf-8")
    (folder / "narratives.d").mkdir()
    for name, text in texts.items():
        (folder / "narratives.d" / name).write_text(text, encoding="utf-8")
    return main


def write_folder(folder: Path) -> Path:
    """Every file in one folder (the main file as 000-main.yaml); the folder."""
    folder.mkdir(exist_ok=True)
    for name, text in split_texts().items():
        (folder / ("000-main.yaml" if name == "main" else name)).write_text(text, encoding="utf-8")
    return folder
