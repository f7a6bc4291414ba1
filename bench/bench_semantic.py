"""The semantic stage: embedding and matching speed, library build time, link-reply latency, peak memory.

Run: python bench/bench_semantic.py   (each configuration in its own process, so peak memory is its own)

Every figure has its baseline in the same run: the lexical stage alone for matching and for link replies, a warm
build (vectors from the cache) for the cold build. The hundredfold library's embedding time is extrapolated from
the measured embedding rate (it is some two hours of one core), and said so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_matcher import make_articles  # noqa: E402

from matchers import Matcher, load_library  # noqa: E402
from matchers.classifier import training_set  # noqa: E402
from matchers.normalize import split_sentences  # noqa: E402

LIBRARY = ROOT / "narratives.yaml"
ARTICLES = 20
LINK_REPLIES = 20


def distinct_articles(articles: list[str]) -> list[str]:
    """Number every sentence: the stage memoises vectors of sentences it has seen (feeds repeat themselves), and
    a benchmark of repeats would measure the memo, not the model."""
    return [
        " ".join(f"{s.text[:-1]} ({i}.{j}){s.text[-1]}" for j, s in enumerate(split_sentences(article)))
        for i, article in enumerate(articles)
    ]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _settings(state: Path, **overrides: object):  # type: ignore[no-untyped-def]
    import ipaddress

    from bot.config import Settings

    values: dict[str, object] = {"db_path": state / "state.sqlite3", "library_path": LIBRARY}
    values.update(overrides)
    values.setdefault("allow_nets", (ipaddress.ip_network("127.0.0.0/8"),))
    return Settings(**values)  # type: ignore[arg-type]


def _full_matcher(state: Path):  # type: ignore[no-untyped-def]
    from bot.semantic_setup import full_matcher

    return full_matcher(_settings(state), load_library(LIBRARY))


def run_matching(config: str) -> dict[str, float]:
    """Sentences/s and articles/s of one stage on the same texts."""
    library = load_library(LIBRARY)
    articles = make_articles(library, "ru", ARTICLES // 2) + make_articles(library, "en", ARTICLES // 2, seed=8)
    articles = distinct_articles(articles)
    with tempfile.TemporaryDirectory() as tmp:
        matcher = Matcher(library) if config == "lexical" else _full_matcher(Path(tmp))
        matcher.match("warm up the stem cache and the model")
        sentences = [s.text for a in articles for s in split_sentences(a)]
        start = time.perf_counter()
        for article in articles:
            matcher.match(article)
        elapsed = time.perf_counter() - start
        embedded = 0
        if config != "lexical":
            embedder = matcher.stage.embedder  # type: ignore[union-attr]
            unique = list(dict.fromkeys(sentences))[:200]
            t0 = time.perf_counter()
            embedder.embed(unique)
            embedded = len(unique) / (time.perf_counter() - t0)
    return {
        "articles_per_s": len(articles) / elapsed, "ms_per_article": 1000 * elapsed / len(articles),
        "sentences_per_s": embedded, "peak_mb": _peak_mb(),
    }


def run_build(config: str) -> dict[str, float]:
    """Build the semantic stage of the shipped library three ways: `build-seed` loads the shipped classifier,
    `build-warm` trains from cached vectors, `build-cold` embeds every line first (no seed, no cache) on one
    thread, and `build-cold-cores` does the same on every core, as `narrative-bot library build` does."""
    import shutil

    import bot.semantic_setup as setup
    from bot.semantic_setup import build_classifier, load_embedder
    from matchers.vectors import model_slug

    library = load_library(LIBRARY)
    lines = len(training_set(library).texts)
    with tempfile.TemporaryDirectory() as tmp:
        threads = (os.cpu_count() or 1) if config == "build-cold-cores" else 1
        settings = _settings(Path(tmp), embedder_threads=threads)
        embedder = load_embedder(settings)
        seed = setup.SEED_DIR
        if config != "build-seed":
            setup.SEED_DIR = Path(tmp) / "no-seed"
        if config == "build-warm":
            name = f"vectors-{model_slug(embedder.model_id)}.npz"
            settings.artefact_dir.mkdir(parents=True)
            shutil.copy(seed / name, settings.artefact_dir / name)
        start = time.perf_counter()
        build_classifier(library, embedder, settings.artefact_dir)
        elapsed = time.perf_counter() - start
        setup.SEED_DIR = seed
    return {"lines": lines, "build_s": elapsed, "lines_per_s": lines / elapsed, "peak_mb": _peak_mb(),
            "threads": threads}


class _Pages(BaseHTTPRequestHandler):
    pages: dict[str, bytes] = {}  # noqa: RUF012 - filled once before the server starts

    def do_GET(self) -> None:
        body = self.pages.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args: object) -> None:
        pass


def run_link_replies(config: str) -> dict[str, float]:
    """Message with a link in, card decided out: fetch on loopback, extraction, matching; distinct articles."""
    from bot.app import build_app
    from bot.extract import wait_warm_up
    from bot.models import IncomingMessage

    library = load_library(LIBRARY)
    articles = distinct_articles(make_articles(library, "ru", LINK_REPLIES, seed=21))
    for i, text in enumerate(articles):
        paragraphs = "".join(f"<p>{s.text}</p>" for s in split_sentences(text))
        _Pages.pages[f"/a{i}.html"] = (
            f"<html><head><title>Статья {i}</title></head><body><article><h1>Статья {i}</h1>{paragraphs}"
            "</article></body></html>"
        ).encode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    async def main() -> list[float]:
        with tempfile.TemporaryDirectory() as tmp:
            settings = _settings(Path(tmp), semantic=config == "reply-full", allowed_ports=(port,))
            async with build_app(settings) as app:
                # Steady state, as a bot that has been up a while: the semantic stage built and the date parser's
                # start-up warm-up done (`bot.extract.start_warm_up`), neither of which a first reply should time.
                app.library.wait_semantic()
                wait_warm_up()
                times = []
                for i in range(LINK_REPLIES):
                    message = IncomingMessage("bench", "C1", str(i), f"http://127.0.0.1:{port}/a{i}.html")
                    start = time.perf_counter()
                    await app.core.handle_message(message)
                    times.append(time.perf_counter() - start)
                return times

    times = asyncio.run(main())
    server.shutdown()
    quantiles = statistics.quantiles(times, n=20)
    return {"p50_s": statistics.median(times), "p95_s": quantiles[18], "peak_mb": _peak_mb()}


RUNNERS = {
    "lexical": run_matching, "full": run_matching, "build-seed": run_build, "build-warm": run_build,
    "build-cold": run_build, "build-cold-cores": run_build,
    "reply-lexical": run_link_replies, "reply-full": run_link_replies,
}


def _run(config: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--one", config], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(RUNNERS[args.one](args.one)))
        return
    print(f"{date.today().isoformat()}, {platform.machine()}, {platform.processor() or platform.platform()}, "
          "one process per configuration, the model on one thread\n")
    lexical, full = _run("lexical"), _run("full")
    print(f"matching {ARTICLES} articles of 5,000 characters (ru + en)")
    print(f"  {'stage':28} {'articles/s':>10} {'ms/article':>10} {'sentences/s':>12} {'peak MB':>8}")
    for name, r in (("lexical (baseline)", lexical), ("lexical + semantic", full)):
        sentences = f"{r['sentences_per_s']:12.0f}" if r["sentences_per_s"] else f"{'—':>12}"
        print(f"  {name:28} {r['articles_per_s']:10.1f} {r['ms_per_article']:10.0f} {sentences} {r['peak_mb']:8.0f}")
    shipped, warm, cold, cores = _run("build-seed"), _run("build-warm"), _run("build-cold"), _run("build-cold-cores")
    print(f"\nbuilding the semantic stage of the shipped library ({cold['lines']:.0f} lines)")
    print(f"  {'build':28} {'seconds':>10} {'lines/s':>10} {'peak MB':>8}")
    builds = (("shipped classifier loaded", shipped), ("vectors cached, trained", warm),
              ("cold: every line embedded", cold),
              (f"cold, {cores['threads']:.0f} threads (library build)", cores))
    for name, r in builds:
        print(f"  {name:28} {r['build_s']:10.1f} {r['lines_per_s']:10.0f} {r['peak_mb']:8.0f}")
    hundredfold = 100 * cold["lines"] / full["sentences_per_s"] / 3600 if full["sentences_per_s"] else float("nan")
    spread = hundredfold * cores["build_s"] / cold["build_s"]
    print(f"  100x library, embedding only: about {hundredfold:.1f} h on one core, {spread:.1f} h on "
          f"{cores['threads']:.0f} (extrapolated from sentences/s and the cold builds' ratio)")
    quick, slow = _run("reply-lexical"), _run("reply-full")
    print(f"\nlink replies: {LINK_REPLIES} distinct 5,000-character articles served on loopback")
    print(f"  {'stage':28} {'p50 s':>10} {'p95 s':>10} {'peak MB':>8}")
    for name, r in (("lexical (baseline)", quick), ("lexical + semantic", slow)):
        print(f"  {name:28} {r['p50_s']:10.2f} {r['p95_s']:10.2f} {r['peak_mb']:8.0f}")
    print("\ntargets: link reply p95 < 3 s with the semantic stage; peak memory < 400 MB with the shipped library")


if __name__ == "__main__":
    main()
