"""Builds the semantic stage from settings: pick the embedder, embed the library, train or load the classifier.

Artefacts live under the state directory, in `models/`: one vector store per model (every library line embedded
once, keyed by a hash of the model id and the text, so an edit re-embeds only the lines it changed), and one
classifier per training set and model. The project ships the vectors of its bundled library for the default model
(`matchers/seed/`), so a fresh install trains in seconds instead of embedding for minutes.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bot.config import Settings
from matchers import Library, Matcher, Thresholds
from matchers.classifier import Classifier, train, training_set
from matchers.embedding import E5Embedder, Embedder, EmbedderUnavailable, SentenceTransformerEmbedder
from matchers.semantic import HybridMatcher, SemanticStage
from matchers.vectors import VectorStore, model_slug

logger = logging.getLogger(__name__)

SEED_DIR = Path(__file__).resolve().parent.parent / "matchers" / "seed"
Progress = Callable[[int, int], None]


def load_embedder(settings: Settings) -> Embedder:
    """The configured backend; raises EmbedderUnavailable with a reason a person can act on."""
    spec = settings.embedder
    if spec == "e5":
        return E5Embedder(threads=settings.embedder_threads)
    if spec.startswith(("http://", "https://")):
        from bot.embed_http import OpenAIEmbedder

        return OpenAIEmbedder(spec, settings.embedder_model, settings.embedder_api_key)
    if spec.startswith("sentence-transformers:"):
        return SentenceTransformerEmbedder(Path(spec.split(":", 1)[1]).expanduser(), prefix=settings.embedder_prefix)
    raise EmbedderUnavailable(f"unknown embedder {spec!r}")


def vector_store(embedder: Embedder, artefact_dir: Path) -> VectorStore:
    slug = model_slug(embedder.model_id)
    return VectorStore(embedder.model_id, artefact_dir / f"vectors-{slug}.npz", seed=SEED_DIR / f"vectors-{slug}.npz")


def build_classifier(
    library: Library, embedder: Embedder, artefact_dir: Path, progress: Progress | None = None
) -> Classifier:
    """The classifier for this library and model: loaded when one fits, else embedded (what is missing) and
    trained, then saved. Deterministic: the same library and model give the same weights."""
    data = training_set(library)
    key = data.key(embedder.model_id)
    name = f"classifier-{model_slug(embedder.model_id)}-{key}.npz"
    path = artefact_dir / name
    for candidate in (path, SEED_DIR / name):
        cached = Classifier.load(candidate, key)
        if cached is not None:
            return cached
    store = vector_store(embedder, artefact_dir)
    embedded = store.fill(embedder, data.texts, progress)
    if embedded:
        logger.info("embedded %d library lines with %s", embedded, embedder.model_id)
    classifier = train(data, store.get_many(data.texts), embedder.model_id)
    classifier.save(path)
    _prune(artefact_dir, keep=path)
    return classifier


def _prune(artefact_dir: Path, keep: Path) -> None:
    """Older classifiers of the same model are dead weight once a new one is saved."""
    prefix = keep.name.rsplit("-", 1)[0]
    for old in artefact_dir.glob(f"{prefix}-*.npz"):
        if old != keep:
            old.unlink(missing_ok=True)


def hybrid_matcher(
    library: Library, thresholds: Thresholds | None, embedder: Embedder, classifier: Classifier, settings: Settings,
) -> HybridMatcher:
    stage = SemanticStage(embedder, classifier, budget_s=settings.semantic_budget_s)
    return HybridMatcher(Matcher(library, thresholds), stage)


def full_matcher(settings: Settings, library: Library, thresholds: Thresholds | None = None,
                 progress: Progress | None = None) -> HybridMatcher:
    """Build the full matcher now, in this thread (for `check`, `eval` and `library build`); raises
    EmbedderUnavailable when the configured backend cannot run here."""
    embedder = load_embedder(settings)
    classifier = build_classifier(library, embedder, settings.artefact_dir, progress)
    return hybrid_matcher(library, thresholds, embedder, classifier, settings)


def terminal_progress(label: str) -> Progress:
    """A one-line progress bar on stderr (only when it is a terminal; logs stay clean otherwise)."""
    tty = sys.stderr.isatty() and os.environ.get("TERM") != "dumb"

    def show(done: int, total: int) -> None:
        if not tty:
            return
        width = 30
        filled = width * done // max(1, total)
        end = "\n" if done >= total else ""
        print(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{end}", end="", file=sys.stderr)

    return show
