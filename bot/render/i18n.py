"""The card's fixed words in the three reply languages, and the choice of language for a reply.

Not yet wired into the renderers (issue 12 §4 is unfinished): `reply_language` is the seam a channel setting will
override, and `WORDS` is what text, Block Kit and embed renderers will look their labels up in.
"""

from __future__ import annotations

import re
from typing import Literal

from matchers.normalize import guess_cyrillic_language

Lang = Literal["en", "uk", "ru"]
LANGUAGES: tuple[Lang, ...] = ("en", "uk", "ru")

_CYRILLIC = re.compile(r"[а-яёіїєґ]")
_LATIN = re.compile(r"[a-z]")

WORDS: dict[str, dict[Lang, str]] = {
    "known": {"en": "Known narrative", "uk": "Відомий наратив", "ru": "Известный нарратив"},
    "possible": {"en": "Possible narrative", "uk": "Можливий наратив", "ru": "Возможный нарратив"},
    "evidence": {"en": "Evidence", "uk": "Цитата", "ru": "Цитата"},
    "facts": {"en": "The facts", "uk": "Факти", "ru": "Факты"},
    "also": {"en": "Also", "uk": "Також", "ru": "Также"},
    "confidence": {"en": "Confidence", "uk": "Впевненість", "ru": "Уверенность"},
    "high": {"en": "high", "uk": "висока", "ru": "высокая"},
    "medium": {"en": "medium", "uk": "середня", "ru": "средняя"},
    "low": {"en": "low", "uk": "низька", "ru": "низкая"},
    "below_threshold": {
        "en": "below the alert threshold",
        "uk": "нижче порогу сповіщення",
        "ru": "ниже порога оповещения",
    },
}


def word(key: str, lang: Lang) -> str:
    """A fixed word in `lang`; English when a translation is missing, so a card is never left with a blank label."""
    entry = WORDS[key]
    return entry.get(lang) or entry["en"]


def reply_language(text: str, setting: Lang | None = None) -> Lang:
    """The language to answer `text` in: the channel's setting when there is one, else the text's own language.

    Cyrillic text is Russian or Ukrainian by its letters; text with more Latin than Cyrillic letters, and text with
    neither (a bare link, digits), is answered in English.
    """
    if setting is not None:
        return setting
    lowered = text.lower()
    cyrillic = len(_CYRILLIC.findall(lowered))
    if cyrillic == 0 or cyrillic < len(_LATIN.findall(lowered)):
        return "en"
    return "uk" if guess_cyrillic_language(lowered) == "uk" else "ru"
