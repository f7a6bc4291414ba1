"""The matcher on the shipped library: examples alert, non-examples stay quiet, evidence is checkable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from matchers import Library, Matcher, Thresholds
from matchers.normalize import fold, split_sentences, stems
from tests.conftest import DEV_SET, LIBRARY_PATH


def _examples() -> list[tuple[str, int, str]]:
    from matchers import load_library

    library = load_library(LIBRARY_PATH)
    return [(n.id, i, text) for n in library.narratives for i, text in enumerate(n.examples)]


def _non_examples() -> list[tuple[str, int, str]]:
    from matchers import load_library

    library = load_library(LIBRARY_PATH)
    return [(n.id, i, text) for n in library.narratives for i, text in enumerate(n.non_examples)]


@pytest.mark.parametrize(("narrative_id", "index", "text"), _examples(), ids=lambda v: str(v)[:30])
def test_example_alerts_its_narrative(matcher: Matcher, narrative_id: str, index: int, text: str) -> None:
    alerts = matcher.alerts(text)
    assert alerts, f"{narrative_id} example {index} raised no alert: {text}"
    assert alerts[0].narrative_id == narrative_id, [(a.narrative_id, a.score) for a in alerts]


@pytest.mark.parametrize(("narrative_id", "index", "text"), _non_examples(), ids=lambda v: str(v)[:30])
def test_non_example_stays_quiet(matcher: Matcher, narrative_id: str, index: int, text: str) -> None:
    alerts = matcher.alerts(text)
    assert not alerts, f"{narrative_id} non-example {index} alerted {[(a.narrative_id, a.score) for a in alerts]}"


@pytest.mark.parametrize("eval_set", [DEV_SET, DEV_SET.with_name("dev-real.jsonl")], ids=lambda p: p.stem)
def test_no_library_line_is_a_near_copy_of_an_evaluation_text(library: Library, eval_set: Path) -> None:
    """Every line the matcher learns from (phrasings, examples, non-examples, counter-examples, attribution frames)
    is the team's own: none is a near copy of a sentence of the evaluation sets, which would only fool our own
    measurement."""
    if not eval_set.is_file():
        pytest.skip(f"the evaluation set is not at {eval_set}")
    texts = [fold(json.loads(line)["text"]) for line in eval_set.read_text(encoding="utf-8").splitlines() if line]
    sentences = [s.text for t in texts for s in split_sentences(t)]
    for narrative in library.narratives:
        lines = [p for _, p in narrative.all_phrasings()]
        lines += [*narrative.examples, *narrative.non_examples, *narrative.all_counter_examples()]
        for text in lines:
            folded = fold(text)
            for other in sentences:
                assert fuzz.ratio(folded, other) < 70, f"{narrative.id}: {text!r} is a near copy of {other!r}"
                assert fuzz.token_set_ratio(folded, other) < 80 or len(other.split()) < 5, (narrative.id, text, other)
    # The attribution frames too, without their slot (only whole-string likeness: a frame's few words are
    # naturally all found in some longer sentence)
    for frames in library.attributions.values():
        for frame in frames:
            folded = fold(frame.replace("{claim}", "").replace("{quote}", ""))
            for other in sentences:
                assert fuzz.ratio(folded, other) < 70, f"frame {frame!r} is a near copy of {other!r}"


def test_match_shape_and_evidence_is_the_matching_sentence(matcher: Matcher, library: Library) -> None:
    example = library.get("sanctions-illegitimate").examples[0]  # type: ignore[union-attr]
    article = (
        "The weather in Vladivostok was mild this week. Local markets reported steady prices for fish. "
        f"{example} The regional governor opened a new school on Monday."
    )
    matches = matcher.match(article)
    top = matches[0]
    assert top.narrative_id == "sanctions-illegitimate"
    assert 0 <= top.score <= 100 and top.level == "alert"
    assert example.strip() in top.evidence and "weather" not in top.evidence and "school" not in top.evidence
    assert top.matched  # what it matched against: a phrasing or cue terms
    assert matches == sorted(matches, key=lambda m: -m.score)
    assert len({m.narrative_id for m in matches}) == len(matches)


def test_deterministic(matcher: Matcher, library: Library) -> None:
    text = " ".join(n.examples[0] for n in library.narratives)
    assert matcher.match(text) == matcher.match(text) == Matcher(library).match(text)


def test_inflection_and_folding_do_not_hide_a_match(matcher: Matcher) -> None:
    base = "Западные политики впали в истерику из-за союза Путина и Ким Чен Ына, Запад в панике от КНДР."
    variant = "ЗАПАДНЫЕ ПОЛИТИКИ ВПАЛИ В ИСТЕРИКУ ИЗ-ЗА СОЮЗА ПУТИНА И КИМ ЧЕН ЫНА, ЗАПАД В ПАНИКЕ ОТ КНДР."
    a, b = matcher.alerts(base), matcher.alerts(variant)
    assert a and b and a[0].narrative_id == b[0].narrative_id == "west-in-panic"
    assert a[0].score == b[0].score
    assert stems("ёлка") == stems("елка")
    assert stems("п’ять") == stems("п'ять") == stems("пʼять")


def test_topic_gate_keeps_generic_panic_quiet(matcher: Matcher) -> None:
    text = "Western politicians are in hysteria and panic over new cheese tariffs announced by the European Union."
    assert not matcher.alerts(text)


def test_unrelated_and_empty_texts(matcher: Matcher) -> None:
    assert matcher.match("") == []
    assert matcher.match("   \n ") == []
    assert not matcher.alerts("The European Central Bank kept interest rates unchanged on Thursday.")
    assert not matcher.alerts("😀 " * 500)


def test_short_text_needs_strong_evidence(matcher: Matcher) -> None:
    assert not matcher.alerts("Запад в панике")
    assert not matcher.alerts("fake")


def test_critical_reporting_is_damped(matcher: Matcher, library: Library) -> None:
    claim = "Western politicians are in hysteria and panic over the Putin–Kim summit"
    pushed = matcher.score_all(f"{claim}, and Washington is terrified.")
    reported = matcher.score_all(f"Kremlin propaganda claims that {claim}, but that is false.")
    top_pushed = next(m for m in pushed if m.narrative_id == "west-in-panic")
    top_reported = next(m for m in reported if m.narrative_id == "west-in-panic")
    assert top_reported.score < top_pushed.score


def test_thresholds_decide_levels(library: Library) -> None:
    text = library.get("troops-denial").examples[0]  # type: ignore[union-attr]
    strict = Matcher(library, Thresholds(alert=99.9, suggest=1.0))
    matches = strict.match(text)
    assert matches and all(m.level == "suggest" for m in matches)
    assert strict.alerts(text) == []


def test_whole_article_is_scored_by_windows(matcher: Matcher, library: Library) -> None:
    filler = "Officials discussed regional trade, fisheries and the schedule of the next meeting. " * 60
    example = library.get("troops-denial").examples[0]  # type: ignore[union-attr]
    alerts = matcher.alerts(filler + example + " " + filler)
    assert alerts and alerts[0].narrative_id == "troops-denial"
    assert len(alerts[0].evidence) < 600


MINI_LIBRARY = """
version: 1
concepts:
  dprk: [North Korea, Pyongyang]
