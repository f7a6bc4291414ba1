"""Loading the library and compiling its lexical stage: the shipped library and a hundredfold one, from YAML
(the baseline: parse and compile) and from the bot's cache of the parsed library and index; the hundredfold one both
as one file and split over a folder of 100 part-files. For the bot's loads, also the cost of one hot-reload check of
the unchanged library (list and stat its files), and of the periodic verification (read and hash every file).

Run: python bench/bench_library_load.py   (each configuration in its own process)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_matcher import synthetic_library  # noqa: E402

from bot.library_cache import LibraryCache  # noqa: E402
from bot.library_holder import LibraryHolder  # noqa: E402
from matchers import Library, Matcher, load_library  # noqa: E402
from matchers.library_files import SETTLE_NS  # noqa: E402

SHIPPED = ROOT / "narratives.yaml"


def library_yaml(library: Library) -> str:
    """The library back as narratives.yaml text. Every mapping is a fresh one: the synthetic library's copies share
    their translations, which the dumper would otherwise write once and refer to by alias, which the loader refuses."""
    data: dict[str, Any] = {
        "version": 1,
        "concepts": {k: list(v) for k, v in library.concepts.items()},
        "critical_markers": list(library.critical_markers),
        "topic_terms": list(library.topic_terms),
        "narratives": [
            {
                "id": n.id, "title": dict(vars(n.titles)), "summary": dict(vars(n.summaries)),
                "debunk": dict(vars(n.debunks)),
                "sources": [{"title": s.title, "url": s.url} for s in n.sources], "topic": n.topic,
                "anchors": list(n.anchors), "phrasings": {k: list(v) for k, v in n.phrasings.items()},
                "cues": dict(n.cues), "examples": list(n.examples), "non_examples": list(n.non_examples),
                "counter_examples": {k: list(v) for k, v in n.counter_examples.items()},
            }
            for n in library.narratives
        ],
    }
    return yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False, width=1000)


def write_parts(library: Library, folder: Path, files: int) -> None:
    """The library as a folder of `files` part-files: the first carries the shared sections, every one a run of
    narratives (names zero-padded, so that their order is the library's)."""
    folder.mkdir()
    narratives = library.narratives
    per_file = -(-len(narratives) // files)
    for i in range(files):
        chunk = narratives[i * per_file:(i + 1) * per_file]
        shared = {"concepts": {}, "critical_markers": (), "topic_terms": ()} if i else {}
        part = dataclasses.replace(library, narratives=chunk, **shared)
        text = library_yaml(part)
        if not chunk:
            text = text.replace("narratives: []\n", "")
        (folder / f"{i:03d}.yaml").write_text(text, encoding="utf-8")


def run_one(config: str, path: Path, cache_dir: Path) -> dict[str, float]:
    start = time.perf_counter()
    check_ms = verify_ms = float("nan")
    if config == "yaml":
        Matcher(load_library(path, max_bytes=256 * 1024 * 1024))
        elapsed = time.perf_counter() - start
    else:  # the bot's way: the holder, with the cache (cold fills it, warm reads it)
        holder = LibraryHolder(path, max_bytes=256 * 1024 * 1024, cache=LibraryCache(cache_dir))
        elapsed = time.perf_counter() - start
        time.sleep(SETTLE_NS / 1e9)  # files written (or a cache filled) this instant are read again, by design
        assert not holder.reload_if_changed()  # the first check after the load: its stamp settles here
        start = time.perf_counter()
        assert not holder.reload_if_changed()
        check_ms = (time.perf_counter() - start) * 1000
        holder.verify_every_s = 0.0  # what the periodic verification costs: every file read and hashed
        start = time.perf_counter()
        assert not holder.reload_if_changed()
        verify_ms = (time.perf_counter() - start) * 1000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": elapsed, "peak_mb": peak, "check_ms": check_ms, "verify_ms": verify_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--make", help=argparse.SUPPRESS)
    parser.add_argument("--make-parts", help=argparse.SUPPRESS)
    parser.add_argument("--files", type=int, default=100, help="part-files of the split 100x library (100)")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], Path(args.one[1]), Path(args.one[2]))))
        return
    if args.make:
        Path(args.make).write_text(library_yaml(synthetic_library(load_library(SHIPPED), 100)), encoding="utf-8")
        return
    if args.make_parts:
        write_parts(synthetic_library(load_library(SHIPPED), 100), Path(args.make_parts), args.files)
        return
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "narratives-100x.yaml"
        # Written by another process: a child's peak memory on Linux starts from its parent's at fork.
        subprocess.run([sys.executable, __file__, "--make", str(big)], check=True)
        parts = Path(tmp) / "parts-100x"  # not narratives-100x.d, which would be read with the single file
        subprocess.run([sys.executable, __file__, "--make-parts", str(parts), "--files", str(args.files)], check=True)
        size = big.stat().st_size / 1e6
        parts_size = sum(p.stat().st_size for p in parts.iterdir()) / 1e6
        print(
            f"load and compile the lexical stage, one process each; 100x library: {size:.0f} MB in one file, "
            f"{parts_size:.0f} MB in {args.files} files\n"
        )
        print(f"{'library':14} {'how':36} {'seconds':>8} {'peak MB':>8} {'check ms':>9} {'verify ms':>9}")
        for label, path in (("shipped", SHIPPED), ("100x", big), (f"100x/{args.files}", parts)):
            cache = Path(tmp) / f"cache-{label}"
            configs = (("yaml", "baseline: parse YAML and compile"), ("cold", "bot, cache empty (fills it)"),
                       ("warm", "bot, from the cache"))
            for config, how in configs if label.startswith("100x") else configs[:1]:
                mode = "yaml" if config == "yaml" else "holder"
                done = subprocess.run(
                    [sys.executable, __file__, "--one", mode, str(path), str(cache)], capture_output=True, text=True
                )
                if done.returncode != 0:
                    sys.exit(f"{label} {config} failed (exit {done.returncode}):\n{done.stderr}")
                r = json.loads(done.stdout)
                check = "" if config == "yaml" else f"{r['check_ms']:9.1f} {r['verify_ms']:9.0f}"
                print(f"{label:14} {how:36} {r['seconds']:8.1f} {r['peak_mb']:8.0f} {check}")
    print("\nThe shipped library is below the cache's 2 MB floor: it is parsed and compiled at every start.")
    print("target: the 100x library loads and compiles in < 5 s")


if __name__ == "__main__":
    main()
