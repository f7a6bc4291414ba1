"""Near forms: partial credit for a phrasing stem that a window has only in a slightly different form."""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process

from matchers.index import CONCEPT_PREFIX, MIN_PREFIX
from matchers.normalize import MAX_TOKEN_CHARS

CREDIT = 0.8  # a near form counts for this share of the stem's weight
FUZZY_CUTOFF = 84  # rapidfuzz ratio at which two spellings count as one word


def eligible(stem_: str) -> bool:
    """Whether a phrasing stem can get near-form credit at all: concepts match whole, short stems exactly."""
    return len(stem_) >= MIN_PREFIX and not stem_.startswith(CONCEPT_PREFIX)


class NearVerdicts:
    """Which tokens are spelled close to which phrasing stems (rapidfuzz ratio at or above FUZZY_CUTOFF),
    remembered across windows and texts.

    Whether a stem and a token are close is a fact about the two strings alone, and the words of an article
    recur in its other sentences, its sentence pairs and the next articles, so most questions are answered
    here with a set operation instead of a rapidfuzz call. Bounded by the pairs it holds, and dropped whole
    when full: the hot words of the next text refill it at once. Threads may race on the count or on a set;
    every entry is true whoever wrote it, so a race costs only repeated work."""

    MAX_PAIRS = 200_000

    def __init__(self) -> None:
        self._close: dict[str, set[str]] = {}
        self._far: dict[str, set[str]] = {}
        self._pairs = 0

    def any_close(self, stem_: str, tokens: set[str]) -> bool:
        """Whether any of `tokens` is spelled close to `stem_`."""
        close = self._close.get(stem_)
        if close is not None and not close.isdisjoint(tokens):
            return True
        far = self._far.get(stem_)
        if far is None:
            unknown = tokens
        elif far.issuperset(tokens):
            return False
        else:
            unknown = tokens - far
        found = process.extractOne(stem_, list(unknown), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if self._pairs > self.MAX_PAIRS:
            self._close, self._far, self._pairs = {}, {}, 0
        if found is None:
            # Every unknown token was compared and none is close.
            self._far.setdefault(stem_, set()).update(unknown)
            self._pairs += len(unknown)
            return False
        # Only the best match is known to be close; the other unknown tokens stay unknown.
        self._close.setdefault(stem_, set()).add(found[0])
        self._pairs += 1
        return True


class NearForms:
    """Partial credit for a phrasing stem the window has in a slightly different form: a longer or shorter
    form sharing 5+ letters (истерик ~ истер), or a spelling rapidfuzz finds close. Cached per window, and
    prepared only when the window is first asked: most sentences of an article never are."""

    def __init__(self, content: Iterable[str], verdicts: NearVerdicts) -> None:
        self._content = content
        self._verdicts = verdicts
        self._ready = False
        self.tokens: set[str] = set()
        # Tokens of MIN_PREFIX letters or more by their first MIN_PREFIX letters: a longer or shorter form of a
        # stem starts with the same ones, so a stem looks at a handful of tokens, most often none.
        self.by_head: dict[str, list[str]] = {}
        self.cache: dict[str, float] = {}

    def credit(self, s: str) -> float:
        cached = self.cache.get(s)
        if cached is not None:
            return cached
        value = 0.0
        if len(s) >= MIN_PREFIX and not s.startswith(CONCEPT_PREFIX):  # eligible() inline
            if not self._ready:
                self.tokens = {t for t in self._content if not t.startswith(CONCEPT_PREFIX)}
                for t in self.tokens:
                    if len(t) >= MIN_PREFIX:
                        self.by_head.setdefault(t[:MIN_PREFIX], []).append(t)
                self._ready = True
            tokens = self.tokens
            # A longer or shorter form sharing MIN_PREFIX letters, else a close spelling.
            if tokens and (
                any(_longer_or_shorter(s, t) for t in self.by_head.get(s[:MIN_PREFIX], ()))
                or self._verdicts.any_close(s, tokens)
            ):
                value = CREDIT
        self.cache[s] = value
        return value


def _longer_or_shorter(s: str, t: str) -> bool:
    """Whether one of the two is a prefix of the other, as prefixes() gives them (see there): at least MIN_PREFIX
    letters (both have them here), shorter than the longer word and than MAX_TOKEN_CHARS."""
    if len(t) > len(s):
        return len(s) < MAX_TOKEN_CHARS and t.startswith(s)
    if len(t) < len(s):
        return len(t) < MAX_TOKEN_CHARS and s.startswith(t)
    return False


class PairNearForms(NearForms):
    """Near forms of two sentences read as one window. Every test in NearForms asks whether *some* token of the
    window qualifies, so the pair's answer is the better of its two sentences' answers, each cached there."""

    def __init__(self, first: NearForms, second: NearForms) -> None:
        super().__init__((), first._verdicts)
        self.parts = (first, second)

    def credit(self, s: str) -> float:
        first, second = self.parts
        return max(first.credit(s), second.credit(s))
