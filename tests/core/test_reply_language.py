"""The reply-language seam and the card's word table (issue 12 §4, not yet wired into the renderers)."""

from __future__ import annotations

import pytest

from bot.render.i18n import LANGUAGES, WORDS, reply_language, word


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Западные СМИ бьются в истерике: саммит привёл Вашингтон в панику.", "ru"),
        ("Західні ЗМІ в істериці: саміт у Східному налякав Вашингтон.", "uk"),
        ("The West is in panic over the summit.", "en"),
        ("https://example.org/2024/10/article", "en"),
        ("", "en"),
    ],
)
def test_reply_follows_the_text_language(text: str, expected: str) -> None:
    assert reply_language(text) == expected


def test_a_channel_setting_wins_over_the_text() -> None:
    assert reply_language("The West is in panic.", setting="uk") == "uk"


def test_every_fixed_word_has_every_language() -> None:
    for key, entry in WORDS.items():
        assert set(entry) == set(LANGUAGES), key
        assert all(entry[lang].strip() for lang in LANGUAGES), key
    assert word("facts", "ru") == "Факты"
