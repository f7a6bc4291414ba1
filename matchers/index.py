"""The library compiled for matching: concept rewriting, stem weights, an inverted index and cue lookup."""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import not_

from matchers.candidates import PhrasingMatrix
from matchers.library import Library
from matchers.normalize import (
    MAX_TOKEN_CHARS,
    STOPWORDS,
    fold,
    guess_cyrillic_language,
    stem,
    stem_variants,
    stemmer,
    tokens,
)

CONCEPT_PREFIX = "§"
TOPIC_CONCEPTS = frozenset({"§dprk", "§kim", "§korea", "§topic"})
MIN_PREFIX = 5  # stems this long may match a longer or shorter form by prefix (истерик ~ истер-ия)


def cue_key(stem_: str) -> str:
    """The lookup key of a stem in the cue index: its first MIN_PREFIX letters (concepts whole)."""
    return stem_ if stem_.startswith(CONCEPT_PREFIX) else stem_[:MIN_PREFIX]


class _CueKeys(dict[str, str]):
    """cue_key() of every stem met, remembered: windows ask it for each of their stems, and a dict lookup in C
    beats a Python call. Dropped whole when full; threads racing on it write the same values."""

    MAX_ENTRIES = 200_000

    def __missing__(self, stem_: str) -> str:
        if len(self) > self.MAX_ENTRIES:
            self.clear()
        key = self[stem_] = cue_key(stem_)
        return key


cue_key_of = _CueKeys().__getitem__


# The prefix cache is bounded by the characters it holds, not by its entry count: an entry costs up to
# MAX_TOKEN_CHARS**2 / 2 characters, so an entry count alone would not bound its memory.
_PREFIX_CACHE_CHARS = 1_000_000
_prefix_cache: dict[str, tuple[str, ...]] = {}
_prefix_cache_chars = 0


def prefixes(token: str) -> tuple[str, ...]:
    """Prefixes of at least MIN_PREFIX letters, longest first, the token itself excluded.

    Tokens are at most MAX_TOKEN_CHARS long (see normalize.tokens); a longer string from elsewhere yields only
    its prefixes up to that length, so the work per call is bounded whatever it is handed.
    """
    global _prefix_cache_chars
    found = _prefix_cache.get(token)
    if found is not None:
        return found
    top = min(len(token), MAX_TOKEN_CHARS) - 1
    found = tuple(token[:n] for n in range(top, MIN_PREFIX - 1, -1))
    if len(token) > MAX_TOKEN_CHARS:
        return found  # not a token: never kept, so a long key cannot sit in the cache
    if _prefix_cache_chars > _PREFIX_CACHE_CHARS:
        # Dropping everything is crude but cheap, and the hot stems of the next text refill it at once.
        # Threads may race on the count; it only drifts by a few entries, the bound still holds.
        _prefix_cache.clear()
        _prefix_cache_chars = 0
    _prefix_cache[token] = found
    _prefix_cache_chars += len(token) + sum(map(len, found))
    return found


def prefix_runs(stems_: Iterable[str]) -> list[tuple[str, ...]]:
    """prefixes() of each stem, read from its cache directly: a window asks this for every stem it holds."""
    cache = _prefix_cache
    return [found if (found := cache.get(s)) is not None else prefixes(s) for s in stems_]


