"""The shipped library validates, meets the coverage rules, and broken files get line-numbered errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from matchers import Library, LibraryError, load_library, parse_library
from matchers.library import TEXT_LANGUAGES as LANGUAGES
from tests.conftest import LIBRARY_PATH

REQUIRED_IDS = [
    "historic-friendship", "kim-flattery", "west-in-panic", "dprk-arms-turn-the-war", "tech-transfer-threat",
    "dprk-manpower", "multipolar-world", "asian-nato", "sanctions-illegitimate", "sacred-defensive-war",
    "dprk-nukes-justified", "russia-not-isolated", "troops-denial",
]  # fmt: skip
BROKEN = Path(__file__).parent / "broken"


def test_every_required_narrative_is_present(library: Library) -> None:
    assert set(REQUIRED_IDS) <= set(library.ids)


@pytest.mark.parametrize("narrative_id", REQUIRED_IDS)
def test_narrative_meets_coverage_rules(library: Library, narrative_id: str) -> None:
    narrative = library.get(narrative_id)
    assert narrative is not None
    assert len(narrative.phrasings["ru"]) >= 8
    assert len(narrative.phrasings["en"]) >= 6
    assert len(narrative.phrasings["uk"]) >= 3
    for lang in LANGUAGES:
        debunk = narrative.debunk_in(lang)
        assert len(debunk) <= 600, lang
        assert 2 <= len(re.findall(r"[.!?](?:\s|$)", debunk)) <= 5, lang
    assert narrative.sources and all(s.url.startswith("https://") for s in narrative.sources)
    assert narrative.cues
    assert narrative.examples and narrative.non_examples


def test_no_phrasing_repeats_within_the_library(library: Library) -> None:
    seen: dict[str, str] = {}
    for narrative in library.narratives:
        for _, phrasing in narrative.all_phrasings():
            key = " ".join(phrasing.lower().split())
            assert key not in seen, f"{narrative.id} repeats a phrasing of {seen.get(key)}: {phrasing}"
            seen[key] = narrative.id


def test_json_schema_sits_beside_the_library_and_names_every_field() -> None:
    import json

    schema = json.loads((LIBRARY_PATH.parent / "narratives.schema.json").read_text(encoding="utf-8"))
    item = schema["$defs"]["NarrativeModel"]
    assert {"id", "title", "summary", "debunk", "sources", "phrasings", "cues"} <= set(item["properties"])
    assert set(item["required"]) >= {"id", "title", "summary", "debunk", "sources", "phrasings"}


# Each broken file and the error it must produce: file:line:column, the key path, the problem.
BROKEN_CASES = {
    "missing_debunk.yaml": r"missing_debunk\.yaml:3:5: narratives\[0\]\.debunk: field required",
    "duplicate_key.yaml": r"duplicate_key\.yaml:6:5: duplicate key 'title'",
    "alias.yaml": r"alias\.yaml:\d+:\d+: aliases \(\*name\) are not allowed",
    "bad_tab.yaml": r"bad_tab\.yaml:\d+:\d+: ",
    "yes_as_bool.yaml": r"yes_as_bool\.yaml:11:12: narratives\[0\]\.phrasings\.en\[0\]: Input should be a valid string",
    "bad_cue_weight.yaml": r"bad_cue_weight\.yaml:14:7: narratives\[0\]\.cues\.истерика: Input should be less than or equal to 3",
    "missing_language.yaml": r"missing_language\.yaml:8:5: narratives\[0\]\.phrasings: .*missing: uk",
    "unknown_field.yaml": r"unknown_field\.yaml:4:5: narratives\[0\]\.debunkk: unknown field",
    "python_tag.yaml": r"python_tag\.yaml:\d+:\d+: .*could not determine a constructor",
    "empty.yaml": r"empty\.yaml:1:1: the file is empty",
    "duplicate_id.yaml": r"duplicate_id\.yaml:9:9: narratives\[1\]\.id: duplicate narrative id 'a-b'",
    "missing_translation.yaml": (
        r"missing_translation\.yaml:6:5: narratives\[0\]\.debunk\.uk: the Ukrainian version \(uk\) is missing; "
        r"every narrative needs en, uk and ru \(narrative 'a-b'\)"
    ),
    "untranslated_title.yaml": (
        r"untranslated_title\.yaml:4:5: narratives\[0\]\.title: needs en, uk and ru versions, as a mapping: "
        r"title: \{en: …, uk: …, ru: …\} \(narrative 'a-b'\)"
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN_CASES))
def test_broken_library_gets_a_located_error(name: str) -> None:
    with pytest.raises(LibraryError) as caught:
        load_library(BROKEN / name)
    assert re.search(BROKEN_CASES[name], str(caught.value)), str(caught.value)


def test_every_broken_fixture_is_checked() -> None:
    assert {p.name for p in BROKEN.glob("*.yaml")} == set(BROKEN_CASES)


def test_oversized_library_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("version: 1\n# " + "x" * (2 * 1024 * 1024) + "\n", encoding="utf-8")
    with pytest.raises(LibraryError, match=r"larger than 1 MiB \(NARRATIVE_BOT_MAX_LIBRARY_BYTES\)"):
        load_library(big, max_bytes=1024 * 1024)
    with pytest.raises(LibraryError, match="larger than 1 MiB"):
        parse_library(big.read_text(encoding="utf-8"), "big.yaml", max_bytes=1024 * 1024)


def test_a_library_larger_than_the_old_4_mib_cap_loads(tmp_path: Path) -> None:
    """A newsroom network's library is tens of megabytes; the default cap (64 MiB) admits it."""
    large = tmp_path / "large.yaml"
    large.write_text(LIBRARY_PATH.read_text(encoding="utf-8") + "# " + "x" * (5 * 1024 * 1024) + "\n", encoding="utf-8")
    assert len(load_library(large).narratives) == len(load_library(LIBRARY_PATH).narratives)


