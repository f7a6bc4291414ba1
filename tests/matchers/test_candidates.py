"""The batched candidate search gives every window what a plain one-window-at-a-time search gives."""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from operator import itemgetter

import pytest

from matchers import load_library
from matchers.candidates import BETA2, CANDIDATE_STEMS, CANDIDATES_PER_WINDOW, Query
from matchers.index import CompiledLibrary, analyse
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def compiled() -> CompiledLibrary:
    return CompiledLibrary(load_library(ROOT / "narratives.yaml"))


def query_of(compiled: CompiledLibrary, text: str) -> Query:
    content = set(analyse(text, compiled.rewriter).content)
    ids = {k for k in map(compiled.vocab.get, content) if k is not None}
    keys = sorted((k for k in ids if compiled.indexed[k]), key=lambda k: compiled.rank[k])
    weight = math.fsum(compiled.idf[k] for k in ids) + compiled.unknown_weight * (len(content) - len(ids))
    return Query(keys, tuple(ids), weight)


def one_window(compiled: CompiledLibrary, query: Query) -> list[tuple[int, float]]:
    """The search written plainly, for one window: dict overlap, heapq selection, a sort."""
    overlap: dict[int, float] = defaultdict(float)
    for k in query.keys[:CANDIDATE_STEMS]:
        for p in compiled.postings(k):
            overlap[p] += compiled.idf[k]
    chosen = list(overlap) if len(overlap) <= CANDIDATES_PER_WINDOW else [
        p for p, _ in heapq.nlargest(CANDIDATES_PER_WINDOW, overlap.items(), key=itemgetter(1))
    ]
    ids = set(query.ids)
    scored = []
    for p in chosen:
        phrasing = compiled.phrasings[p]
        matched = sum(compiled.idf[k] for k in phrasing.stems if k in ids)
        coverage = matched / phrasing.weight if phrasing.weight else 0.0
        precision = min(1.0, matched / query.weight)
        f = (1 + BETA2) * precision * coverage / (BETA2 * precision + coverage) if coverage and precision else 0.0
        scored.append((-f, p))
    scored.sort()
    return [(p, -neg) for neg, p in scored]


def test_the_batch_finds_what_one_window_at_a_time_finds(compiled: CompiledLibrary) -> None:
    library = compiled.library
    texts = [t for n in library.narratives for t in (*n.examples, *n.non_examples)]
    texts += ["", "Погода в Москве.", "КНДР Россия Запад санкции войска Курск " * 3]
    # Pairs of sentences too: longer windows, more candidates than the search keeps.
    texts += [f"{a} {b}" for a, b in zip(texts[::2], texts[1::2], strict=False)][:40]
    queries = [query_of(compiled, t) for t in texts]
    assert any(len(q.keys) > CANDIDATE_STEMS for q in queries)  # the cut on stems is exercised
    crowded = 0
    for query, ranked in zip(queries, compiled.matrix.rank(queries), strict=True):
        expected = one_window(compiled, query) if query.keys and query.weight else []
        assert ranked.phrasings == [p for p, _ in expected]
        assert ranked.scores == pytest.approx([f for _, f in expected], rel=1e-12, abs=0.0)
        crowded += len(expected) == CANDIDATES_PER_WINDOW
    assert crowded  # some windows had more candidates than are kept


def test_a_batch_answers_each_window_as_it_would_alone(compiled: CompiledLibrary) -> None:
    texts = ["Запад в панике из-за союза Москвы и Пхеньяна.", "Sanctions on the DPRK are dead.", "Погода."]
    queries = [query_of(compiled, t) for t in texts]
    together = compiled.matrix.rank(queries)
    for query, ranked in zip(queries, together, strict=True):
        alone = compiled.matrix.rank([query])[0]
        assert ranked.phrasings == alone.phrasings
        assert ranked.scores == alone.scores