narratives:
  - id: denial
    title: {en: Troops denial, uk: Заперечення військ, ru: Отрицание войск}
    summary: {en: Reports of troops are fake., uk: Повідомлення про війська — фейк., ru: Сообщения о войсках — фейк.}
    debunk:
      en: Both governments later acknowledged the deployment in public.
      uk: Обидва уряди згодом публічно визнали розгортання.
      ru: Оба правительства позже публично признали развёртывание.
    sources: [{title: Example, url: "https://example.org/a"}]
    anchors: [soldiers, troops]
    phrasings:
      ru: [Солдат КНДР под Курском нет, это фейк]
      en: [There are no North Korean soldiers in Kursk, it is a fake invented by the CIA]
      uk: [Солдатів КНДР під Курськом немає, це фейк]
    cues: {fake: 3, invented: 2}
"""


def test_anchors_damp_loaded_words_without_the_subject() -> None:
    from matchers import parse_library

    mini = Matcher(parse_library(MINI_LIBRARY))
    on_subject = mini.score_all("The story of North Korean soldiers in Kursk is a fake invented by the CIA.")
    off_subject = mini.score_all("The story of North Korean harvests in Kursk is a fake invented by the CIA.")
    assert on_subject and off_subject
    assert off_subject[0].score < on_subject[0].score * 0.7


@pytest.mark.parametrize(
    "text",
    [
        "Захарова назвала сообщения о северокорейских военных в Курской области фейком, однако позже Кремль признал их участие в боях.",
        "Zakharova called the reports of North Korean troops in Kursk a fake, but Moscow later acknowledged they had fought there.",
    ],
)
def test_a_denial_reported_against_the_later_admission_does_not_alert(matcher: Matcher, text: str) -> None:
    assert not matcher.alerts(text)


def test_us_abbreviations_are_the_country_not_the_pronoun(matcher: Matcher) -> None:
    from matchers.index import analyse

    toks = analyse("The U.S. and the US told us so, U.S.A.", matcher.compiled.rewriter)
    assert toks.all.count("§usa") == 3
    assert "us" in toks.raw  # the pronoun stays a pronoun
