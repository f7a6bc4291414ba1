"""The semantic stage with a stand-in embedder: vector cache, training, persistence, blending, budget, evidence."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from matchers import Matcher, parse_library
from matchers.classifier import Classifier, is_negative, train, training_set, twin_of
from matchers.library import Library
from matchers.semantic import Blend, HybridMatcher, SemanticStage
from matchers.vectors import VectorStore
from tests.matchers.semantic_fixtures import SMALL_LIBRARY, HashEmbedder


@pytest.fixture
def small() -> Library:
    return parse_library(SMALL_LIBRARY, "small.yaml")


def trained(library: Library, embedder: HashEmbedder) -> Classifier:
    data = training_set(library)
    return train(data, embedder.embed(data.texts), embedder.model_id)


def hybrid(library: Library, embedder: HashEmbedder | None = None, **stage: object) -> HybridMatcher:
    embedder = embedder or HashEmbedder()
    blend = Blend(probability=1.0, margin=0.0, lexical=0.3, critical=0.5, no_topic=0.6, cut=0.5)
    return HybridMatcher(Matcher(library), SemanticStage(embedder, trained(library, embedder), **stage), blend)


def test_training_set_labels_positives_and_negatives(small: Library) -> None:
    data = training_set(small)
    assert data.labels.count("troops-denial") == 6 and data.labels.count("sanctions-illegitimate") == 5
    assert sum(map(is_negative, data.labels)) == 7
    # each narrative's negatives form its own class, its neutral twin
    assert {label for label in data.labels if is_negative(label)} <= {twin_of(n.id) for n in small.narratives}
    assert len(set(data.texts)) == len(data.texts)


def test_training_is_deterministic_and_keyed_by_its_inputs(small: Library) -> None:
    first, second = trained(small, HashEmbedder()), trained(small, HashEmbedder())
    assert np.array_equal(first.weights, second.weights) and first.key == second.key
    edited = parse_library(SMALL_LIBRARY.replace("очередной фейк", "наглый фейк"), "small.yaml")
    assert training_set(edited).key("test-hash-256") != first.key
    assert training_set(small).key("another-model") != first.key


def test_classifier_round_trips_and_refuses_another_key(small: Library, tmp_path: Path) -> None:
    classifier = trained(small, HashEmbedder())
    path = tmp_path / "c.npz"
    classifier.save(path)
    loaded = Classifier.load(path, classifier.key)
    assert loaded is not None and loaded.classes == classifier.classes
    vectors = HashEmbedder().embed(["Санкции ООН против КНДР мертвы."])
    assert np.allclose(loaded.probabilities(vectors), classifier.probabilities(vectors), atol=1e-6)
    assert np.allclose(loaded.margins(vectors), classifier.margins(vectors), atol=1e-3)
    assert Classifier.load(path, "another-key") is None
    path.write_bytes(b"not a zip file")
    assert Classifier.load(path, classifier.key) is None


def test_probabilities_pick_the_narrative_and_margins_its_side(small: Library) -> None:
    embedder = HashEmbedder()
    classifier = trained(small, embedder)
    column = classifier.narrative_ids.index("troops-denial")
    claim, report = embedder.embed([
        "There are no North Korean soldiers in Kursk, it is a fake of Western intelligence.",
        "South Korea's intelligence service said North Korean soldiers were deployed to Kursk.",
    ])
    probabilities = classifier.probabilities(np.stack([claim, report]))
    assert probabilities[0].argmax() == column
    assert probabilities[0, column] > probabilities[1, column]
    margins = classifier.margins(np.stack([claim, report]))
    assert margins[0, column] > 0 > margins[1, column]


def test_vector_store_embeds_only_what_it_lacks_and_persists(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    path = tmp_path / "vectors.npz"
    store = VectorStore(embedder.model_id, path)
    assert store.fill(embedder, ["one line", "two lines", "one line"]) == 2
    again = VectorStore(embedder.model_id, path)
    assert len(again) == 2 and "two lines" in again
    assert again.fill(embedder, ["one line", "three lines"]) == 1
    assert embedder.embedded == ["one line", "two lines", "three lines"]
    assert np.array_equal(again.get_many(["one line"]), store.get_many(["one line"]))
    # Another model's vectors never serve: the file is keyed by model id.
    assert len(VectorStore("another-model", path)) == 0


def test_a_damaged_vector_file_is_only_a_cache(tmp_path: Path) -> None:
    path = tmp_path / "vectors.npz"
    path.write_bytes(b"PK\x03\x04 truncated")
    store = VectorStore("m", path)
    assert len(store) == 0
    store.fill(HashEmbedder(), ["a line"])
    assert len(VectorStore("m", path)) == 1


def test_hybrid_alerts_a_claim_and_quotes_its_sentence(small: Library) -> None:
    matcher = hybrid(small)
    text = (
        "Погода в Москве остаётся тёплой. "
        "Никаких солдат КНДР под Курском нет, это очередной фейк западных спецслужб. "
        "Завтра ожидается дождь."
    )
    alerts = matcher.alerts(text)
    assert alerts and alerts[0].narrative_id == "troops-denial"
    assert alerts[0].evidence == "Никаких солдат КНДР под Курском нет, это очередной фейк западных спецслужб."
    model = [s for s in alerts[0].signals if s.startswith("model test-hash-256: ")]
    # the blend weighs the probability alone here, so the card names that and not the margin
    assert len(model) == 1 and model[0].endswith("% this talking point"), model
    both = dataclasses.replace(matcher.blend, margin=1.0)
    signal = [s for s in matcher.rank(matcher.signals(text), both)[0].signals if s.startswith("model ")]
    assert signal[0].endswith("closer to its phrasings than to neutral reports") and "% this talking point, " in signal[0]


def test_hybrid_stays_quiet_on_a_neutral_report_and_on_unrelated_text(small: Library) -> None:
    matcher = hybrid(small)
    assert not matcher.alerts("Ukraine said it had captured two North Korean soldiers in the Kursk region in January.")
    assert not matcher.alerts("The weather in Paris will be sunny tomorrow, with light winds from the west.")
    assert matcher.score_all("") == [] and matcher.score_all("   ") == []


def test_time_budget_keeps_the_lexical_verdict(small: Library) -> None:
    slow = HashEmbedder(delay_s=0.05)
    matcher = hybrid(small, slow, budget_s=0.01, batch=2, max_windows=40)
    sentences = [f"Сводка номер {i} о погоде в регионе без происшествий." for i in range(30)]
    text = " ".join([*sentences, "Санкции ООН против КНДР изжили себя и нелегитимны, их никто не соблюдает."])
    slow.embedded.clear()
    matcher.score_all(text)
    assert 0 < len(slow.embedded) < 10  # the budget stopped embedding after a batch or two


def test_long_texts_embed_the_promising_sentences_only(small: Library) -> None:
    embedder = HashEmbedder()
    matcher = hybrid(small, embedder, max_windows=3)
    filler = [f"Городские новости, выпуск {i}: открылась новая библиотека." for i in range(20)]
    claim = "Санкции ООН против КНДР изжили себя, и Россия больше не будет их соблюдать."
    embedder.embedded.clear()
    matches = matcher.alerts(" ".join([*filler[:10], claim, *filler[10:]]))
    assert claim in embedder.embedded and len(embedder.embedded) == 3
    assert matches and matches[0].narrative_id == "sanctions-illegitimate"


def test_blend_file_is_read_and_unknown_keys_ignored(tmp_path: Path) -> None:
    path = tmp_path / "blend.json"
    path.write_text('{"blend": {"probability": 0.7, "cut": 0.4, "unknown": 3}, "fitted": {}}', encoding="utf-8")
    blend = Blend.load(path)
    assert blend.probability == 0.7 and blend.cut == 0.4
    assert blend.score(0.4) == pytest.approx(44.0)
    assert Blend.load(tmp_path / "missing.json") == Blend()


def test_vectors_are_centred_on_the_training_mean(small: Library) -> None:
    embedder = HashEmbedder()
    data = training_set(small)
    vectors = embedder.embed(data.texts)
    classifier = train(data, vectors, embedder.model_id)
    assert np.allclose(classifier.centre, vectors.mean(axis=0), atol=1e-6)
    # Prototypes are kept centred and unit-length, so margins compare directions away from the shared one.
    stored = classifier.prototypes.astype(np.float32)
    assert np.allclose(np.linalg.norm(stored, axis=1), 1.0, atol=1e-2)


def test_a_classifier_saved_without_its_centre_is_retrained(small: Library, tmp_path: Path) -> None:
    classifier = trained(small, HashEmbedder())
    path = tmp_path / "old.npz"
    np.savez(
        path, meta=np.array(json.dumps({"classes": list(classifier.classes), "key": classifier.key, "model_id": "h"})),
        weights=classifier.weights, bias=classifier.bias, prototypes=classifier.prototypes,
        prototype_labels=classifier.prototype_labels,
    )
    assert Classifier.load(path, classifier.key) is None


class _FailingAfter(HashEmbedder):
    """Embeds `batches` batches, then fails as a killed build would."""

    def __init__(self, batches: int) -> None:
        super().__init__()
        self.left = batches

    def embed(self, texts):  # type: ignore[no-untyped-def]
        if self.left == 0:
            raise RuntimeError("interrupted")
        self.left -= 1
        return super().embed(texts)


def test_an_interrupted_build_resumes_from_its_last_save(tmp_path: Path) -> None:
    from matchers.vectors import BATCH

    lines = [f"line number {i}" for i in range(BATCH * 3)]
    path = tmp_path / "vectors.npz"
    ticks = iter(range(0, 10_000, 31))  # every clock reading 31 s later: a save after each batch
    with pytest.raises(RuntimeError):
        VectorStore("hash", path).fill(_FailingAfter(2), lines, clock=lambda: float(next(ticks)))
    resumed = VectorStore("hash", path)
    assert len(resumed) == 2 * BATCH  # the two batches done before the failure were saved
    assert resumed.fill(HashEmbedder(), lines) == BATCH  # only the rest is embedded
