"""Text normalisation: Unicode and case folding, tokens, stems (ru/uk/en) and sentence windows."""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from matchers.stem_uk import stem_uk

_RU = snowballstemmer.stemmer("russian")
_EN = snowballstemmer.stemmer("english")

# Apostrophes and look-alikes inside words (Ukrainian п'ять, English Russia's) are dropped, so spellings agree.
_APOSTROPHES = str.maketrans({c: "" for c in "'’ʼ`´‘ʹ′"})
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_CYRILLIC = re.compile(r"[а-яёіїєґ]")
_UKRAINIAN_LETTERS = re.compile(r"[іїєґ]")
_RUSSIAN_LETTERS = re.compile(r"[ыэъё]")

STOPWORDS: frozenset[str] = frozenset(
    """
    и в во не на с со как а то все всё она он оно они так его ее её но да к у же вы за бы по только мне было вот
    от меня о об из ему когда ли если уже или ни быть был была были будет него до вас там себя ей где есть для
    мы тебя их чем сам без чего раз тоже себе под кто этот того этого этом этой эти это эту тем чтобы чтоб при
    над тот через нас про них который которая которое которые которых которым также ещё еще лишь ведь при же ну
    этих і й та але що як це той ця ці цей цих на з зі із до від у в за по про для через над під при його її їх
    він вона воно вони ми ви я ти бо чи або вже ще також лише тому який яка яке які яких якого якому є був була
    було були буде бути не ні так то же the a an and or of to in on at by for from with as is are was were be
    been being it its this that these those which who whom whose than then there their they them he she his her
    we our you your i me my has have had do does did will would shall should can could may might must not no so
    if but into onto over under about after before also just only even very too s
    """.split()  # noqa: SIM905 - a word list reads better as text
)


# "US", "U.S." and "U.S.A." fold to "us" or "u s", which read as the pronoun; before case is lost they become USA.
_US = re.compile(r"\bU\.?S\.?(?:A\.?)?(?=[\s,;:!?)\]»”'\"-]|$)")


def fold(text: str) -> str:
    """NFKC, case folding, ё→е, apostrophes dropped: the form every comparison uses."""
    text = _US.sub("USA", unicodedata.normalize("NFKC", text))
    return text.casefold().replace("ё", "е").translate(_APOSTROPHES)


def guess_cyrillic_language(folded: str) -> str:
    """'uk' when the text has letters only Ukrainian uses (і ї є ґ) and none only Russian uses, else 'ru'."""
    uk = len(_UKRAINIAN_LETTERS.findall(folded))
    ru = len(_RUSSIAN_LETTERS.findall(folded))
    return "uk" if uk > ru else "ru"


@lru_cache(maxsize=30_000)
def stem(token: str, cyrillic_lang: str = "ru") -> str:
    """The stem of one folded token; the script picks the stemmer, `cyrillic_lang` picks ru or uk."""
    # Interned: a large library holds each stem in many phrasings, and one shared string per stem keeps the
    # index small and makes set lookups cheaper.
    if _CYRILLIC.search(token):
        if cyrillic_lang == "uk" or _UKRAINIAN_LETTERS.search(token):
            return sys.intern(stem_uk(token))
        return sys.intern(str(_RU.stemWord(token)))
    if token.isascii() and token.isalpha():
        return sys.intern(str(_EN.stemWord(token)))
    return sys.intern(token)


# No word of the three languages is this long ("высокопревосходительство" is 24 letters). Longer runs of letters
# (a pasted hash, base64, a hostile 40 kB "word") are cut here, the one place tokens are made, so every later
# stage, cache and prefix table works on bounded strings: input of N characters then costs memory linear in N.
MAX_TOKEN_CHARS = 40


def tokens(folded: str) -> list[str]:
    return [t if len(t) <= MAX_TOKEN_CHARS else t[:MAX_TOKEN_CHARS] for t in _TOKEN.findall(folded)]


def stems(text: str, cyrillic_lang: str | None = None) -> list[str]:
    """Stems of every token of a raw text (stopwords kept; callers drop them where they want)."""
    folded = fold(text)
    lang = cyrillic_lang or guess_cyrillic_language(folded)
    return [stem(tok, lang) for tok in tokens(folded)]


def stem_variants(text: str) -> list[list[str]]:
    """A term's stem sequence under each plausible stemmer (Cyrillic terms: both ru and uk), de-duplicated.

    Library terms are short and carry no language tag; matching them in both forms lets one entry serve
    Russian and Ukrainian texts alike.
    """
    folded = fold(text)
    toks = tokens(folded)
    out: list[list[str]] = []
    langs = ("ru", "uk") if _CYRILLIC.search(folded) else ("ru",)
    for lang in langs:
        seq = [stem(tok, lang) for tok in toks]
        if seq and seq not in out:
            out.append(seq)
    return out


# -- sentences ---------------------------------------------------------------------------------------------------

# A sentence ends at . ! ? … (and closing quotes/brackets after them) followed by space and a capital, digit,
# quote or dash; or at a line break. Abbreviations like "т. е." or "U.S." split a little too often; windows of two
# sentences make up for that.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"»”')\]]*\s+(?=[\"«“„'(\[—–-]?\s*[A-ZА-ЯЁІЇЄҐ0-9])|\n\s*\n|\n(?=\s*[-•*—–])")
_MAX_SENTENCE_TOKENS = 60


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with their character offsets; very long ones are cut into overlapping chunks."""
    out: list[Sentence] = []
    pos = 0
    pieces: list[tuple[int, int]] = []
    for match in _SENTENCE_END.finditer(text):
        pieces.append((pos, match.start()))
        pos = match.end()
    pieces.append((pos, len(text)))
    for start, end in pieces:
        chunk = text[start:end]
        stripped = chunk.strip()
        if not stripped or not _TOKEN.search(stripped):
            continue
        offset = start + chunk.find(stripped)
        words = list(re.finditer(r"\S+", stripped))
        if len(words) <= _MAX_SENTENCE_TOKENS:
            out.append(Sentence(stripped, offset, offset + len(stripped)))
            continue
        step = _MAX_SENTENCE_TOKENS * 2 // 3
        for i in range(0, len(words), step):
            group = words[i : i + _MAX_SENTENCE_TOKENS]
            s, e = group[0].start(), group[-1].end()
            out.append(Sentence(stripped[s:e], offset + s, offset + e))
            if i + _MAX_SENTENCE_TOKENS >= len(words):
                break
    return out
