"""Candidate phrasings for many windows at once: which phrasings each window may match, and how well on exact stems.

The engine asks this for every sentence of a text (then for the sentence pairs worth reading). Doing the work for
the whole batch in a few numpy operations, instead of a Python loop per window and per candidate, is what keeps
the lexical stage fast as the library grows. The arithmetic is the engine's own, term for term and in the same
order, so a window gets the same candidates and the same scores as it would one at a time:

1. candidates: the phrasings that hold any of the window's CANDIDATE_STEMS rarest indexed stems, and of those
   the CANDIDATES_PER_WINDOW with the largest idf overlap on these stems (ties: the stem seen first, then the
   phrasing index);
2. their exact score: an F-beta of how much of the phrasing the window covers and how much of the window the
   phrasing explains, both weighted by idf;
3. ranked best first (ties by phrasing index).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

CANDIDATES_PER_WINDOW = 24
CANDIDATE_STEMS = 8
BETA2 = 4.0  # F-beta with beta 2: covering the phrasing matters more than explaining every word of the window

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Query:
    """One window as the candidate search sees it."""

    keys: Sequence[int]  # its indexed stem ids, rarest first (only the first CANDIDATE_STEMS are used)
    ids: Sequence[int]  # every stem id it holds that the library knows, each once
    weight: float  # the idf weight of the whole window, unknown words included


@dataclass(frozen=True)
class Ranked:
    """A window's candidates, best exact score first: phrasing indices and their scores (plain lists: the engine
    reads them one by one)."""

    phrasings: list[int]
    scores: list[float]


EMPTY = Ranked([], [])


class PhrasingMatrix:
    """The library's phrasings as flat arrays (stems, weights, postings), built once per compiled library."""

    def __init__(
        self,
        phrasing_stems: Sequence[Sequence[int]],
        phrasing_weights: Sequence[float],
        idf: Sequence[float],
        post_start: Sequence[int],
        post_data: Sequence[int],
    ) -> None:
        lengths = np.fromiter((len(s) for s in phrasing_stems), dtype=np.int64, count=len(phrasing_stems))
        self.stem_start = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=self.stem_start[1:])
        # 32-bit ids halve the memory of a large library's arrays; arithmetic on them is done in 64 bits.
        self.stems = np.fromiter(
            (k for s in phrasing_stems for k in s), dtype=np.int32, count=int(self.stem_start[-1])
        )
        self.weights = np.asarray(phrasing_weights, dtype=np.float64)
        self.idf = np.asarray(idf, dtype=np.float64)
        self.post_start = np.asarray(post_start, dtype=np.int64)
        self.post_data = np.asarray(post_data, dtype=np.int32)
        self.count = len(lengths)
        self.vocab_size = len(self.idf)

    def rank(self, queries: Sequence[Query]) -> list[Ranked]:
        """Each query's candidates with their exact scores, best first."""
        out = [EMPTY] * len(queries)
        rows = [r for r, q in enumerate(queries) if q.keys and q.weight]
        if not rows:
            return out
        cand_row, cand_phrasing = self._candidates(queries, rows)
        if not len(cand_row):
            return out
        scores = self._exact_scores(queries, rows, cand_row, cand_phrasing)
        # Best first within each window, then by phrasing index: what sorting (-score, index) pairs gives.
        order = np.lexsort((cand_phrasing, -scores, cand_row))
        cand_row, cand_phrasing, scores = cand_row[order], cand_phrasing[order], scores[order]
        bounds = cand_row.searchsorted(np.arange(len(rows) + 1)).tolist()
        phrasings, values = cand_phrasing.tolist(), scores.tolist()
        for slot, r in enumerate(rows):
            lo, hi = bounds[slot], bounds[slot + 1]
            if hi > lo:
                out[r] = Ranked(phrasings[lo:hi], values[lo:hi])
        return out

    def _candidates(self, queries: Sequence[Query], rows: list[int]) -> tuple[IntArray, IntArray]:
        """(window slot, phrasing) of every candidate: the best overlaps on each window's rarest stems."""
        key_slot: list[int] = []
        key_pos: list[int] = []
        key_ids: list[int] = []
        for window, r in enumerate(rows):
            keys = queries[r].keys[:CANDIDATE_STEMS]
            key_slot.extend([window] * len(keys))
            key_pos.extend(range(len(keys)))
            key_ids.extend(keys)
        ids = np.asarray(key_ids, dtype=np.int64)
        starts = self.post_start[ids]
        lengths = self.post_start[ids + 1] - starts
        total = int(lengths.sum())
        if not total:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        # Every posting of every key, in key order within a window: the order the overlap is summed in.
        offsets = lengths.cumsum() - lengths
        phrasing = self.post_data[(starts - offsets).repeat(lengths) + np.arange(total)].astype(np.int64)
        slot = np.asarray(key_slot, dtype=np.int64).repeat(lengths)
        pos = np.asarray(key_pos, dtype=np.int64).repeat(lengths)
        weight = self.idf[ids].repeat(lengths)
        code = slot * self.count + phrasing
        order = code.argsort(kind="stable")
        code, pos, weight = code[order], pos[order], weight[order]
        starts_group = np.empty(len(code), dtype=bool)
        starts_group[0] = True
        np.not_equal(code[1:], code[:-1], out=starts_group[1:])
        first = np.flatnonzero(starts_group)
        # bincount adds in array order, one posting after another: the same sums as a running total.
        overlap = np.bincount(starts_group.cumsum() - 1, weights=weight)
        g_code = code[first]
        g_slot, g_phrasing, g_pos = g_code // self.count, g_code % self.count, pos[first]
        # A window with few candidates keeps them all; the others keep the largest overlaps, among equals the
        # phrasing met first (its first key, then its index).
        crowded = np.bincount(g_slot, minlength=len(rows))[g_slot] > CANDIDATES_PER_WINDOW
        if not crowded.any():
            return g_slot, g_phrasing
        keep = ~crowded
        idx = np.flatnonzero(crowded)
        # (pos, phrasing) as one key: the same order as the two, and lexsort's cost grows with its keys.
        idx = idx[np.lexsort((g_pos[idx] * self.count + g_phrasing[idx], -overlap[idx], g_slot[idx]))]
        slots = g_slot[idx]
        place = np.arange(len(idx)) - slots.searchsorted(slots)  # place within its window, best first
        keep[idx[place < CANDIDATES_PER_WINDOW]] = True
        return g_slot[keep], g_phrasing[keep]

    def _exact_scores(
        self, queries: Sequence[Query], rows: list[int], cand_slot: IntArray, cand_phrasing: IntArray
    ) -> FloatArray:
        """The F-beta of each candidate against its window, on exact stems."""
        # Which stems each window holds, as a table over the stems the batch holds at all (few, unlike the
        # vocabulary): a phrasing stem is looked up by its place among them, or falls in the last, empty column.
        sizes = np.fromiter((len(queries[r].ids) for r in rows), dtype=np.int64, count=len(rows))
        window_ids = np.fromiter(itertools.chain.from_iterable(queries[r].ids for r in rows), dtype=np.int64)
        seen, column = np.unique(window_ids, return_inverse=True)
        holds = np.zeros((len(rows), len(seen) + 1), dtype=bool)
        holds[np.arange(len(rows)).repeat(sizes), column] = True
        place = np.full(self.vocab_size, len(seen), dtype=np.int64)
        place[seen] = np.arange(len(seen))
        starts = self.stem_start[cand_phrasing]
        lengths = self.stem_start[cand_phrasing + 1] - starts
        total = int(lengths.sum())
        offsets = lengths.cumsum() - lengths
        stems = self.stems[(starts - offsets).repeat(lengths) + np.arange(total)]
        owner = np.arange(len(cand_slot)).repeat(lengths)
        present = holds.ravel()[(cand_slot * holds.shape[1]).repeat(lengths) + place[stems]]
        # A stem the window lacks adds 0.0, which leaves a running sum exactly as it was.
        matched = np.bincount(owner, weights=self.idf[stems] * present, minlength=len(cand_slot))
        phrasing_weight = self.weights[cand_phrasing]
        window_weight = np.asarray([queries[r].weight for r in rows], dtype=np.float64)[cand_slot]
        with np.errstate(divide="ignore", invalid="ignore"):
            coverage = np.where(phrasing_weight > 0, matched / phrasing_weight, 0.0)
            precision = np.minimum(matched / window_weight, 1.0)
            f = (1 + BETA2) * precision * coverage / (BETA2 * precision + coverage)
        return np.where((coverage > 0) & (precision > 0), f, 0.0)
