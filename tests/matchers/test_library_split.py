"""A library split over files loads as the single file does; its mistakes name their file and line."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from matchers import Library, LibraryError, Matcher, load_library
from matchers.classifier import training_set
from matchers.library_files import read_library_files
from tests.conftest import LIBRARY_PATH
from tests.matchers.split_library import VERSION, split_texts, write_beside, write_folder

TEXTS = [
    "Санкции ООН против КНДР изжили себя, и Россия больше не будет их соблюдать.",
    "North Korean troops are not fighting in Kursk; that is a Western fake.",
    "Пхеньян і Москва пов'язані перевіреною часом дружбою.",
    "The weather in Seoul was mild on Tuesday.",
]


def _as_single(library: Library) -> Library:
    return dataclasses.replace(library, path=str(LIBRARY_PATH))


@pytest.mark.parametrize("layout", ["beside", "folder"])
def test_split_library_is_the_single_file_library(tmp_path: Path, library: Library, layout: str) -> None:
    path = write_beside(tmp_path) if layout == "beside" else write_folder(tmp_path / "library")
    split = load_library(path)
    assert split.path == str(path)
    assert len(read_library_files(path, max_bytes=10**9).files) == 4
    assert _as_single(split) == library
    assert list(split.concepts) == list(library.concepts)  # the same order too: the index is built in it
    assert training_set(split) == training_set(library)  # so the classifier's and the vectors' keys are the same
    single, parts = Matcher(library), Matcher(split)
    for text in TEXTS:
        assert parts.score_all(text) == single.score_all(text)


def test_the_digest_covers_every_file_in_order(tmp_path: Path) -> None:
    main = write_beside(tmp_path)
    single = read_library_files(LIBRARY_PATH, max_bytes=10**9)
    assert single.digest() == hashlib.sha256(LIBRARY_PATH.read_bytes()).hexdigest()
    first = read_library_files(main, max_bytes=10**9).digest()
    assert read_library_files(main, max_bytes=10**9).digest() == first  # stable
    part = tmp_path / "narratives.d" / "020-arms.yaml"
    part.write_text(part.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    edited = read_library_files(main, max_bytes=10**9).digest()
    assert edited != first
    part.rename(tmp_path / "narratives.d" / "040-arms.yaml")  # another load order: another library
    assert read_library_files(main, max_bytes=10**9).digest() not in (first, edited)


def test_a_narrative_id_in_two_files_is_refused_at_both_places(tmp_path: Path) -> None:
    main = write_beside(tmp_path)
    texts = split_texts()
    first_id = texts["main"].split("\nnarratives:\n  - id: ", 1)[1].split("\n", 1)[0]
    (tmp_path / "narratives.d" / "050-copy.yaml").write_text(
        VERSION + "narratives:\n" + texts["main"].split("\nnarratives:\n", 1)[1], encoding="utf-8"
    )
    with pytest.raises(LibraryError) as err:
        load_library(main)
    first_line = texts["main"].splitlines().index(f"  - id: {first_id}") + 1
    expected = (
        f"{tmp_path}/narratives.d/050-copy.yaml:3:9: narratives[0].id: duplicate narrative id {first_id!r} "
        f"(first defined at {main}:{first_line}:9)"
    )
    assert expected in err.value.problems
    assert len(err.value.problems) == 4  # each of the four copied narratives, once


def test_every_broken_file_is_named_with_its_line(tmp_path: Path) -> None:
    main = write_beside(tmp_path)
    folder = tmp_path / "narratives.d"
    (folder / "040-tab.yaml").write_text(VERSION + "narratives:\n\t- id: x\n", encoding="utf-8")
    (folder / "041-noversion.yaml").write_text("topic_terms: [Kaesong]\n", encoding="utf-8")
    (folder / "042-empty.yaml").write_text("", encoding="utf-8")
    (folder / "043-latin1.yaml").write_bytes(VERSION.encode() + b"topic_terms: [Caf\xe9]\n")
    with pytest.raises(LibraryError) as err:
        load_library(main)
    problems = err.value.problems
    assert problems[0].startswith(f"{folder}/040-tab.yaml:3:1: ")
    assert f"{folder}/041-noversion.yaml:1:1: version: field required" in problems
    assert f"{folder}/042-empty.yaml:1:1: the file is empty" in problems
    assert f"{folder}/043-latin1.yaml: not UTF-8 text (byte 28)" in problems
    assert len(problems) == 4


def test_a_part_file_needs_no_narratives_but_the_library_does(tmp_path: Path) -> None:
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "a.yaml").write_text(VERSION + "topic_terms: [Kaesong]\n", encoding="utf-8")
    (folder / "b.yaml").write_text(VERSION + "concepts: {dprk: [DPRK]}\n", encoding="utf-8")
    with pytest.raises(LibraryError) as err:
        load_library(folder)
    assert err.value.problems == [f"{folder}/a.yaml:1:1: narratives: none in any of the library's files; one is needed"]


def test_files_that_are_not_yaml_or_hidden_are_not_part_of_the_library(tmp_path: Path, library: Library) -> None:
    main = write_beside(tmp_path)
    folder = tmp_path / "narratives.d"
    garbage = "version: [this is: not: a library\n"
    for name in ("README.md", "020-arms.yaml~", ".020-arms.yaml.swp", ".hidden.yaml", "#030-rest.yml#", "notes.txt"):
        (folder / name).write_text(garbage, encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "more.yaml").write_text(garbage, encoding="utf-8")  # not recursive
    (folder / "archive.yaml").mkdir()  # a folder, whatever its name
    files = read_library_files(main, max_bytes=10**9)
    assert [f.key for f in files.files] == [
        "narratives.yaml", "narratives.d/010-shared.yaml", "narratives.d/020-arms.yaml", "narratives.d/030-rest.yml",
    ]  # fmt: skip
    assert _as_single(load_library(main)) == library
    (folder / "040-broken.YAML").write_text(garbage, encoding="utf-8")  # a YAML file, whatever the case: refused
    with pytest.raises(LibraryError, match=r"narratives\.d/040-broken\.YAML:1:"):
        load_library(main)


def test_an_unreadable_part_file_is_refused_by_name(tmp_path: Path) -> None:
    main = write_beside(tmp_path)
    (tmp_path / "narratives.d" / "040-gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    with pytest.raises(LibraryError) as err:
        load_library(main)
    assert err.value.problems == [f"{tmp_path}/narratives.d/040-gone.yaml: cannot read: No such file or directory"]


def test_an_empty_folder_beside_the_file_changes_nothing(tmp_path: Path, library: Library) -> None:
    main = tmp_path / "narratives.yaml"
    main.write_bytes(LIBRARY_PATH.read_bytes())
    (tmp_path / "narratives.d").mkdir()
    (tmp_path / "narratives.d" / "README.md").write_text("part-files go here\n", encoding="utf-8")
    files = read_library_files(main, max_bytes=10**9)
    assert not files.split
    assert load_library(main) == dataclasses.replace(library, path=str(main))


def test_a_file_named_like_the_folder_is_not_read(tmp_path: Path, library: Library) -> None:
    main = tmp_path / "narratives.yaml"
    main.write_bytes(LIBRARY_PATH.read_bytes())
    (tmp_path / "narratives.d").write_text("version: [not: a library\n", encoding="utf-8")
    assert load_library(main) == dataclasses.replace(library, path=str(main))


def test_an_empty_folder_is_not_a_library(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match=r"no library files \(\*\.yaml, \*\.yml\) in this folder"):
        load_library(tmp_path)


def test_the_cap_holds_for_each_file_and_for_the_total(tmp_path: Path) -> None:
    main = write_beside(tmp_path)
    sizes = {f.name: len(f.raw) for f in read_library_files(main, max_bytes=10**9).files}
    largest, total = max(sizes.values()), sum(sizes.values())
    biggest = max(sizes, key=lambda name: sizes[name])
    with pytest.raises(LibraryError) as err:
        load_library(main, max_bytes=largest - 1)
    assert f"{biggest}: the file is larger than {largest - 1} bytes (NARRATIVE_BOT_MAX_LIBRARY_BYTES)" in (
        err.value.problems
    )
    with pytest.raises(LibraryError) as err:
        load_library(main, max_bytes=total - 1)
    (problem,) = err.value.problems
    assert problem.startswith(f"{tmp_path}/narratives.d/030-rest.yml: the library's files together are larger than")
    assert f"this one brings them to {total} bytes" in problem
    assert len(load_library(main, max_bytes=total).narratives) == 13
