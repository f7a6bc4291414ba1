"""The library compiled for matching: concept rewriting, stem weights, an inverted index and cue lookup."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from matchers.library import Library
from matchers.normalize import STOPWORDS, fold, guess_cyrillic_language, stem, stem_variants, tokens

CONCEPT_PREFIX = "§"
TOPIC_CONCEPTS = frozenset({"§dprk", "§kim", "§korea", "§topic"})
MIN_PREFIX = 5  # stems this long may match a longer or shorter form by prefix (истерик ~ истер-ия)


def prefixes(token: str) -> Iterable[str]:
    """Prefixes of at least MIN_PREFIX letters, longest first, the token itself excluded."""
    for n in range(len(token) - 1, MIN_PREFIX - 1, -1):
        yield token[:n]


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


@dataclass(frozen=True)
class Phrasing:
    narrative: int
    lang: str
    text: str
    stems: frozenset[str]
    weight: float


@dataclass(frozen=True)
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

        phrasings: list[tuple[int, str, str, frozenset[str]]] = []
        for n_idx, narrative in enumerate(library.narratives):
            for lang, text in narrative.all_phrasings():
                toks = analyse(text, self.rewriter, "uk" if lang == "uk" else "ru")
                if toks.content:
                    phrasings.append((n_idx, lang, text, frozenset(toks.content)))

        df: dict[str, int] = defaultdict(int)
        for *_, stems_ in phrasings:
            for s in stems_:
                df[s] += 1
        total = max(1, len(phrasings))
        self.idf: dict[str, float] = {s: math.log(1 + total / d) for s, d in df.items()}
        self.unknown_weight = 1.0
        self.phrasings: list[Phrasing] = [
            Phrasing(n, lang, text, stems_, sum(self.idf[s] for s in stems_)) for n, lang, text, stems_ in phrasings
        ]
        # Stems in more than a tenth of all phrasings (concepts like §russia) say little about which phrasing
        # fits; leaving them out of the postings keeps candidate generation cheap as the library grows.
        common = max(8, total // 10)
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(self.phrasings):
            for s in p.stems:
                if df[s] <= common:
                    self.postings[s].append(i)
        self.prefix_vocab: dict[str, str] = {}
        for s in df:
            if len(s) >= MIN_PREFIX and not s.startswith(CONCEPT_PREFIX):
                self.prefix_vocab.setdefault(s, s)

        self.cues: list[Cue] = []
        self.cue_index: dict[str, list[int]] = defaultdict(list)
        for n_idx, narrative in enumerate(library.narratives):
            for term, weight in narrative.cues.items():
                variants = tuple(self._cue_variant(v) for v in stem_variants(term) if v)
                if not variants:
                    continue
                cue_id = len(self.cues)
                self.cues.append(Cue(n_idx, term, weight, variants))
                for variant in variants:
                    # Index each variant under its longest stem: the most selective key.
                    key = max(variant, key=len)
                    self.cue_index[key].append(cue_id)
                    for prefix in prefixes(key):
                        self.cue_index[prefix].append(cue_id)
        self.critical = [tuple(self.rewriter.rewrite(v)) for m in library.critical_markers for v in stem_variants(m)]

    def _cue_variant(self, seq: list[str]) -> tuple[str, ...]:
        """A cue in concept form ("коллективный Запад" -> коллективн §west), unless it is nothing but a concept:
        a cue like "Hwasong" must match that word, not every topic term."""
        rewritten = self.rewriter.rewrite(seq)
        if all(s.startswith(CONCEPT_PREFIX) for s in rewritten):
            return tuple(seq)
        return tuple(rewritten)
