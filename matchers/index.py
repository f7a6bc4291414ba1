"""The library compiled for matching: concept rewriting, stem weights, an inverted index and cue lookup."""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from matchers.library import Library
from matchers.normalize import STOPWORDS, fold, guess_cyrillic_language, stem, stem_variants, tokens

CONCEPT_PREFIX = "§"
TOPIC_CONCEPTS = frozenset({"§dprk", "§kim", "§korea", "§topic"})
MIN_PREFIX = 5  # stems this long may match a longer or shorter form by prefix (истерик ~ истер-ия)


def cue_key(stem_: str) -> str:
    """The lookup key of a stem in the cue index: its first MIN_PREFIX letters (concepts whole)."""
    return stem_ if stem_.startswith(CONCEPT_PREFIX) else stem_[:MIN_PREFIX]


@lru_cache(maxsize=20_000)
def prefixes(token: str) -> tuple[str, ...]:
    """Prefixes of at least MIN_PREFIX letters, longest first, the token itself excluded."""
    return tuple(token[:n] for n in range(len(token) - 1, MIN_PREFIX - 1, -1))


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
        out: list[str] = []
        i = 0
        while i < len(seq):
            for phrase, concept in self._by_first.get(seq[i], ()):
                if tuple(seq[i : i + len(phrase)]) == phrase:
                    out.append(concept)
                    i += len(phrase)
                    break
            else:
                out.append(seq[i])
                i += 1
        return out


@dataclass(frozen=True)
class TextTokens:
    """A text (or sentence) as the matcher sees it."""

    all: tuple[str, ...]  # every stem, concept-rewritten, stopwords kept (for cues)
    content: tuple[str, ...]  # the same without stopwords (for phrasing similarity)
    raw: tuple[str, ...] = ()  # stems before concept rewriting (for cues that name an entity)


def analyse(text: str, rewriter: ConceptRewriter, cyrillic_lang: str | None = None) -> TextTokens:
    folded = fold(text)
    lang = cyrillic_lang or guess_cyrillic_language(folded)
    toks = tokens(folded)
    stems_ = [stem(t, lang) for t in toks]
    keep = [t not in STOPWORDS for t in toks]
    rewritten = rewriter.rewrite(stems_)
    # Stopword flags follow the original tokens; concept phrases collapse, so recompute on the rewritten list.
    if len(rewritten) == len(stems_):
        content = tuple(s for s, k in zip(rewritten, keep, strict=True) if k)
    else:
        content = tuple(s for s in rewritten if s.startswith(CONCEPT_PREFIX) or s not in _STOP_STEMS)
    return TextTokens(all=tuple(rewritten), content=content, raw=tuple(stems_))


_STOP_STEMS = frozenset(stem(w, lang) for w in STOPWORDS for lang in ("ru", "uk"))


@dataclass(frozen=True, slots=True)
class Phrasing:
    narrative: int
    lang: str
    text: str
    stems: tuple[str, ...]
    weight: float


@dataclass(frozen=True, slots=True)
class Cue:
    narrative: int
    term: str
    weight: int
    variants: tuple[tuple[str, ...], ...]


class CompiledLibrary:
    """Everything the engine needs, computed once per library load."""

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

        df: dict[str, int] = defaultdict(int)
        for *_, stems_ in phrasings:
            for s in stems_:
                df[s] += 1
        total = max(1, len(phrasings))
        self.idf: dict[str, float] = {s: math.log(1 + total / d) for s, d in df.items()}
        self.unknown_weight = 1.0
        # Built in place of the temporary tuples, so a large library is never held twice.
        self.phrasings: list[Phrasing] = []
        phrasings.reverse()
        while phrasings:
            n, lang, text, stems_ = phrasings.pop()
            self.phrasings.append(Phrasing(n, lang, text, stems_, sum(self.idf[s] for s in stems_)))
        # Stems in more than a tenth of all phrasings (concepts like §russia) say little about which phrasing
        # fits; leaving them out of the postings keeps candidate generation cheap as the library grows.
        common = max(8, total // 10)
        self.postings: dict[str, array[int]] = defaultdict(lambda: array("I"))
        for i, p in enumerate(self.phrasings):
            for s in p.stems:
                if df[s] <= common:
                    self.postings[s].append(i)

        self.cues: list[Cue] = []
        for n_idx, narrative in enumerate(library.narratives):
            for term, weight in narrative.cues.items():
                variants = tuple(self._cue_variant(v) for v in stem_variants(term) if v)
                if variants:
                    self.cues.append(Cue(n_idx, term, weight, variants))
        # Anchors: the subject words a narrative is about (troops, sanctions, nuclear…), in any language.
        self.anchors: list[tuple[tuple[str, ...], ...]] = [
            tuple(tuple(self.rewriter.rewrite(v)) for a in narrative.anchors for v in stem_variants(a) if v)
            for narrative in library.narratives
        ]
        cue_df: dict[str, int] = defaultdict(int)
        for cue in self.cues:
            for stem_ in {s for variant in cue.variants for s in variant}:
                cue_df[stem_] += 1
        self.cue_index: dict[str, list[int]] = defaultdict(list)
        for cue_id, cue in enumerate(self.cues):
            for variant in cue.variants:
                # Each variant is looked up by its rarest stem (then the longest), cut to the shortest prefix
                # that may match, so that истерик, истерия and истерикой all find the cue; _present verifies.
                key = min(variant, key=lambda s: (cue_df[s], -len(s)))
                if cue_id not in self.cue_index[cue_key(key)]:
                    self.cue_index[cue_key(key)].append(cue_id)
        self.critical_by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for marker in library.critical_markers:
            for marker_stems in stem_variants(marker):
                marker_seq = tuple(self.rewriter.rewrite(marker_stems))
                if marker_seq and marker_seq not in self.critical_by_first[marker_seq[0]]:
                    self.critical_by_first[marker_seq[0]].append(marker_seq)

    def _cue_variant(self, seq: list[str]) -> tuple[str, ...]:
        """A cue in concept form ("коллективный Запад" -> коллективн §west), unless it is nothing but a concept:
        a cue like "Hwasong" must match that word, not every topic term."""
        rewritten = self.rewriter.rewrite(seq)
        if all(s.startswith(CONCEPT_PREFIX) for s in rewritten):
            return tuple(seq)
        return tuple(rewritten)
