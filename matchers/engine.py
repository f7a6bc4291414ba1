"""One Matcher: combines phrasing similarity, cue evidence and the topic gate into calibrated 0-100 scores."""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, cast

from matchers.candidates import BETA2, Query, Ranked
from matchers.index import (
    MIN_PREFIX,
    TOPIC_CONCEPTS,
    CompiledLibrary,
    TextTokens,
    analyse,
    analyse_folded,
    cue_key_of,
    prefix_runs,
)
from matchers.library import Library
from matchers.near import NearForms, NearVerdicts, PairNearForms
from matchers.near import eligible as near_eligible
from matchers.normalize import fold, guess_cyrillic_language, split_sentences, stem

# Weights of the two signals in the score. A phrasing alone (similar words, no stance) is how neutral reporting
# on the same events looks, so it cannot reach the alert threshold without cues; cues alone (loaded words in an
# unrelated context) cannot either.
SIMILARITY_WEIGHT = 0.6
CUE_WEIGHT = 0.4
CUE_SATURATION = 4.0  # cue weight that counts as full stance evidence (e.g. one strong cue and one weak)
NO_TOPIC_FACTOR = 0.55  # a DPRK talking point in a text that never touches the DPRK subject
CRITICAL_FACTOR = 0.7  # the sentence reports or refutes the claim ("propaganda claims…")
REPORTED_FACTOR = 0.85  # the claim is attributed to a speaker ("Peskov said…"), as wire reports word it
TEXT_CRITICAL_FACTOR = 0.8  # two or more sentences of the text report or refute claims
NO_ANCHOR_FACTOR = 0.6  # the window never names what the narrative is about (its anchors)
PAIR_FACTOR = 0.96  # two-sentence windows score a little below one sentence that says it all
SHORT_TEXT_TOKENS = 7  # texts with fewer content words need stronger evidence
LANGUAGE_SAMPLE_CHARS = 20_000  # enough text to tell Ukrainian from Russian by their own letters
# Candidates that get rapidfuzz credit for near forms: 2 gave the same verdicts on dev, dev-real and long-form as 8,
# at twice the speed.
REFINED_PER_WINDOW = 2
PAIR_MIN_SCORE = 15.0
# Near-form credit is sought only for candidates whose exact similarity reaches this: below it a window shares a
# word or two with the phrasing, and credit for near forms never changed a verdict on dev, dev-real or
# long-form (tried up to 0.3), while it was a fifth of the lexical stage's time on articles.
REFINE_MIN_SIMILARITY = 0.2


