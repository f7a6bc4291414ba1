"""The three versions of each narrative state the same facts: the same figures, dates and document numbers, each
written in its own language."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from matchers import Library
from matchers.library import TEXT_LANGUAGES, parse_library
from matchers.normalize import guess_cyrillic_language
from tests.conftest import LIBRARY_PATH

REQUIRED = LIBRARY_PATH.read_text(encoding="utf-8")
# A number as people write it: 200,000 (en), 200 000 (uk, ru) and 141 are read alike; the digits of ES-11/1,
# KN-23/24 or 1718 (2006) count as numbers too, so a changed resolution or date is a changed figure.
NUMBER = re.compile(r"\d{1,3}(?:[ ,\u00a0\u202f]\d{3})+(?!\d)|\d+")


def figures(text: str) -> Counter[str]:
    return Counter(re.sub(r"[ ,\u00a0\u202f]", "", m) for m in NUMBER.findall(text))


def _ids() -> list[str]:
    return [n.id for n in parse_library(REQUIRED).narratives]


@pytest.mark.parametrize("narrative_id", _ids())
@pytest.mark.parametrize("field", ["titles", "summaries", "debunks"])
def test_every_version_cites_the_same_figures(library: Library, narrative_id: str, field: str) -> None:
    narrative = library.get(narrative_id)
    assert narrative is not None
    texts = getattr(narrative, field)
    english = figures(texts.in_("en"))
    for lang in ("uk", "ru"):
        assert figures(texts.in_(lang)) == english, f"{narrative_id} {field} ({lang}) cites other figures"


def test_the_figure_check_catches_a_drifted_translation() -> None:
    """The check above can fail: a Ukrainian debunk with one vote count changed is caught."""
    english = "On 28 March 2024 a draft won 13 votes to 1, with 1 abstention."
    drifted = "28 березня 2024 року проєкт отримав 12 голосів «за» при 1 «проти» та 1 утриманні."
    faithful = "28 березня 2024 року проєкт отримав 13 голосів «за» при 1 «проти» та 1 утриманні."
    assert figures(drifted) != figures(english)
    assert figures(faithful) == figures(english)
    assert figures("200,000 volunteers") == figures("200 000 добровольців") == Counter({"200000": 1})


@pytest.mark.parametrize("narrative_id", _ids())
def test_each_version_is_written_in_its_language(library: Library, narrative_id: str) -> None:
    narrative = library.get(narrative_id)
    assert narrative is not None
    for field in ("summaries", "debunks"):
        texts = getattr(narrative, field)
        assert not re.search(r"[а-яіїєґ]", texts.in_("en").lower()), f"{field} en has Cyrillic"
        for lang in ("uk", "ru"):
            text = texts.in_(lang)
            cyrillic = len(re.findall(r"[а-яёіїєґ]", text.lower()))
            assert cyrillic > 0.6 * len(re.findall(r"\w", text)), f"{field} {lang} is not a translation"
            assert guess_cyrillic_language(text.lower()) == lang, f"{field} {lang} reads as another language"
    # Each language has its own title, and no two languages share one.
    assert len({narrative.title_in(lang) for lang in TEXT_LANGUAGES}) == 3
