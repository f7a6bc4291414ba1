"""Text normalisation: Unicode and case folding, tokens, stems (ru/uk/en) and sentence windows."""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import snowballstemmer

from matchers.stem_uk import stem_uk

_RU = snowballstemmer.stemmer("russian")
_EN = snowballstemmer.stemmer("english")

# Apostrophes and look-alikes inside words (Ukrainian п'ять, English Russia's) are dropped, so spellings agree.
_APOSTROPHES = str.maketrans({c: "" for c in "'’ʼ`´‘ʹ′"})
_HAS_APOSTROPHE = re.compile("['’ʼ`´‘ʹ′]")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_CYRILLIC = re.compile(r"[а-яёіїєґ]")
_LATIN_LETTER = re.compile(r"[a-z]")
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


# Characters that draw nothing: zero-width spaces and joiners, the soft hyphen, bidi controls, BOM. Put inside a
# word ("исте\u200bрика") they split it for a tokenizer and not for a reader, so they are dropped first.
_INVISIBLE = dict.fromkeys(
    [
        *(0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFEFF, 0xFFA0),
        *range(0x200B, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2060, 0x2070),
        *range(0xFE00, 0xFE10),
    ]
)
# str.translate with a dict walks every character in Python-level lookups; most texts have none of these, and
# a regex answers that in C.
_HAS_INVISIBLE = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]")
# Combining marks left over after NFD. The breve of й and ў and the diaeresis of ї are letters, not accents,
# and are put back by NFC; every other mark (stress accents, a stack of diacritics) hides nothing from a reader.
_MARKS = re.compile(
    "(?<![иИуУ])\u0306|(?<![іІ])\u0308|[\u0300-\u0305\u0307\u0309-\u036f\u0483-\u0489"
    "\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)
_HAS_MARK = re.compile("[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Latin letters that look like Cyrillic ones, lower case (the text is case-folded by then), and back: "пaникa"
# with Latin a, or "Kremlin" with a Cyrillic е, reads the same and must match the same.
_LATIN_LOOKALIKES = "abcehikmoptxy"
_CYRILLIC_LOOKALIKES = "авсенікмортху"
_LATIN_TO_CYRILLIC = str.maketrans(_LATIN_LOOKALIKES, _CYRILLIC_LOOKALIKES)
_CYRILLIC_TO_LATIN = str.maketrans(_CYRILLIC_LOOKALIKES, _LATIN_LOOKALIKES)
_LATIN_LETTER = re.compile(r"[a-z]")
_LATIN_ONLY = re.compile(f"[^\\W\\d_{_LATIN_LOOKALIKES}]", re.ASCII)  # a Latin letter no Cyrillic one resembles
_CYRILLIC_LETTER = re.compile(r"[\u0400-\u04ff]")
_CYRILLIC_ONLY = re.compile(  # a Cyrillic letter no Latin one resembles (б, ж, ы…)
    "[" + "".join(chr(c) for c in range(0x400, 0x500) if chr(c) not in _CYRILLIC_LOOKALIKES) + "]"
)
_ALL_LOOKALIKE = re.compile(f"[{_LATIN_LOOKALIKES}]+")
_WORD = re.compile(r"[^\W\d_]+")


def _unmix(word: str, cyrillic_text: bool) -> str:
    if not _LATIN_LETTER.search(word):
        return word
    if not _CYRILLIC_LETTER.search(word):
        # A Latin word spelled only with look-alikes ("c", "bce") in a Cyrillic text is a Cyrillic word.
        return word.translate(_LATIN_TO_CYRILLIC) if cyrillic_text and _ALL_LOOKALIKE.fullmatch(word) else word
    # Both scripts in one word: a Latin letter that looks like no Cyrillic one (r, l, n…) makes it a Latin word
    # with Cyrillic look-alikes; otherwise it is a Cyrillic word with Latin ones.
    return word.translate(_CYRILLIC_TO_LATIN if _LATIN_ONLY.search(word) else _LATIN_TO_CYRILLIC)


# Whole words (maximal runs of letters, as _WORD finds them) that hold a Latin or a Cyrillic letter. The
# lookbehind starts a match only where a word starts and the possessive runs never backtrack, so a long word
# costs one pass.
_WORD_WITH_LATIN = re.compile(r"(?<![^\W\d_])[^\W\d_a-z]*+[a-z][^\W\d_]*+")
_WORD_WITH_CYRILLIC = re.compile(r"(?<![^\W\d_])[^\W\d_\u0400-\u04ff]*+[\u0400-\u04ff][^\W\d_]*+")


def _unmix_all(text: str) -> str:
    # Which script the text is in, judged by the letters that have no look-alike, which a disguise cannot change.
    # (Counted as what removing them takes away: no list of one-letter strings.)
    cyrillic = len(text) - len(_CYRILLIC_ONLY.sub("", text))
    latin = len(text) - len(_LATIN_ONLY.sub("", text))
    cyrillic_text = cyrillic > latin
    # _unmix() changes only a word with a Latin letter, and in a Latin text only one with a Cyrillic letter too:
    # the other words are left out of the Python callback.
    words = _WORD_WITH_LATIN if cyrillic_text else _WORD_WITH_CYRILLIC
    return words.sub(lambda m: _unmix(m.group(0), cyrillic_text), text)


def fold(text: str) -> str:
    """The form every comparison uses: invisible characters and accents dropped, NFKC, case folding, ё→е,
    apostrophes dropped, and look-alike letters inside a word of the other script read as that script."""
    if _HAS_INVISIBLE.search(text):
        text = text.translate(_INVISIBLE)
    text = unicodedata.normalize("NFKC", text)
    # Marks and decomposable letters are all outside ASCII; one scan looks for either.
    if not text.isascii() and _MARK_OR_DECOMPOSABLE.search(text):
        text = _strip_marks(text)
    if "U" in text:  # every spelling _US finds starts with a capital U
        text = _US.sub("USA", text)
    text = text.casefold().replace("ё", "е")
    if _HAS_APOSTROPHE.search(text):
        text = text.translate(_APOSTROPHES)
    if not text.isascii() and _LATIN_LETTER.search(text) and _CYRILLIC_LETTER.search(text):
        text = _unmix_all(text)
    return text


# Precomposed letters with accents that NFD splits (ѐ, ѝ, á): not й, ї or ё, which fold keeps (ё becomes е).
_DECOMPOSABLE = re.compile("[\u00c0-\u024f\u0400-\u040f\u0450-\u045f\u04c1-\u04ff\u1e00-\u1fff]")


_MARK_OR_DECOMPOSABLE = re.compile(f"{_HAS_MARK.pattern}|{_DECOMPOSABLE.pattern}")


def _has_decomposable(text: str) -> bool:
    return _DECOMPOSABLE.search(text) is not None


def _strip_marks_whole(text: str) -> str:
    return unicodedata.normalize("NFC", _MARKS.sub("", unicodedata.normalize("NFD", text)))


# Latin, Cyrillic (its combining signs left out) and general punctuation. Text of these characters alone holds
# no combining mark and no pair of characters that NFC joins, so decomposing, dropping marks and recomposing
# changes it one character at a time (checked over every character and every pair of them), and a Russian
# sentence with one ё need not be normalized twice whole.
_PLAIN_RANGES = "\x00-\u024f\u0400-\u0482\u048a-\u04ff\u2000-\u206f"
_NOT_PLAIN = re.compile(f"[^{_PLAIN_RANGES}]")
_STRIPPED_CHAR = {
    ch: stripped
    for lo, hi in ((0x00, 0x24F), (0x400, 0x482), (0x48A, 0x4FF), (0x2000, 0x206F))
    for ch in map(chr, range(lo, hi + 1))
    if (stripped := _strip_marks_whole(ch)) != ch
}
_CHANGED_BY_STRIPPING = re.compile("[" + "".join(map(re.escape, _STRIPPED_CHAR)) + "]")


def _strip_marks(text: str) -> str:
    """Accents dropped: NFD, the marks _MARKS names removed, NFC."""
    if _NOT_PLAIN.search(text) is None:
        return _CHANGED_BY_STRIPPING.sub(lambda m: _STRIPPED_CHAR[m.group(0)], text)
    return _strip_marks_whole(text)


def guess_cyrillic_language(folded: str) -> str:
    """'uk' when the text has letters only Ukrainian uses (і ї є ґ) and none only Russian uses, else 'ru'."""
    uk = len(_UKRAINIAN_LETTERS.findall(folded))
    ru = len(_RUSSIAN_LETTERS.findall(folded))
    return "uk" if uk > ru else "ru"


def text_language(text: str) -> Literal["en", "uk", "ru"] | None:
    """The language a text is written in, by its letters; None when it has none (a bare link, digits).

    Cyrillic text is Russian or Ukrainian by its letters and words; text with more Latin than Cyrillic letters is
    English.
    """
    lowered = text.lower()
    cyrillic = len(_CYRILLIC.findall(lowered))
    latin = len(_LATIN_LETTER.findall(lowered))
    if cyrillic == 0 and latin == 0:
        return None
    if cyrillic < latin:
        return "en"
    return "uk" if guess_cyrillic_language(lowered) == "uk" else "ru"


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


class _StemCache(dict[str, str]):
    """stem() of each token met, for one value of `cyrillic_lang`: a text asks it for every token, and a dict
    lookup in C beats the call. Dropped whole when full; threads racing on it write the same values."""

    MAX_ENTRIES = 30_000

    def __init__(self, cyrillic_lang: str) -> None:
        super().__init__()
        self.cyrillic_lang = cyrillic_lang

    def __missing__(self, token: str) -> str:
        if len(self) > self.MAX_ENTRIES:
            self.clear()
        found = self[token] = stem(token, self.cyrillic_lang)
        return found


_STEM_CACHES = {lang: _StemCache(lang) for lang in ("ru", "uk")}


def stemmer(cyrillic_lang: str) -> Callable[[str], str]:
    """stem(token, cyrillic_lang) as a one-argument function, the fastest way to stem many tokens."""
    cache = _STEM_CACHES.get(cyrillic_lang)
    if cache is None:
        return lambda token: stem(token, cyrillic_lang)
    return cache.__getitem__


# No word of the three languages is this long ("высокопревосходительство" is 24 letters). Longer runs of letters
# (a pasted hash, base64, a hostile 40 kB "word") are cut here, the one place tokens are made, so every later
# stage, cache and prefix table works on bounded strings: input of N characters then costs memory linear in N.
MAX_TOKEN_CHARS = 40


def tokens(folded: str) -> list[str]:
    found: list[str] = _TOKEN.findall(folded)
    if max(map(len, found), default=0) <= MAX_TOKEN_CHARS:
        return found  # the usual case, settled in C
    return [t if len(t) <= MAX_TOKEN_CHARS else t[:MAX_TOKEN_CHARS] for t in found]


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
# Invisible characters (see _INVISIBLE) count as nothing here too, or one after a full stop would hide a boundary.
_Z = "\u00ad\u200b-\u200f\u2060-\u2064\ufeff"
_SENTENCE_END = re.compile(
    rf"(?<=[.!?…])[{_Z}\"»”')\]]*(?:[{_Z}]*\s)+[{_Z}]*(?=[\"«“„'(\[—–-]?[\s{_Z}]*[A-ZА-ЯЁІЇЄҐ0-9])"
    rf"|\n[\s{_Z}]*\n|\n(?=[\s{_Z}]*[-•*—–])"
)
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
        # str.split() and \S+ split at the same (Unicode) whitespace; only a long sentence needs the spans.
        if len(stripped.split()) <= _MAX_SENTENCE_TOKENS:
            out.append(Sentence(stripped, offset, offset + len(stripped)))
            continue
        words = list(re.finditer(r"\S+", stripped))
        step = _MAX_SENTENCE_TOKENS * 2 // 3
        for i in range(0, len(words), step):
            group = words[i : i + _MAX_SENTENCE_TOKENS]
            s, e = group[0].start(), group[-1].end()
            out.append(Sentence(stripped[s:e], offset + s, offset + e))
            if i + _MAX_SENTENCE_TOKENS >= len(words):
                break
    return out
