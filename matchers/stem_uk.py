"""A light Ukrainian suffix-stripping stemmer (Snowball has none); good enough to join inflected forms."""

from __future__ import annotations

_REFLEXIVE = ("ся", "сь")
# Longest first, so "ами" is tried before "и". Drawn from Ukrainian noun, adjective, participle and verb endings.
_ENDINGS = tuple(
    sorted(
        {
            # adjectives and participles
            "ього", "ому", "ого", "ими", "іми", "ій", "ий", "ої", "ою", "ім", "их", "іх", "ая", "яя", "ее", "ує",
            "ові", "еві", "єві", "ами", "ями", "ах", "ях", "ом", "ем", "єм", "ів", "їв", "ей", "ею", "єю",
            "ьох",
            # verbs
            "ати", "яти", "ити", "іти", "ути", "ють", "ять", "ать", "уть", "ить", "ете", "ите", "уєте", "ують",
            "ував", "увала", "увало", "ували", "ювати", "увати", "ала", "ало", "али", "ила", "ило", "или",
            "ла", "ло", "ли", "ть", "ти", "ме", "мо", "те", "ну", "не", "ний", "ного", "ному", "ною", "них",
            "на", "ні", "но", "ено", "ана", "ане", "ані", "ано", "ена",
            # nouns and single-letter endings
            "а", "я", "у", "ю", "о", "е", "є", "и", "і", "ї", "й", "ь",
        },
        key=len,
        reverse=True,
    )
)
_VOWELS = set("аеєиіїоуюя")


def stem_uk(word: str) -> str:
    """Strip one reflexive suffix and the longest inflectional ending, keeping a stem of at least 3 letters
    that still holds a vowel (so short words stay whole)."""
    if len(word) <= 3:
        return word
    for suffix in _REFLEXIVE:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    for ending in _ENDINGS:
        if word.endswith(ending):
            stem = word[: -len(ending)]
            if len(stem) >= 3 and any(ch in _VOWELS for ch in stem):
                word = stem
                break
    if word.endswith("ь") and len(word) > 3:
        word = word[:-1]
    return word
