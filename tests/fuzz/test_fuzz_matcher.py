"""Properties of the matcher: any text scores without error, within bounds, and disguises change nothing
(issue 11, item 8)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from matchers import Matcher
from matchers.normalize import fold
from tests.fuzz.fuzzing import FUZZ, nasty_text, prose

_INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
texts = st.one_of(prose, nasty_text, st.lists(st.one_of(prose, st.sampled_from([". ", "\n\n", "! ", "…"]))).map("".join))


@FUZZ
@given(text=texts)
def test_any_text_scores_within_bounds(matcher: Matcher, text: str) -> None:
    matches = matcher.score_all(text)
    ids = [m.narrative_id for m in matches]
    assert len(set(ids)) == len(ids) and set(ids) <= set(matcher.library.ids)
    assert all(0 <= m.score <= 100 for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    assert all(m.level in ("alert", "suggest") for m in matches)


@FUZZ
@given(text=texts, at=st.lists(st.integers(min_value=0, max_value=10_000), max_size=5), mark=st.sampled_from(_INVISIBLE))
def test_invisible_characters_change_nothing(matcher: Matcher, text: str, at: list[int], mark: str) -> None:
    disguised = text
    for position in sorted((int(p) % (len(text) + 1) for p in at), reverse=True):
        disguised = disguised[:position] + mark + disguised[position:]
    if mark in text:
        return  # the original already holds one: nothing to compare against
    assert fold(disguised) == fold(text)
    assert [(m.narrative_id, m.score) for m in matcher.score_all(disguised)] == [
        (m.narrative_id, m.score) for m in matcher.score_all(text)
    ]


@FUZZ
@given(text=texts)
def test_fold_is_idempotent(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
