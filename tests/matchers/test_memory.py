"""Matching a text costs memory linear in its length, whatever its words look like (issue 11, item 1)."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from matchers import Matcher
from matchers.index import prefixes
from matchers.normalize import MAX_TOKEN_CHARS, tokens

# Bytes of peak Python memory allowed per input character, beyond a fixed allowance. Loose on purpose: the fault
# this guards against was quadratic (a 40 kB token cost gigabytes), and honest text costs well under this.
BYTES_PER_CHAR = 400
ALLOWANCE = 2_000_000


def _peak_and_retained(matcher: Matcher, texts: list[str]) -> tuple[int, int]:
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for text in texts:
            matcher.score_all(text)
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - base, current - base


def _long_words(n: int, count: int) -> list[str]:
    # Distinct long "words" (Cyrillic: two bytes a character in CPython) so no cache can serve one from another.
    return [chr(ord("а") + i) + "я" * (n - 1) for i in range(count)]


@pytest.mark.parametrize("n", [4_000, 16_000])
def test_one_long_token_costs_linear_memory(matcher: Matcher, n: int) -> None:
    matcher.score_all("прогрев кэша")  # warm the library's own lazy state out of the measurement
    peak, retained = _peak_and_retained(matcher, _long_words(n, 3))
    assert peak < ALLOWANCE + BYTES_PER_CHAR * n, peak
    # Nothing proportional to the inputs stays behind in caches once they are matched.
    assert retained < ALLOWANCE, retained


def test_many_long_tokens_in_one_text_cost_linear_memory(matcher: Matcher) -> None:
    text = " ".join(_long_words(2_000, 20))  # 40,000 characters
    peak, retained = _peak_and_retained(matcher, [text])
    assert peak < ALLOWANCE + BYTES_PER_CHAR * len(text), peak
    assert retained < ALLOWANCE, retained


def test_tokens_and_prefixes_are_bounded() -> None:
    word = "ж" * 50_000
    (token,) = tokens(word)
    assert len(token) == MAX_TOKEN_CHARS
    # prefixes() bounds its own work too, whatever a caller hands it.
    assert all(len(p) < MAX_TOKEN_CHARS for p in prefixes(word))
    assert len(prefixes(word)) < MAX_TOKEN_CHARS
