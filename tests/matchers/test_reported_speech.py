"""Attribution frames: validated in the library, merged across its files, and applied to positives only."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchers import LibraryError, load_library, parse_library
from matchers.classifier import is_negative, training_set
from matchers.normalize import text_language
from matchers.reported_speech import as_clause, attributed, frame_for, lowercase_words
from tests.matchers.semantic_fixtures import SMALL_LIBRARY

FRAMES = """attributions:
  ru: ["По словам Пескова, {claim}", "«{quote}», — заявил депутат."]
  en: ["Zakharova said that {claim}"]
narratives:"""


def framed_library(frames: str = FRAMES) -> str:
    return SMALL_LIBRARY.replace("narratives:", frames, 1)


def test_every_positive_is_also_trained_on_in_reported_speech_and_negatives_are_not() -> None:
    plain = training_set(parse_library(SMALL_LIBRARY, "small.yaml"))
    framed = training_set(parse_library(framed_library(), "small.yaml"))
    added = [(t, label) for t, label in zip(framed.texts, framed.labels, strict=True) if t not in plain.texts]
    ru_en_positives = [
        t for t, label in zip(plain.texts, plain.labels, strict=True)
        if not is_negative(label) and text_language(t) in ("ru", "en")
    ]
    assert len(added) == len(ru_en_positives) and not any(is_negative(label) for _, label in added)
    assert all(t.startswith(("По словам Пескова, ", "«", "Zakharova said that ")) for t, _ in added)
    # Ukrainian lines have no frames in this library: they get no variant
    assert not any(text_language(t) == "uk" for t, _ in added)
    assert training_set(parse_library(framed_library(), "small.yaml")) == framed  # deterministic
    assert framed.key("m") != plain.key("m")


def test_a_frame_keeps_its_line_and_picks_the_same_frame_every_time() -> None:
    frames = ["По словам Пескова, {claim}", "«{quote}», — заявил депутат.", "Как пишет ЦТАК, {claim}"]
    lowercase = lowercase_words(["санкции ООН давно мертвы", "никто их не соблюдает"])
    line = "Санкции ООН против КНДР мертвы."
    once = attributed(line, frames, lowercase)
    assert once == attributed(line, frames, lowercase)
    assert once in {
        "По словам Пескова, санкции ООН против КНДР мертвы.", "«Санкции ООН против КНДР мертвы», — заявил депутат.",
        "Как пишет ЦТАК, санкции ООН против КНДР мертвы.",
    }
    # a word the library always capitalises, and an acronym, keep their capitals inside a clause
    assert as_clause("Запад в панике.", lowercase) == "Запад в панике."
    assert as_clause("КНДР права.", lowercase_words(["кндр"])) == "КНДР права."
    assert attributed(line, [], lowercase) == line


def test_language_of_tells_the_three_languages_apart() -> None:
    assert text_language("The West is in panic.") == "en"
    assert text_language("Захід у паніці, і це її визнання.") == "uk"
    assert text_language("Запад в панике, это признание.") == "ru"


@pytest.mark.parametrize(("frame", "problem"), [
    ("По словам Пескова, ", "needs exactly one of {claim} or {quote}, has 0"),
    ("{claim} и {quote}", "needs exactly one of {claim} or {quote}, has 2"),
    ("Он сказал {that}: {claim}", "holds a brace outside its slot"),
    ("  {quote} ", "is only a slot"),
])
def test_a_broken_frame_is_refused_with_its_line(frame: str, problem: str) -> None:
    text = framed_library(f'attributions:\n  ru: ["{frame}"]\nnarratives:')
    with pytest.raises(LibraryError) as caught:
        parse_library(text, "lib.yaml")
    message = str(caught.value)
    assert "lib.yaml:" in message and "attributions" in message and problem in message


def test_a_split_library_merges_the_frames_of_its_files(tmp_path: Path) -> None:
    (tmp_path / "narratives.yaml").write_text(framed_library(), encoding="utf-8")
    (tmp_path / "narratives.d").mkdir()
    (tmp_path / "narratives.d" / "frames.yaml").write_text(
        'version: 1\nattributions:\n  ru: ["Как пишет ЦТАК, {claim}", "По словам Пескова, {claim}"]\n',
        encoding="utf-8",
    )
    library = load_library(tmp_path / "narratives.yaml")
    assert library.attributions["ru"] == (
        "По словам Пескова, {claim}", "«{quote}», — заявил депутат.", "Как пишет ЦТАК, {claim}",
    )
    assert library.attributions["en"] == ("Zakharova said that {claim}",)


def test_a_new_frame_takes_lines_only_for_itself() -> None:
    """Rendezvous choice: adding a frame re-frames only the lines that now pick it, so a library edit re-embeds
    few lines; and the frames' order does not matter."""
    frames = [f"Источник {i} сообщил, что {{claim}}" for i in range(16)]
    lines = [f"Санкции против КНДР мертвы, и это видно по пункту {i}." for i in range(400)]
    before = {line: frame_for(line, frames) for line in lines}
    added = "Как пишет ЦТАК, {claim}"
    after = {line: frame_for(line, [*frames, added]) for line in lines}
    moved = [line for line in lines if after[line] != before[line]]
    assert moved and all(after[line] == added for line in moved)
    assert len(moved) < len(lines) / 8  # about one in seventeen
    assert {line: frame_for(line, frames[::-1]) for line in lines} == before
    assert len(set(before.values())) == len(frames)  # every frame gets lines
