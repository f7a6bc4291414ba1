"""Matching quality guards: the development set's targets, and an independently written long-form set.

The long-form set (tests/fixtures/eval/longform.jsonl) was written apart from the library, without sight of it,
as articles and posts of realistic length; its floors sit below today's figures so that a real regression, not
noise, fails them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from matchers import Matcher
from matchers.evaluation import evaluate, load_cases
from tests.conftest import DEV_SET

LONGFORM = Path(__file__).resolve().parent.parent / "fixtures" / "eval" / "longform.jsonl"


def test_development_set_targets(matcher: Matcher) -> None:
    if not DEV_SET.is_file():
        pytest.skip(f"the development set is not at {DEV_SET}")
    report = evaluate(matcher, load_cases(DEV_SET))
    assert report.overall.f1 >= 0.90, report.overall.to_dict()
    assert report.overall.false_alarms <= 1


def test_longform_set_floors(matcher: Matcher) -> None:
    report = evaluate(matcher, load_cases(LONGFORM))
    overall = report.overall
    assert overall.propaganda >= 50 and overall.quiet_cases >= 30
    assert overall.precision >= 0.85, overall.to_dict()
    assert overall.recall >= 0.65, overall.to_dict()
    assert overall.false_alarm_rate <= 0.15, overall.to_dict()
    for lang in ("ru", "en", "uk"):
        assert report.by_lang[lang].hits >= 1
