"""How fast this machine runs plain Python right now, printed beside a benchmark's figures.

A shared machine's speed moves by a factor of two within minutes (the same matcher run measured 50 and 101
articles/s a few minutes apart on the project's 2-core machine). A fixed workload timed just before and after a
benchmark says which kind of moment its figures come from. The workload is the matcher's kind of work: string
slicing, set and dict operations, no numpy, no I/O.
"""

from __future__ import annotations

import statistics
import time

_WORDS = [f"слово{i}" for i in range(2_000)]


def _workload() -> int:
    seen: dict[str, int] = {}
    total = 0
    for round_ in range(60):
        for word in _WORDS:
            key = word[:5] + str(round_ % 7)
            seen[key] = seen.get(key, 0) + 1
            total += len({word[:6], word[:7], key} & {key, word})
    return total + len(seen)


def reference_ms() -> float:
    """Milliseconds the fixed workload takes, the median of seven runs of some 0.1-0.3 s each (lower is a faster
    moment): the median, as the benchmarks report theirs."""
    times = []
    for _ in range(7):
        start = time.perf_counter()
        _workload()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)
