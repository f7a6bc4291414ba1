"""Fit the blend of the semantic and lexical signals on labelled sets and write matchers/blend.json.

    python tools/calibrate.py ../shared/eval/dev.jsonl tests/fixtures/eval/longform.jsonl \
        ../shared/eval/dev-real.jsonl [--write]

The sets are only measured here, never learned from: what is fitted is six numbers (the weights of the signals
and the alert cut-off), chosen on a grid to maximise F1 under ceilings on false alarms and on alerts for critical
texts. The last set named is real media: both ceilings apply to it; the others get a looser ceiling on critical
texts. A repeated two-fold split of that set
estimates how the fitted blend does on texts it was not fitted on; that estimate is what to quote.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import sys
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.semantic_setup import full_matcher, terminal_progress  # noqa: E402
from matchers import load_library  # noqa: E402
from matchers.evaluation import Case, load_cases  # noqa: E402
from matchers.semantic import BLEND_FILE, Blend, HybridMatcher  # noqa: E402

GRID = {
    "probability": (0.0, 0.25, 0.5, 0.75, 1.0),
    "margin": (0.0, 2.0, 4.0, 8.0, 12.0, 16.0, 24.0),
    "lexical": (0.0, 0.25, 0.5, 0.75, 1.0, 1.5),
    "critical": (0.0, 0.5, 1.0, 1.5),
    "no_topic": (1.0, 0.8, 0.6),
}
MAX_FALSE_ALARMS = 0.14  # below the 15% target: held out, the fitted blend stays near 13%
MAX_CRITICAL = 0.25  # below the 30% target
# On the team's own sets (long fact-check articles among them) no more critical texts may alert than the lexical
# stage alone lets through (6 of the long-form set's 10).
MAX_CRITICAL_OWN = 0.5


@dataclass
class Features:
    """Per case: the semantic matrices and the lexical scores, so each grid point costs only arithmetic."""

    case: Case
    probabilities: np.ndarray  # windows × narratives
    margins: np.ndarray
    lexical: np.ndarray  # narratives
    critical: float
    on_topic: bool


def features(matcher: HybridMatcher, cases: list[Case]) -> list[Features]:
    ids = matcher.stage.classifier.narrative_ids
    out = []
    for case in cases:
        s = matcher.signals(case.text)
        lexical = np.array([s.lexical[n].score if n in s.lexical else 0.0 for n in ids]) / 100.0
        probabilities = s.probabilities if len(s.probabilities) else np.zeros((1, len(ids)))
        margins = s.margins if len(s.margins) else np.full((1, len(ids)), -1.0)
        out.append(Features(case, probabilities, margins, lexical, s.critical_share, s.on_topic))
    return out


@dataclass
class Stacked:
    """One set's features as arrays: the semantic best-window value per (probability, margin) weight pair."""

    semantic: dict[tuple[float, float], np.ndarray]  # cases × narratives
    lexical: np.ndarray  # cases × narratives
    critical: np.ndarray  # cases
    on_topic: np.ndarray  # cases, bool
    kinds: np.ndarray  # cases: 0 propaganda, 1 neutral/unrelated, 2 critical
    correct: np.ndarray  # cases × narratives: the narrative is one of the case's labels


def stack(rows: list[Features], ids: tuple[str, ...]) -> Stacked:
    semantic = {
        (p, m): np.stack([(p * f.probabilities + m * f.margins).max(axis=0) for f in rows])
        for p in GRID["probability"] for m in GRID["margin"]
    }
    kind = {"propaganda": 0, "neutral": 1, "unrelated": 1, "critical": 2}
    return Stacked(
        semantic, np.stack([f.lexical for f in rows]), np.array([f.critical for f in rows]),
        np.array([f.on_topic for f in rows]), np.array([kind[f.case.kind] for f in rows]),
        np.array([[n in f.case.labels for n in ids] for f in rows]),
    )


def subset(data: Stacked, index: list[int]) -> Stacked:
    return Stacked(
        {k: v[index] for k, v in data.semantic.items()}, data.lexical[index], data.critical[index],
        data.on_topic[index], data.kinds[index], data.correct[index],
    )


def top_alerts(data: Stacked, blend: Blend) -> tuple[np.ndarray, np.ndarray]:
    """Per case: whether its top narrative is a right one, and the top value."""
    topic = np.where(data.on_topic, 1.0, blend.no_topic)[:, None]
    value = topic * data.semantic[(blend.probability, blend.margin)] + blend.lexical * data.lexical
    value -= blend.critical * data.critical[:, None]
    best = value.argmax(axis=1)
    rows = np.arange(len(best))
    return data.correct[rows, best], value[rows, best]


def tally(data: Stacked, right: np.ndarray, values: np.ndarray, cuts: np.ndarray) -> dict[str, np.ndarray]:
    """The README's measures for every cut-off at once."""
    alert = values[None, :] >= np.atleast_1d(cuts)[:, None]
    propaganda, quiet, critical = data.kinds == 0, data.kinds == 1, data.kinds == 2
    hits = (alert & propaganda & right).sum(axis=1)
    wrong = (alert & propaganda & ~right).sum(axis=1)
    false_alarms = (alert & quiet).sum(axis=1)
    flagged = hits + wrong + false_alarms
    precision = np.where(flagged > 0, hits / np.maximum(flagged, 1), 1.0)
    recall = hits / max(1, int(propaganda.sum()))
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    return {
        "f1": f1, "precision": precision, "recall": recall,
        "false_alarms": false_alarms / max(1, int(quiet.sum())),
        "critical": (alert & critical).sum(axis=1) / max(1, int(critical.sum())),
    }