_CLAIM_STEMS = frozenset(
    stem_ for word, lang in [
        ("claims", "ru"), ("claimed", "ru"), ("claim", "ru"), ("alleges", "ru"), ("insists", "ru"),
        ("утверждает", "ru"), ("утверждают", "ru"), ("заявляет", "ru"), ("уверяет", "ru"),
        ("стверджує", "uk"), ("стверджують", "uk"), ("запевняє", "uk"), ("заявляє", "uk"),
        ("said", "ru"), ("called", "ru"), ("dismissed", "ru"), ("denied", "ru"),
        ("назвал", "ru"), ("назвала", "ru"), ("назвали", "ru"), ("отрицал", "ru"), ("отрицали", "ru"),
        ("назвав", "uk"), ("назвала", "uk"), ("заперечував", "uk"), ("заперечували", "uk"),
    ]
    for stem_ in [stem(fold(word), lang)]
)
_CONTRAST_STEMS = frozenset(
    stem(fold(word), lang)
    for word, lang in [
        ("but", "ru"), ("however", "ru"), ("yet", "ru"), ("although", "ru"), ("actually", "ru"),
        ("однако", "ru"), ("но", "ru"), ("але", "uk"), ("насправді", "uk"),
    ]
)
_KREMLIN_SPEAKERS = frozenset(
    {"§russia", "propaganda", "пропаганд", "kremlin", "кремл"}
    | {stem(fold(name), lang) for name in ("Песков", "Захарова", "Лавров", "Небензя") for lang in ("ru", "uk")}
    | {stem(fold(name), "ru") for name in ("Peskov", "Zakharova", "Lavrov", "Nebenzya")}
)
# Short quoted spans: «…», “…”, "…", „…“.
_QUOTED = re.compile(r"«[^»]{1,200}»|“[^”]{1,200}”|\"[^\"]{1,200}\"|„[^“”]{1,200}[“”]")
# Reported speech: a sentence that attributes what it says to someone.
_REPORTING_STEMS = frozenset(
    stem(fold(w), lang)
    for w, lang in [
        ("said", "ru"), ("says", "ru"), ("told", "ru"), ("according", "ru"), ("saying", "ru"), ("described", "ru"),
        ("описал", "ru"), ("описав", "uk"),
        ("заявил", "ru"), ("заявила", "ru"), ("заявили", "ru"), ("сказал", "ru"), ("сообщил", "ru"),
        ("сообщили", "ru"), ("отметил", "ru"), ("словам", "ru"), ("назвал", "ru"),
        ("назвала", "ru"), ("заявив", "uk"), ("заявила", "uk"), ("сказав", "uk"), ("повідомив", "uk"),
        ("повідомили", "uk"), ("зазначив", "uk"), ("словами", "uk"), ("назвав", "uk"),
    ]
)
# "…later acknowledged / позже признал": the text sets a denial against what happened.
_LATER_STEMS = frozenset(
    stem(fold(w), lang) for w, lang in [("later", "ru"), ("позже", "ru"), ("впоследствии", "ru"), ("згодом", "uk"),
                                         ("пізніше", "uk"), ("eventually", "ru")]
)
_ADMIT_STEMS = frozenset(
    stem(fold(w), lang) for w, lang in [("acknowledged", "ru"), ("admitted", "ru"), ("confirmed", "ru"),
                                         ("признал", "ru"), ("признали", "ru"), ("подтвердил", "ru"),
                                         ("визнав", "uk"), ("визнали", "uk"), ("підтвердив", "uk")]
)


@dataclass(frozen=True)
class Thresholds:
    """Meedan Check-style levels: `alert` posts to the channel, `suggest` is shown only when someone asks."""

    alert: float = 44.0
    suggest: float = 30.0


@dataclass(frozen=True)
class Match:
    narrative_id: str
    score: float
    level: Literal["alert", "suggest"]
    evidence: str
    matched: str
    cues: tuple[str, ...] = ()
    signals: tuple[str, ...] = ()  # what carried the match, in words a reader can check


@dataclass(frozen=True)
class LexicalReport:
    matches: list[Match]
    sentences: tuple[str, ...]
    evidence: tuple[float, ...]  # per sentence: its best lexical score for any narrative
    on_topic: tuple[bool, ...]  # per sentence: names the DPRK subject
    critical_share: float  # share of sentences that report or refute claims


@dataclass
class _Window:
    text: str
    toks: TextTokens
    critical: bool
    pair: bool
    reported: bool = False
    quoted: frozenset[str] = frozenset()  # stems inside quotation marks
    near: NearForms | None = None  # near-form credit, computed as needed and shared with the pairs
    view: _StemView | None = None  # set when the window is scored; a pair builds its own from its sentences'


@dataclass(frozen=True)
class _StemView:
    """A window's stems as the cue and anchor checks read them."""

    stems: set[str]  # every stem, before and after concept rewriting
    lookup: set[str]  # the same with their prefixes (see prefixes())
    cue_keys: set[str]  # their keys in the cue index (see cue_key())

    @classmethod
    def of(cls, toks: TextTokens) -> _StemView:
        stems_ = set(toks.all)
        stems_.update(toks.raw)
        lookup = set(stems_)
        lookup.update(*prefix_runs(stems_))
        return cls(stems_, lookup, set(map(cue_key_of, stems_)))

    def __or__(self, other: _StemView) -> _StemView:
        """The view of two windows read as one: every part is a union (a prefix of either is a prefix of both)."""
        return _StemView(self.stems | other.stems, self.lookup | other.lookup, self.cue_keys | other.cue_keys)


