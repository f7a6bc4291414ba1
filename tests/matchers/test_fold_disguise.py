"""Invisible characters, accents and look-alike letters inside words never hide a talking point
(issue 11, item 7)."""

from __future__ import annotations

import re

import pytest

from matchers import Matcher
from matchers.normalize import fold
from tests.conftest import LIBRARY_PATH

_LOOKALIKES = str.maketrans("аосерухАОСЕРХ", "aocepyxAOCEPX")  # Cyrillic letters -> the Latin ones they look like


def _disguises(text: str) -> dict[str, str]:
    words = re.compile(r"\w{5,}")
    return {
        "zero-width": words.sub(lambda m: m.group(0)[:2] + "\u200b" + m.group(0)[2:] + "\u2060", text),
        "soft hyphen": words.sub(lambda m: m.group(0)[:3] + "\u00ad" + m.group(0)[3:], text),
        "accents": re.sub(r"([аеиоуяюыАЕИОУ])", "\\1\u0301", text),
        "look-alikes": text.translate(_LOOKALIKES),
        "all": re.sub(r"([ео])", "\\1\u0300\u200d", text.translate(_LOOKALIKES)),
    }


def _cyrillic_examples() -> list[tuple[str, str]]:
    from matchers import load_library

    library = load_library(LIBRARY_PATH)
    out = []
    for n in library.narratives:
        for text in n.examples:
            if re.search("[а-яА-Я]", text):
                out.append((n.id, text))
                break
    return out[:6]


@pytest.mark.parametrize(("narrative_id", "text"), _cyrillic_examples(), ids=lambda v: str(v)[:20])
def test_disguised_talking_point_still_alerts(matcher: Matcher, narrative_id: str, text: str) -> None:
    clean = matcher.alerts(text)
    assert clean and clean[0].narrative_id == narrative_id
    for kind, disguised in _disguises(text).items():
        assert disguised != text
        found = matcher.alerts(disguised)
        assert found, f"{kind} hid {narrative_id}: {disguised!r}"
        assert found[0].narrative_id == narrative_id and found[0].score == clean[0].score, kind


@pytest.mark.parametrize(
    ("plain", "disguised"),
    [
        ("истерика", "исте\u200bрика"),
        ("истерика", "исте\u0301рика"),
        ("паника", "пaникa"),
        ("kremlin", "Krеmlin"),
        ("україна", "Укрaїна"),
        ("все сказано", "Bce сказано"),
        ("україна й росія", "Україна й Росія"),  # ї and й are letters, not accents: kept
        ("naive", "naïve"),
        ("kremlin said himars", "Krеmlin said HIMARS"),
        ("песков: himars и tacc", "Песков: HIMARS и TACC"),  # a Latin word in a Cyrillic text keeps its letters
    ],
)
def test_fold_reads_disguised_words_as_plain_ones(plain: str, disguised: str) -> None:
    assert fold(disguised) == plain


@pytest.mark.parametrize("mark", ["\u200b", "\u2060", "\ufeff", "\u00ad"])
def test_invisible_character_at_a_sentence_boundary_changes_nothing(matcher: Matcher, mark: str) -> None:
    text = "Погода хорошая. Запад в истерике: стоило Киму приехать на Восточный, как в Вашингтоне началась паника."
    disguised = text.replace(". З", f". {mark}З")
    assert [(m.narrative_id, m.score) for m in matcher.score_all(disguised)] == [
        (m.narrative_id, m.score) for m in matcher.score_all(text)
    ]
