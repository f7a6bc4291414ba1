"""Matching throughput and memory: the shipped library and a 100x synthetic one, against a naive baseline.

Run: python bench/bench_matcher.py  (prints a table; each configuration runs in its own process so that the
peak-memory figure is its own).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine import reference_ms  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from matchers import Library, Matcher, load_library  # noqa: E402
from matchers.library import Narrative  # noqa: E402

ARTICLE_CHARS = 5000
ARTICLES_PER_LANG = 20
# One pass over the 40 articles takes under a second, so a moment of load on a shared machine can halve its rate:
# the matcher is timed over several passes of 40 articles each and the median pass is the figure (the range is printed
# beside it).
PASSES = 7


def make_articles(library: Library, lang: str, count: int, seed: int = 7) -> list[str]:
    """Article-size texts: library examples and non-examples of one script, shuffled, with neutral filler."""
    rng = random.Random(seed)
    cyrillic = lang == "ru"
    pool = [
        t
        for n in library.narratives
        for t in (*n.examples, *n.non_examples)
        if any("а" <= ch <= "я" for ch in t.lower()) == cyrillic
    ]
    filler_ru = (
        "В администрации края сообщили о ремонте дорог и школ. Синоптики обещают тёплую погоду до конца недели. "
        "На рынке выросли цены на рыбу и овощи, отмечают местные жители. "
    )
    filler_en = (
        "Local officials reported progress on road and school repairs. Forecasters expect mild weather through the "
        "weekend. Prices for fish and vegetables rose at the central market, residents said. "
    )
    filler = filler_ru if cyrillic else filler_en
    articles = []
    for _ in range(count):
        parts: list[str] = []
        while sum(len(p) for p in parts) < ARTICLE_CHARS:
            parts.append(rng.choice(pool) if rng.random() < 0.3 else filler)
        articles.append(" ".join(parts)[:ARTICLE_CHARS])
    return articles


def synthetic_library(library: Library, factor: int, seed: int = 11) -> Library:
    """`factor` copies of every narrative, each phrasing and cue given two invented words, so the vocabulary and
    the index grow as a real hundredfold library's would. The words come from a pool that grows like a real
    vocabulary (Heaps' law, about V = 40 * N^0.6 for N words of text), not one new word per line."""
    rng = random.Random(seed)
    letters = "абвгдеклмнопрстуxyzqwkjhg"
    total_words = factor * sum(len(p.split()) for n in library.narratives for _, p in n.all_phrasings())
    pool = ["".join(rng.choice(letters) for _ in range(rng.randint(6, 10))) for _ in range(int(40 * total_words**0.6))]

    def word() -> str:
        return rng.choice(pool)

    narratives: list[Narrative] = []
    for copy in range(factor):
        for n in library.narratives:
            phrasings = {
                lang: tuple(f"{p} {word()} {word()}" for p in items) for lang, items in n.phrasings.items()
            }
            cues = {f"{term} {word()}" if copy else term: w for term, w in n.cues.items()}
            narratives.append(replace(n, id=f"{n.id}-{copy}", phrasings=phrasings, cues=cues))
    return replace(library, narratives=tuple(narratives))


def fresh_articles(library: Library, seed: int) -> list[str]:
    return make_articles(library, "ru", ARTICLES_PER_LANG, seed) + make_articles(library, "en", ARTICLES_PER_LANG, seed)


def run_one(config: str) -> dict[str, float]:
    library = load_library(ROOT / "narratives.yaml")
    if config.endswith("100x"):
        library = synthetic_library(library, 100)
    articles = fresh_articles(library, seed=7)
    if config == "baseline-100x":
        articles = articles[::10]  # some 15 s an article: four of them give the rate, forty would take ten minutes
    start = time.perf_counter()
    if config.startswith("baseline"):
        phrasings = [p for n in library.narratives for _, p in n.all_phrasings()]
        build_s = time.perf_counter() - start
        start = time.perf_counter()
        for article in articles:
            process.extractOne(article, phrasings, scorer=fuzz.partial_ratio)
        passes = [time.perf_counter() - start]
    else:
        matcher = Matcher(library)
        build_s = time.perf_counter() - start
        matcher.match(articles[0])  # warm the stem cache as a running bot would have
        passes = []
        for round_ in range(1 if config.endswith("100x") else PASSES):
            # Fresh articles each pass (same recipe, another seed), so no pass reads what an earlier one cached.
            batch = articles if not round_ else fresh_articles(library, seed=100 + round_)
            start = time.perf_counter()
            for article in batch:
                matcher.match(article)
            passes.append(time.perf_counter() - start)
    elapsed = statistics.median(passes)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "narratives": len(library.narratives),
        "phrasings": sum(1 for n in library.narratives for _ in n.all_phrasings()),
        "build_s": build_s,
        "articles_per_s": len(articles) / elapsed,
        "ms_per_article": 1000 * elapsed / len(articles),
        "peak_mb": peak_mb,
        "passes": len(passes),
        "slowest_per_s": len(articles) / max(passes),
        "fastest_per_s": len(articles) / min(passes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    configs = ["matcher-shipped", "baseline-shipped", "matcher-100x", "baseline-100x"]
    print(f"{ARTICLES_PER_LANG * 2} articles of {ARTICLE_CHARS} characters (ru + en), one core, one process each")
    before = reference_ms()
    print(f"machine reference before the run: {before:.0f} ms (bench/machine.py; lower is a faster moment)\n")
    header = (
        "configuration", "narratives", "phrasings", "build s", "art/s", "ms/art", "peak MB", "passes", "range art/s"
    )
    print(f"{header[0]:18} " + " ".join(f"{h:>10}" for h in header[1:]))
    for config in configs:
        out = subprocess.run(
            [sys.executable, __file__, "--one", config], capture_output=True, text=True, check=True
        ).stdout
        r = json.loads(out)
        print(
            f"{config:18} {r['narratives']:10.0f} {r['phrasings']:10.0f} {r['build_s']:10.2f} "
            f"{r['articles_per_s']:10.1f} {r['ms_per_article']:10.2f} {r['peak_mb']:10.0f} {r['passes']:10.0f} "
            f"{r['slowest_per_s']:>6.1f}-{r['fastest_per_s']:<6.1f}"
        )
    print(f"\nmachine reference after the run: {reference_ms():.0f} ms (before: {before:.0f} ms)")
    print("art/s is the median pass; the range is the slowest and the fastest pass")
    print("targets: >= 100 articles/s (shipped), < 50 ms/article (100x), < 200 MB peak")


if __name__ == "__main__":
    main()
