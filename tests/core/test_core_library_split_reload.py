"""Hot reload and the library cache see every part-file of a split library: added, edited and removed ones."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.library_cache import LibraryCache, cache_key
from bot.library_holder import LibraryHolder
from matchers.library_files import read_library_files
from tests.conftest import LIBRARY_PATH
from tests.core.test_core_cli import run
from tests.matchers.split_library import VERSION, write_beside, write_folder

TEXT = "Санкции ООН против КНДР изжили себя, и Россия больше не будет их соблюдать."
EXTRA = """version: 1
narratives:
  - id: extra-claim
    title: {en: An extra claim, uk: Додаткова теза, ru: Добавочный тезис}
    summary: {en: A claim added in its own file., uk: Теза з окремого файлу., ru: Тезис из отдельного файла.}
    debunk:
      en: This narrative exists to test part-files being added.
      uk: Цей наратив існує для перевірки доданих файлів.
      ru: Этот нарратив существует для проверки добавленных файлов.
    sources: [{title: Example, url: "https://example.org/"}]
    phrasings:
      ru: [добавочный тезис о Пхеньяне]
      en: [an extra claim about Pyongyang]
      uk: [додаткова теза про Пхеньян]
"""


def test_reload_sees_added_edited_and_removed_part_files(tmp_path: Path) -> None:
    main = write_beside(tmp_path)
    folder = tmp_path / "narratives.d"
    holder = LibraryHolder(main)
    assert len(holder.library.ids) == 13 and holder.library.path == str(main)
    assert holder.reload_if_changed() is False
    added = folder / "040-extra.yaml"
    added.write_text(EXTRA, encoding="utf-8")
    assert holder.reload_if_changed() is True
    assert holder.library.ids[-1] == "extra-claim"
    added.write_text(EXTRA.replace("extra-claim", "extra-claim-two"), encoding="utf-8")
    assert holder.reload_if_changed() is True
    assert "extra-claim-two" in holder.library.ids and "extra-claim" not in holder.library.ids
    added.unlink()
    assert holder.reload_if_changed() is True
    assert len(holder.library.ids) == 13
    part = folder / "020-arms.yaml"
    moved = [i for i in holder.library.ids if f"id: {i}\n" in part.read_text(encoding="utf-8")]
    part.unlink()  # a whole part-file removed: its narratives go
    assert holder.reload_if_changed() is True
    assert not set(moved) & set(holder.library.ids) and len(holder.library.ids) == 13 - len(moved)


def test_an_invalid_part_file_keeps_the_last_good_library(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = write_folder(tmp_path / "library")
    holder = LibraryHolder(folder, check_every_s=0)
    good = holder.library
    broken = folder / "040-extra.yaml"
    with caplog.at_level(logging.ERROR):
        broken.write_text(EXTRA.replace("phrasings:", "phrasings:\n  phrasings:"), encoding="utf-8")
        assert holder.reload_if_changed() is False
        assert holder.reload_if_changed() is False
        (folder / "050-copy.yaml").write_text(VERSION + "topic_terms: [Kaesong\n", encoding="utf-8")
        assert holder.reload_if_changed() is False
    assert holder.library is good
    assert caplog.text.count(f"{broken}:") == 2  # once alone, once beside the second broken file: never per check
    assert f"{folder}/050-copy.yaml:" in caplog.text
    (folder / "050-copy.yaml").unlink()
    broken.write_text(EXTRA, encoding="utf-8")
    assert "extra-claim" in holder.matcher.library.ids and holder.last_error is None


def test_the_cache_entry_follows_every_part_file(tmp_path: Path) -> None:
    main = write_beside(tmp_path)
    cache_dir = tmp_path / "cache"
    holder = LibraryHolder(main, cache=LibraryCache(cache_dir, min_bytes=0))
    files = read_library_files(main, max_bytes=10**9)
    assert [p.name for p in cache_dir.iterdir()] == [f"library-{cache_key(files)}.pickle"]
    again = LibraryHolder(main, cache=LibraryCache(cache_dir, min_bytes=0))  # served from the cache
    assert again.library == holder.library
    assert again.matcher.score_all(TEXT) == holder.matcher.score_all(TEXT)
    part = tmp_path / "narratives.d" / "030-rest.yml"
    part.write_text(part.read_text(encoding="utf-8") + "# an edit\n", encoding="utf-8")
    assert holder.reload_if_changed()
    edited = read_library_files(main, max_bytes=10**9)
    assert cache_key(edited) != cache_key(files)
    assert [p.name for p in cache_dir.iterdir()] == [f"library-{cache_key(edited)}.pickle"]
    # The single file keeps the key it always had: the hash of its bytes.
    assert cache_key(read_library_files(LIBRARY_PATH, max_bytes=10**9)) == cache_key(LIBRARY_PATH.read_bytes())


def test_the_command_line_takes_a_file_with_its_folder_or_a_folder(tmp_path: Path) -> None:
    main = write_beside(tmp_path)
    validated = run(["library", "validate", str(main)], tmp_path)
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.startswith(f"{main}: OK — 13 narratives in 4 files, ")
    folder = write_folder(tmp_path / "library")
    assert "OK — 13 narratives in 4 files" in run(["library", "validate", str(folder)], tmp_path).stdout
    single = run(["library", "validate", str(LIBRARY_PATH)], tmp_path)
    assert single.stdout.startswith(f"{LIBRARY_PATH}: OK — 13 narratives, ")
    checked = run(["check", TEXT], tmp_path, env={"NARRATIVE_BOT_LIBRARY": str(folder)})
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout == run(["check", TEXT], tmp_path).stdout
    cases = [{"id": "p1", "kind": "propaganda", "lang": "ru", "labels": ["sanctions-illegitimate"], "text": TEXT}]
    (tmp_path / "set.jsonl").write_text(json.dumps(cases[0], ensure_ascii=False), encoding="utf-8")
    scored = run(["eval", "set.jsonl", "--json", "--library", str(main)], tmp_path)
    assert scored.returncode == 0, scored.stderr
    assert scored.stdout == run(["eval", "set.jsonl", "--json", "--library", str(LIBRARY_PATH)], tmp_path).stdout
    (folder / "040-extra.yaml").write_text(EXTRA.replace("version: 1", "version: 2"), encoding="utf-8")
    refused = run(["check", TEXT], tmp_path, env={"NARRATIVE_BOT_LIBRARY": str(folder)})
    assert refused.returncode != 0 and f"{folder}/040-extra.yaml:1:1: version: Input should be 1" in refused.stderr
    assert "Traceback" not in refused.stderr