def test_non_utf8_library_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "cp1251.yaml"
    bad.write_bytes("version: 1\ntitle: Запад\n".encode("cp1251"))
    with pytest.raises(LibraryError, match="not UTF-8"):
        load_library(bad)


def test_parse_reports_every_problem_at_once() -> None:
    text = (
        "version: 1\nnarratives:\n  - id: a-b\n    summary: {en: s, uk: s, ru: s}\n  - id: c-d\n"
        "    title: {en: x, uk: ukr, ru: rus}\n"
    )
    with pytest.raises(LibraryError) as caught:
        parse_library(text, "x.yaml")
    problems = "\n".join(caught.value.problems)
    assert "x.yaml:3:5: narratives[0].title: field required (narrative 'a-b')" in problems
    assert "x.yaml:6:13: narratives[1].title.en: String should have at least 3 characters (narrative 'c-d')" in problems
    assert len(caught.value.problems) >= 8


def test_json_schema_file_is_up_to_date() -> None:
    import json

    from matchers.library import json_schema

    on_disk = json.loads((LIBRARY_PATH.parent / "narratives.schema.json").read_text(encoding="utf-8"))
    assert on_disk == json_schema(), "regenerate with: narrative-bot library schema > narratives.schema.json"


TRANSLATED = """version: 1
narratives:
  - id: a-b
    title: {en: An ok title, uk: Нормальна назва, ru: Нормальное название}
    summary: {en: A summary., uk: Короткий опис., ru: Краткое описание.}
    debunk:
      en: Twenty characters or more of facts.
      uk: Двадцять чи більше символів фактів.
      ru: Двадцать или больше символов фактов.
    sources: [{title: UN, url: "https://undocs.org/S/RES/1718(2006)"}]
    phrasings: {ru: [a], en: [b], uk: [c]}
"""


@pytest.mark.parametrize("field", ["title", "summary", "debunk"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_of_every_translated_field_is_required(field: str, lang: str) -> None:
    """Drop one language of one field: the loader names the narrative, the field and the language."""
    data = yaml.safe_load(TRANSLATED)
    del data["narratives"][0][field][lang]
    with pytest.raises(LibraryError) as caught:
        parse_library(yaml.safe_dump(data, allow_unicode=True), "lib.yaml")
    (problem,) = caught.value.problems
    assert f"narratives[0].{field}.{lang}: the " in problem
    assert f"({lang}) is missing" in problem and problem.endswith("(narrative 'a-b')")


def test_an_unknown_language_is_refused_by_name() -> None:
    text = TRANSLATED.replace("ru: Нормальное название}", "ru: Нормальное название, de: Ein Titel}")
    with pytest.raises(LibraryError, match=r"narratives\[0\]\.title\.de: unknown language 'de'"):
        parse_library(text, "lib.yaml")


def test_translations_load_into_each_language() -> None:
    narrative = parse_library(TRANSLATED).get("a-b")
    assert narrative is not None
    assert (narrative.title_in("en"), narrative.title_in("uk"), narrative.title_in("ru")) == (
        "An ok title", "Нормальна назва", "Нормальное название",
    )  # fmt: skip
    assert narrative.debunk_in("uk") == "Двадцять чи більше символів фактів."
    assert narrative.summaries.all() == ("A summary.", "Короткий опис.", "Краткое описание.")