@dataclass
class _Best:
    score: float
    evidence: str
    matched: str
    cues: tuple[str, ...]


def _pair(a: _Window, b: _Window) -> _Window:
    toks = TextTokens(a.toks.all + b.toks.all, a.toks.content + b.toks.content, a.toks.raw + b.toks.raw)
    # A stem is near the pair's words when it is near either sentence's (see NearForms), so the pair asks the
    # two sentences' caches rather than compare every stem again.
    near = PairNearForms(a.near, b.near) if a.near is not None and b.near is not None else None
    view = a.view | b.view if a.view is not None and b.view is not None else None
    return _Window(
        f"{a.text} {b.text}", toks, a.critical or b.critical, pair=True,
        reported=a.reported and b.reported, quoted=a.quoted | b.quoted, near=near, view=view,
    )


class Matcher:
    """Deterministic, pure and thread-safe: match(text) depends only on the text and the library."""

    def __init__(
        self, library: Library, thresholds: Thresholds | None = None, compiled: CompiledLibrary | None = None
    ) -> None:
        """`compiled` is this library's index when the caller has it already (from a cache): building it is the
        slow part for a large library."""
        self.library = library
        self.thresholds = thresholds or Thresholds()
        self.compiled = compiled if compiled is not None else CompiledLibrary(library)
        self._near_verdicts = NearVerdicts()
        self._critical_keys = frozenset(self.compiled.critical_by_first)
        # Per stem id: whether near-form credit can apply, so that most stems skip the call.
        self._near_eligible = bytearray(map(near_eligible, self.compiled.stem_of))

    # -- public ---------------------------------------------------------------------------------------------------

    def match(self, text: str) -> list[Match]:
        """Matches at or above the suggest threshold, best first, one per narrative."""
        return [m for m in self.score_all(text) if m.score >= self.thresholds.suggest]

    def alerts(self, text: str) -> list[Match]:
        return [m for m in self.match(text) if m.level == "alert"]

    def score_all(self, text: str) -> list[Match]:
        """Every narrative with any evidence, best first (for evaluation and tuning)."""
        return self.report(text).matches

    def report(self, text: str) -> LexicalReport:
        """The lexical matches with what the later stage needs to know of the text: its sentences, which of them
        touch the subject or carry any evidence, and how much of it reports or refutes claims."""
        if not text or not text.strip():
            return LexicalReport([], (), (), (), 0.0)
        singles = self._sentences(text)
        if not singles:
            return LexicalReport([], (), (), (), 0.0)
        matches, evidence = self._score_text(singles)
        return LexicalReport(
            matches,
            tuple(w.text for w in singles),
            tuple(evidence),
            tuple(not TOPIC_CONCEPTS.isdisjoint(w.toks.all) for w in singles),
            sum(w.critical for w in singles) / len(singles),
        )

    def _score_text(self, singles: list[_Window]) -> tuple[list[Match], list[float]]:
        content_total = sum(len(w.toks.content) for w in singles)
        has_topic = any(not TOPIC_CONCEPTS.isdisjoint(w.toks.all) for w in singles)
        # A text in which several sentences report or refute claims is a fact-check or an analysis as a whole:
        # even its sentences that restate the claim plainly are weaker evidence.
        text_factor = TEXT_CRITICAL_FACTOR if sum(w.critical for w in singles) >= 2 else 1.0
        scored = list(zip(singles, self._score_windows(singles), strict=True))
        # A talking point can span two sentences; pairs are only worth scoring next to a sentence with some
        # evidence, which keeps long articles cheap.
        sentence_best = [max([v[0] for v in r.values()], default=0.0) for _, r in scored]
        worth = [score >= PAIR_MIN_SCORE for score in sentence_best]
        pairs = [_pair(a, b) for i, (a, b) in enumerate(itertools.pairwise(singles)) if worth[i] or worth[i + 1]]
        scored.extend(zip(pairs, self._score_windows(pairs), strict=True))
        best: dict[int, _Best] = {}
        for window, results in scored:
            for n_idx, (score, matched, cues) in results.items():
                score *= text_factor
                if self.library.narratives[n_idx].topic == "dprk" and not has_topic:
                    score *= NO_TOPIC_FACTOR
                current = best.get(n_idx)
                if current is None or score > current.score:
                    best[n_idx] = _Best(score, window.text, matched, cues)
        out: list[Match] = []
        for n_idx, found in best.items():
            score = found.score
            level: Literal["alert", "suggest"] = "alert" if score >= self.thresholds.alert else "suggest"
            # Short texts carry little context: one loaded word must not decide an alert.
            if level == "alert" and content_total < SHORT_TEXT_TOKENS and self._cue_weight(found.cues, n_idx) < 3:
                level = "suggest"
                score = min(score, self.thresholds.alert - 0.1)
            out.append(
                Match(
                    narrative_id=self.library.narratives[n_idx].id,
                    score=round(min(100.0, score), 1),
                    level=level,
                    evidence=found.evidence,
                    matched=found.matched,
                    cues=found.cues,
                    signals=lexical_signals(found.matched, found.cues),
                )
            )
        order = {n.id: i for i, n in enumerate(self.library.narratives)}
        out.sort(key=lambda m: (-m.score, order[m.narrative_id]))
        return out, sentence_best

    # -- windows --------------------------------------------------------------------------------------------------

    def _sentences(self, text: str) -> list[_Window]:
        rewriter = self.compiled.rewriter
        sentences = split_sentences(text)
        folded = [fold(sentence.text) for sentence in sentences]
        # One language for the whole text, judged on its first LANGUAGE_SAMPLE_CHARS: each sentence is folded
        # once, for this and for its tokens.
        lang = guess_cyrillic_language(" ".join(folded)[:LANGUAGE_SAMPLE_CHARS])
        windows = []
        for sentence, folded_sentence in zip(sentences, folded, strict=True):
            toks = analyse_folded(folded_sentence, rewriter, lang)
            reported = not _REPORTING_STEMS.isdisjoint(toks.raw)
            quoted: frozenset[str] = frozenset()
            if reported:
                spans = " ".join(m.group(0) for m in _QUOTED.finditer(sentence.text))
                if spans:
                    inner = analyse(spans, rewriter, lang)
                    quoted = frozenset(inner.all) | frozenset(inner.raw)
            view = _StemView.of(toks)
            windows.append(
                _Window(
                    sentence.text, toks, self._is_critical(toks, view), pair=False, reported=reported,
                    quoted=quoted, near=NearForms(toks.content, self._near_verdicts), view=view,
                )
            )
        return windows

    def _is_critical(self, toks: TextTokens, view: _StemView) -> bool:
        stems_ = set(toks.all)
        # "Moscow claims X, but…": a Kremlin source's claim set against a contrast is reporting, not pushing.
        # Propagandists' own "the West claims…, but" names another speaker and is not caught here.
        if (
            not stems_.isdisjoint(_CLAIM_STEMS)
            and not stems_.isdisjoint(_CONTRAST_STEMS)
            and not stems_.isdisjoint(_KREMLIN_SPEAKERS)
        ):
            return True
        if not stems_.isdisjoint(_LATER_STEMS) and not stems_.isdisjoint(_ADMIT_STEMS):
            return True
        seq = toks.all
        by_first = self.compiled.critical_by_first
        # Most sentences hold no word a marker starts with. The view's keys cover the stems before concept
        # rewriting too: a looser test, and the loop below reads only the rewritten ones.
        if view.cue_keys.isdisjoint(self._critical_keys):
            return False
        for i, token in enumerate(seq):
            markers = by_first.get(cue_key_of(token))
            if not markers:
                continue
            for marker in markers:
                window = seq[i : i + len(marker)]
                if len(window) == len(marker) and all(map(_same_word, window, marker)):
                    return True
        return False

    # -- scoring --------------------------------------------------------------------------------------------------

    def _score_windows(self, windows: list[_Window]) -> list[dict[int, tuple[float, str, tuple[str, ...]]]]:
        """Each window's score per narrative; the candidate phrasings of all of them are found in one batch."""
        compiled = self.compiled
        vocab_get = compiled.vocab.get
        rank_of = compiled.rank.__getitem__
        indexed = compiled.indexed.__getitem__
        weight_of = compiled.idf.__getitem__
        unknown_weight = compiled.unknown_weight
        queries: list[Query] = []
        window_ids: list[set[int]] = []
        for window in windows:
            content = set(window.toks.content)
            known: set[int | None] = set(map(vocab_get, content))
            known.discard(None)  # words the library does not know
            ids = cast("set[int]", known)
            # Candidates come from the window's rarest indexed stems: they say most about which phrasing fits,
            # and their postings are short, so the cost stays flat as the library grows.
            keys = sorted(filter(indexed, ids), key=rank_of)
            # fsum: exact whatever the order, and a set's order follows the process's string hashing.
            weight = math.fsum(map(weight_of, ids)) + unknown_weight * (len(content) - len(ids))
            queries.append(Query(keys, tuple(ids), weight))
            window_ids.append(ids)
        ranked = compiled.matrix.rank(queries)
        return [
            self._score_window(window, ids, query.weight, found)
            for window, ids, query, found in zip(windows, window_ids, queries, ranked, strict=True)
        ]

    def _score_window(
        self, window: _Window, ids: set[int], window_weight: float, ranked: Ranked
    ) -> dict[int, tuple[float, str, tuple[str, ...]]]:
        compiled = self.compiled
        view = window.view
        if view is None:
            view = window.view = _StemView.of(window.toks)
        all_stems, lookup = view.stems, view.lookup
        cue_hits = self._cues(view, window.quoted)
        sims = self._similarities(window.toks.content, ids, window_weight, ranked, window.near)
        results: dict[int, tuple[float, str, tuple[str, ...]]] = {}
        anchor_seen: dict[int, bool] = {}
        for n_idx in set(cue_hits) | set(sims):
            sim, matched = sims.get(n_idx, (0.0, ""))
            hits = cue_hits.get(n_idx)
            if hits:
                cues = tuple(sorted(hits))
                cue_weight = sum(hits.values())
            else:
                cues, cue_weight = (), 0  # what sorting and summing no hits gives
            score = 100.0 * (
                SIMILARITY_WEIGHT * sim + CUE_WEIGHT * min(1.0, cue_weight / CUE_SATURATION)
            )
            if window.critical:
                score *= CRITICAL_FACTOR
            elif window.reported:
                score *= REPORTED_FACTOR
            anchors = compiled.anchors[n_idx]
            # Loaded words without the narrative's subject ("сказки" with no troops in sight) are weak evidence.
            if anchors is not None:
                seen = anchor_seen.get(anchors.key)
                if seen is None:
                    seen = anchor_seen[anchors.key] = anchors.present(all_stems, lookup)
                if not seen:
                    score *= NO_ANCHOR_FACTOR
            if window.pair:
                score *= PAIR_FACTOR
            if not matched:
                matched = ", ".join(cues)
            results[n_idx] = (score, matched, cues)
        return results

    def _cue_weight(self, cues: Iterable[str], n_idx: int) -> int:
        weights = self.library.narratives[n_idx].cues
        return sum(weights.get(c, 0) for c in cues)

    def _cues(self, view: _StemView, quoted: frozenset[str]) -> dict[int, dict[str, float]]:
        """Cues present in the window; a loaded word someone is quoted as saying ("Peskov called the reports
        «another fake»") counts half: the writer reports it rather than says it."""
        compiled = self.compiled
        stems_, lookup = view.stems, view.lookup
        candidates: set[int] = set()
        for ids in filter(None, map(compiled.cue_index.get, view.cue_keys)):
            candidates.update(ids)
        hits: dict[int, dict[str, float]] = defaultdict(dict)
        for cue_id in candidates:
            cue = compiled.cues[cue_id]
            for variant, tests in zip(cue.variants, cue.tests, strict=True):
                # A cue stem is present exactly, as the prefix of a longer form, or as a longer form of a short stem;
                # checked inline on the prepared tests: this runs for every candidate cue of every window.
                for s, shorter in tests:
                    if shorter is None:
                        if s not in stems_:
                            break
                    elif s not in lookup and shorter.isdisjoint(stems_):
                        break
                else:
                    in_quotes = bool(quoted) and all(s in quoted for s in variant)
                    hits[cue.narrative][cue.term] = cue.weight / 2 if in_quotes else cue.weight
                    break
        return hits

    def _similarities(
        self,
        content: Iterable[str],
        ids: set[int],
        window_weight: float,
        ranked: Ranked,
        near: NearForms | None = None,
    ) -> dict[int, tuple[float, str]]:
        """Best phrasing similarity per narrative: the candidates' exact scores (weighted stem overlap, an F2 of
        coverage and precision), with rapidfuzz and prefix credit for near forms the stemmers did not join on
        the best few. `near` is the window's own near-form cache when it has one (a sentence keeps it for the
        pairs built from it)."""
        if not ranked.phrasings:
            return {}
        compiled = self.compiled
        idf = compiled.idf
        phrasings = compiled.phrasings
        if near is None:
            near = NearForms(content, self._near_verdicts)
        stem_of = compiled.stem_of
        eligible = self._near_eligible
        credit = near.credit
        best: dict[int, tuple[float, str]] = {}
        order, scores = ranked.phrasings, ranked.scores
        refined = 0
        while refined < min(REFINED_PER_WINDOW, len(scores)) and scores[refined] >= REFINE_MIN_SIMILARITY:
            refined += 1
        for p_idx, exact in zip(order[:refined], scores[:refined], strict=True):
            phrasing = phrasings[p_idx]
            f = exact  # what the sum below gives when no stem the window lacks gets credit (most often)
            if any(credit(stem_of[k]) for k in phrasing.stems if eligible[k] and k not in ids):
                # A stem that can get no near-form credit adds idf * 0.0, as credit() would give: the same sum.
                matched = sum(
                    idf[k] if k in ids else idf[k] * (credit(stem_of[k]) if eligible[k] else 0.0)
                    for k in phrasing.stems
                )
                f = _f_beta(matched, phrasing.weight, window_weight)
            current = best.get(phrasing.narrative)
            if f > 0 and (current is None or f > current[0]):
                best[phrasing.narrative] = (f, phrasing.text)
        # Past the refined few, scores only fall (near-form credit only raises the refined ones), so a narrative's
        # best is its first phrasing in this order.
        for p_idx, f in zip(order[refined:], scores[refined:], strict=True):
            if f <= 0:
                break  # the rest score 0
            phrasing = phrasings[p_idx]
            if phrasing.narrative not in best:
                best[phrasing.narrative] = (f, phrasing.text)
        return best


def lexical_signals(matched: str, cues: tuple[str, ...]) -> tuple[str, ...]:
    """The lexical evidence in words a reader can check: a library phrasing was close, and which stance words."""
    out = []
    if matched and matched != ", ".join(cues):
        out.append("similar phrasing")
    if cues:
        out.append("stance words: " + ", ".join(cues))
    return tuple(out)


def _same_word(token: str, marker: str) -> bool:
    """One marker word in another form: пропагандисты ~ пропагандистские, claim ~ claims."""
    if token == marker:
        return True
    shorter, longer = (token, marker) if len(token) <= len(marker) else (marker, token)
    return len(shorter) >= MIN_PREFIX and longer.startswith(shorter)


def _f_beta(matched: float, phrasing_weight: float, window_weight: float) -> float:
    coverage = matched / phrasing_weight if phrasing_weight else 0.0
    precision = min(1.0, matched / window_weight)
    if coverage <= 0 or precision <= 0:
        return 0.0
    return (1 + BETA2) * precision * coverage / (BETA2 * precision + coverage)