def fit(sets: list[Stacked], max_false_alarms: float = MAX_FALSE_ALARMS) -> Blend:
    """The grid point and cut-off with the best F1 (the last set counted double) within the ceilings."""
    best: tuple[float, Blend] | None = None
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values, strict=True))
        blend = Blend(**params, cut=1.0)
        scored = [top_alerts(data, blend) for data in sets]
        cuts = np.unique(np.round(np.concatenate([v for _, v in scored]), 3))
        cuts = cuts[cuts > 0.05]
        if not len(cuts):
            continue
        stats = [tally(data, right, v, cuts) for data, (right, v) in zip(sets, scored, strict=True)]
        real = stats[-1]
        objective = 2 * real["f1"] + sum(s["f1"] for s in stats[:-1])
        allowed = (real["false_alarms"] <= max_false_alarms) & (real["critical"] <= MAX_CRITICAL)
        for own in stats[:-1]:  # the team's sets: fact-check articles must not start alerting wholesale
            allowed &= own["critical"] <= MAX_CRITICAL_OWN
        if not allowed.any():
            continue
        i = int(np.where(allowed, objective, -1.0).argmax())
        if best is None or objective[i] > best[0] + 1e-9:
            best = (float(objective[i]), Blend(**params, cut=float(cuts[i])))
    if best is None:
        raise SystemExit("no blend meets the ceilings on this data")
    return best[1]


def measures(data: Stacked, blend: Blend) -> dict[str, float]:
    right, values = top_alerts(data, blend)
    return {k: float(v[0]) for k, v in tally(data, right, values, np.array([blend.cut])).items()}


def held_out(sets: list[Stacked], splits: int, seed: int, max_false_alarms: float) -> dict[str, float]:
    """The mean measures on halves of the last set, each scored by a blend fitted without it."""
    rng = random.Random(seed)
    held: list[dict[str, float]] = []
    real = sets[-1]
    n_real = len(real.kinds)
    for _ in range(splits):
        order = list(range(n_real))
        rng.shuffle(order)
        half = n_real // 2
        for train_idx, test_idx in ((order[:half], order[half:]), (order[half:], order[:half])):
            split_blend = fit([*sets[:-1], subset(real, train_idx)], max_false_alarms)
            held.append(measures(subset(real, test_idx), split_blend))
    return {k: float(np.mean([h[k] for h in held])) for k in held[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--write", action="store_true", help=f"write the fitted blend to {BLEND_FILE}")
    parser.add_argument("--splits", type=int, default=10, help="two-fold splits for the held-out estimate")
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[20261201],
        help="seeds of the splits: the estimate moves with the split, so quote it over several",
    )
    parser.add_argument(
        "--max-false-alarms", type=float, default=MAX_FALSE_ALARMS,
        help="ceiling on the real set's false alarms in the fit (share of its neutral and unrelated texts)",
    )
    args = parser.parse_args()
    # Every sentence is read, whatever the load: the reply-time budget would make the fit depend on the machine.
    settings = replace(load_settings(), semantic_budget_s=math.inf)
    matcher = full_matcher(settings, load_library(settings.library_path), progress=terminal_progress("embedding"))
    ids = matcher.stage.classifier.narrative_ids
    sets = [stack(features(matcher, load_cases(path)), ids) for path in args.sets]
    blend = fit(sets, args.max_false_alarms)
    fitted = [measures(data, blend) for data in sets]
    for path, stats in zip(args.sets, fitted, strict=True):
        print(f"fitted on all, {path.name}: " + "  ".join(f"{k} {v:.3f}" for k, v in stats.items()))
    # Held-out estimate: fit on the other sets plus half of the last one, score the other half.
    per_seed = {seed: held_out(sets, args.splits, seed, args.max_false_alarms) for seed in args.seeds}
    for seed, estimate in per_seed.items():
        print(f"held-out halves of {args.sets[-1].name}, seed {seed} ({2 * args.splits} fits): "
              + "  ".join(f"{k} {v:.3f}" for k, v in estimate.items()))
    mean = {k: float(np.mean([e[k] for e in per_seed.values()])) for k in next(iter(per_seed.values()))}
    if len(per_seed) > 1:
        print(f"held-out, mean of {len(per_seed)} seeds: " + "  ".join(f"{k} {v:.3f}" for k, v in mean.items()))
    print("blend:", json.dumps(asdict(blend)))
    if args.write:
        record = {
            "blend": asdict(blend),
            "fitted": {
                "on": [p.name for p in args.sets], "date": date.today().isoformat(), "model": matcher.stage.model_id,
                "in_sample": {p.name: {k: round(v, 3) for k, v in s.items()} for p, s in zip(args.sets, fitted,
                                                                                          strict=True)},
                "held_out_halves": {k: round(v, 3) for k, v in mean.items()},
                "held_out_seeds": {str(seed): round(e["f1"], 3) for seed, e in per_seed.items()},
            },
        }
        BLEND_FILE.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {BLEND_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
