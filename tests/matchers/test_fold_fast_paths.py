"""fold()'s fast paths give what the whole-text forms they stand for give."""

from __future__ import annotations

import random

from matchers import normalize
from matchers.normalize import _CYRILLIC_ONLY, _LATIN_ONLY, _WORD, _strip_marks, _strip_marks_whole, _unmix

_PLAIN = [
    chr(c) for lo, hi in ((0x00, 0x24F), (0x400, 0x482), (0x48A, 0x4FF), (0x2000, 0x206F)) for c in range(lo, hi + 1)
]


def test_stripping_marks_one_character_at_a_time_is_stripping_them_whole() -> None:
    for ch in _PLAIN:
        assert _strip_marks(ch) == _strip_marks_whole(ch), repr(ch)
    # Every pair of Cyrillic and Latin-1 characters: no two of them are joined by NFC.
    letters = [ch for ch in _PLAIN if "\u00c0" <= ch <= "\u00ff" or "\u0400" <= ch <= "\u04ff"]
    for a in letters:
        for b in letters:
            assert _strip_marks(a + b) == _strip_marks_whole(a + b), repr(a + b)


def test_stripping_marks_with_other_scripts_and_loose_marks_takes_the_whole_path() -> None:
    rng = random.Random(5)
    others = ["\u0301", "\u0308", "\u0306", "\u05b0", "\u1100", "\u1161", "\u0b47", "\u0b3e", "\u0483"]
    for _ in range(20_000):
        text = "".join(rng.choice(_PLAIN) if rng.random() < 0.85 else rng.choice(others) for _ in range(6))
        assert _strip_marks(text) == _strip_marks_whole(text), repr(text)
    # A Hebrew point after й moves before its breve under NFD, and the breve then drops: one character at a
    # time would keep й, so such text must take the whole path.
    text = "ёй\u05b0"
    assert "".join(map(_strip_marks_whole, text)) != _strip_marks_whole(text)
    assert _strip_marks(text) == _strip_marks_whole(text)


def _unmix_every_word(text: str) -> str:
    cyrillic_text = len(_CYRILLIC_ONLY.findall(text)) > len(_LATIN_ONLY.findall(text))
    return _WORD.sub(lambda m: _unmix(m.group(0), cyrillic_text), text)


def test_unmixing_only_words_with_the_other_script_is_unmixing_every_word() -> None:
    rng = random.Random(9)
    alphabet = [*"abcehikmoptxyrlnz", *"авсенікмортхубжыщ", *"0123456789_ -.,'é", "\u0301"]
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24)))
        assert normalize._unmix_all(text) == _unmix_every_word(text), repr(text)


def test_unmixing_a_long_word_costs_one_pass() -> None:
    # The word patterns start only where a word starts and never backtrack: 40,000 letters with no Latin one
    # would take minutes if every position were a fresh start. No timing is asserted; a regression hangs here.
    for text in ("ж" * 40_000 + " a", "a" * 40_000 + " ж", "жa" * 20_000):
        assert normalize._unmix_all(text) == _unmix_every_word(text)