class ConceptRewriter:
    """Replaces named entities in any language (КНДР, Pyongyang, Північна Корея) by one concept token."""

    def __init__(self, concepts: Mapping[str, Sequence[Sequence[str]]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        for name, sequences in concepts.items():
            for seq in sequences:
                if seq:
                    self._by_first[seq[0]].append((tuple(seq), CONCEPT_PREFIX + name))
        for entries in self._by_first.values():
            entries.sort(key=lambda e: -len(e[0]))  # longest phrase wins: "северная корея" before "корея"

    def rewrite(self, seq: Sequence[str]) -> list[str]:
        by_first = self._by_first
        # Most words start no concept: find the few that may, and copy the runs between them whole.
        starts = [i for i, s in enumerate(seq) if s in by_first]
        out: list[str] = []
        i = 0
        for j in starts:
            if j < i:
                continue  # inside a phrase already rewritten
            out.extend(seq[i:j])
            for phrase, concept in by_first[seq[j]]:
                if tuple(seq[j : j + len(phrase)]) == phrase:
                    out.append(concept)
                    i = j + len(phrase)
                    break
            else:
                out.append(seq[j])
                i = j + 1
        out.extend(seq[i:])
        return out


@dataclass(frozen=True)
class TextTokens:
    """A text (or sentence) as the matcher sees it."""

    all: tuple[str, ...]  # every stem, concept-rewritten, stopwords kept (for cues)
    content: tuple[str, ...]  # the same without stopwords (for phrasing similarity)
    raw: tuple[str, ...] = ()  # stems before concept rewriting (for cues that name an entity)


def analyse(text: str, rewriter: ConceptRewriter, cyrillic_lang: str | None = None) -> TextTokens:
    return analyse_folded(fold(text), rewriter, cyrillic_lang)


def analyse_folded(folded: str, rewriter: ConceptRewriter, cyrillic_lang: str | None = None) -> TextTokens:
    """analyse() of a text already through fold()."""
    lang = cyrillic_lang or guess_cyrillic_language(folded)
    toks = tokens(folded)
    stems_ = list(map(stemmer(lang), toks))
    rewritten = rewriter.rewrite(stems_)
    # Stopword flags follow the original tokens; concept phrases collapse, so recompute on the rewritten list.
    if len(rewritten) == len(stems_):
        content = tuple(compress(rewritten, map(not_, map(STOPWORDS.__contains__, toks))))
    else:
        content = tuple(s for s in rewritten if s.startswith(CONCEPT_PREFIX) or s not in _STOP_STEMS)
    return TextTokens(all=tuple(rewritten), content=content, raw=tuple(stems_))


_STOP_STEMS = frozenset(stem(w, lang) for w in STOPWORDS for lang in ("ru", "uk"))


@dataclass(frozen=True, slots=True)
class Phrasing:
    narrative: int
    lang: str
    text: str
    stems: tuple[int, ...]  # stem ids (see CompiledLibrary.vocab)
    weight: float


@dataclass(frozen=True, slots=True)
class Cue:
    narrative: int
    term: str
    weight: int
    variants: tuple[tuple[str, ...], ...]
    # Per variant, per stem: the stem and what else stands for it in a window (see cue_stem_tests()).
    tests: tuple[tuple[tuple[str, frozenset[str] | None], ...], ...] = ()


def cue_stem_tests(variant: tuple[str, ...]) -> tuple[tuple[str, frozenset[str] | None], ...]:
    """How the engine checks each stem of a cue variant in a window, prepared once: a stem of MIN_PREFIX letters or
    more is present when it starts a window stem (the window's prefix lookup holds it) or a window stem is one of
    its own prefixes (the frozenset); a shorter stem only as itself (None)."""
    return tuple((s, frozenset(prefixes(s)) if len(s) >= MIN_PREFIX else None) for s in variant)


class AnchorSet:
    """The subject words of a narrative, prepared so that one window is checked with a few set operations."""

    def __init__(self, key: int, sequences: Sequence[tuple[str, ...]]) -> None:
        self.key = key
        singles = {seq[0] for seq in sequences if len(seq) == 1}
        self.exact = frozenset(singles)  # the window has the stem itself
        self.long = frozenset(s for s in singles if len(s) >= MIN_PREFIX)  # or a longer form of it
        self.shorter = frozenset(p for s in singles for p in prefixes(s))  # or a shorter form of it
        self.phrases = tuple(seq for seq in sequences if len(seq) > 1)

    def present(self, stems_: set[str], lookup: set[str]) -> bool:
        """`lookup` is the window's stems with their prefixes (see prefixes())."""
        if not self.exact.isdisjoint(stems_) or not self.long.isdisjoint(lookup):
            return True
        if not self.shorter.isdisjoint(stems_):
            return True
        return any(map(stems_.issuperset, self.phrases))


class CompiledLibrary:
    """Everything the engine needs, computed once per library load."""

    def postings(self, k: int) -> array[int]:
        """The phrasings (indices) that hold stem `k`; empty for stems too common to index."""
        return self.post_data[self.post_start[k] : self.post_start[k + 1]]

    def has_postings(self, k: int) -> bool:
        return self.post_start[k + 1] > self.post_start[k]

    def __init__(self, library: Library) -> None:
        self.library = library
        concept_seqs: dict[str, list[list[str]]] = {}
        for name, words in library.concepts.items():
            concept_seqs[name] = [v for w in words for v in stem_variants(w)]
        concept_seqs.setdefault("topic", [])
        concept_seqs["topic"] = concept_seqs["topic"] + [v for w in library.topic_terms for v in stem_variants(w)]
        self.rewriter = ConceptRewriter(concept_seqs)

        phrasings: list[tuple[int, str, str, tuple[str, ...]]] = []
        for n_idx, narrative in enumerate(library.narratives):
            for lang, text in narrative.all_phrasings():
                toks = analyse(text, self.rewriter, "uk" if lang == "uk" else "ru")
                if toks.content:
                    # A sorted tuple of distinct stems: half the memory of a frozenset, and only iterated.
                    phrasings.append((n_idx, lang, text, tuple(sorted(set(toks.content)))))

        # Every stem gets a number; weights and postings live in flat arrays indexed by it, which keeps a large
        # library's index a fraction of the size of per-stem Python objects.
        self.vocab: dict[str, int] = {}
        self.stem_of: list[str] = []
        df = array("I")
        for *_, stems_ in phrasings:
            for stem_ in stems_:
                k = self.vocab.get(stem_)
                if k is None:
                    k = self.vocab[stem_] = len(self.stem_of)
                    self.stem_of.append(stem_)
                    df.append(0)
                df[k] += 1
        total = max(1, len(phrasings))
        self.idf = array("d", (math.log(1 + total / d) for d in df))
        self.unknown_weight = 1.0
        # Built in place of the temporary tuples, so a large library is never held twice.
        self.phrasings: list[Phrasing] = []
        phrasings.reverse()
        while phrasings:
            n, lang, text, stems_ = phrasings.pop()
            # A tuple of the vocabulary's own int objects: shared, so no more memory than the stems, and cheap
            # to iterate (an array would box every element on each pass).
            ids = tuple(self.vocab[stem_] for stem_ in stems_)
            self.phrasings.append(Phrasing(n, lang, text, ids, sum(self.idf[k] for k in ids)))
        # Stems in more than a tenth of all phrasings (concepts like §russia) say little about which phrasing
        # fits; leaving them out of the postings keeps candidate generation cheap as the library grows.
        common = max(8, total // 10)
        counts = array("I", (d if d <= common else 0 for d in df))
        self.post_start = array("I", [0])
        for count in counts:
            self.post_start.append(self.post_start[-1] + count)
        self.post_data = array("I", bytes(4 * self.post_start[-1]))
        fill = array("I", self.post_start[:-1])
        for i, phrasing in enumerate(self.phrasings):
            for k in phrasing.stems:
                if counts[k]:
                    self.post_data[fill[k]] = i
                    fill[k] += 1
        # Per stem, flat: whether it has postings, and its place in the order candidates are drawn in (rarest
        # first, then by spelling), so that a window sorts its stems with a C-level key instead of a lambda.
        self.indexed = bytearray(1 if count else 0 for count in counts)
        self.matrix = PhrasingMatrix(
            [p.stems for p in self.phrasings], [p.weight for p in self.phrasings], self.idf, self.post_start,
            self.post_data,
        )
        self.rank = array("I", bytes(4 * len(self.stem_of)))
        for position, k in enumerate(sorted(range(len(self.stem_of)), key=lambda k: (-self.idf[k], self.stem_of[k]))):
            self.rank[k] = position

        self.cues: list[Cue] = []
        for n_idx, narrative in enumerate(library.narratives):
            for term, weight in narrative.cues.items():
                variants = tuple(self._cue_variant(v) for v in stem_variants(term) if v)
                if variants:
                    self.cues.append(Cue(n_idx, term, weight, variants, tuple(map(cue_stem_tests, variants))))
        # Anchors: the subject words a narrative is about (troops, sanctions, nuclear…), in any language.
        # Narratives that share a list (copies, or one list reused) share one AnchorSet, checked once per window.
        unique: dict[tuple[tuple[str, ...], ...], AnchorSet] = {}
        self.anchors: list[AnchorSet | None] = []
        for narrative in library.narratives:
            seqs = tuple(tuple(self.rewriter.rewrite(v)) for a in narrative.anchors for v in stem_variants(a) if v)
            if not seqs:
                self.anchors.append(None)
                continue
            if seqs not in unique:
                unique[seqs] = AnchorSet(len(unique), seqs)
            self.anchors.append(unique[seqs])
        cue_df: dict[str, int] = defaultdict(int)
        for cue in self.cues:
            for stem_ in {s for variant in cue.variants for s in variant}:
                cue_df[stem_] += 1
        self.cue_index: dict[str, list[int]] = defaultdict(list)
        for cue_id, cue in enumerate(self.cues):
            for variant in cue.variants:
                # Each variant is looked up by its rarest stem (then the longest), cut to the shortest prefix
                # that may match, so that истерик, истерия and истерикой all find the cue; the engine verifies.
                key = min(variant, key=lambda s: (cue_df[s], -len(s)))
                if cue_id not in self.cue_index[cue_key(key)]:
                    self.cue_index[cue_key(key)].append(cue_id)
        self.critical_by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for marker in library.critical_markers:
            for marker_stems in stem_variants(marker):
                marker_seq = tuple(self.rewriter.rewrite(marker_stems))
                key = cue_key(marker_seq[0]) if marker_seq else ""
                if marker_seq and marker_seq not in self.critical_by_first[key]:
                    self.critical_by_first[key].append(marker_seq)

    def _cue_variant(self, seq: list[str]) -> tuple[str, ...]:
        """A cue in concept form ("коллективный Запад" -> коллективн §west), unless it is nothing but a concept:
        a cue like "Hwasong" must match that word, not every topic term."""
        rewritten = self.rewriter.rewrite(seq)
        if all(s.startswith(CONCEPT_PREFIX) for s in rewritten):
            return tuple(seq)
        return tuple(rewritten)
