"""A content-addressed store of sentence vectors, one file per model.

A library line is embedded once per model: its vector is filed under a hash of the model id and the text, so an
edit to the library re-embeds only the lines it changed, and a rebuild after a restart embeds nothing. Vectors are
kept as float16 in memory and on disk alike, so a vector read back from the file is bit-for-bit the one the
training saw when it was first computed (training is deterministic across restarts).
"""

from __future__ import annotations

import hashlib
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from matchers.atomic import write_atomically
from matchers.embedding import Embedder, Vectors

KEY_BYTES = 16
BATCH = 32


def text_key(model_id: str, text: str) -> bytes:
    return hashlib.blake2b(f"{model_id}\0{text}".encode(), digest_size=KEY_BYTES).digest()


def model_slug(model_id: str) -> str:
    """A file-name-safe form of a model id."""
    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in model_id)
    return f"{safe[:60]}-{hashlib.blake2b(model_id.encode(), digest_size=4).hexdigest()}"


class VectorStore:
    """Vectors by text for one model; `path` is None for a store that lives in memory only."""

    def __init__(self, model_id: str, path: Path | None = None, seed: Path | None = None) -> None:
        self.model_id = model_id
        self.path = path
        self._vectors: dict[bytes, np.ndarray] = {}
        self._dirty = False
        self._lock = threading.Lock()
        for source in (seed, path):
            if source is not None and source.is_file():
                self._read(source)

    def __len__(self) -> int:
        return len(self._vectors)

    def __contains__(self, text: str) -> bool:
        return text_key(self.model_id, text) in self._vectors

    def missing(self, texts: Sequence[str]) -> list[str]:
        return [t for t in dict.fromkeys(texts) if t not in self]

    def get_many(self, texts: Sequence[str]) -> Vectors:
        rows = [self._vectors[text_key(self.model_id, t)] for t in texts]
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack(rows).astype(np.float32)

    def put_many(self, texts: Sequence[str], vectors: Vectors) -> None:
        with self._lock:
            for text, vector in zip(texts, vectors, strict=True):
                self._vectors[text_key(self.model_id, text)] = np.asarray(vector, dtype=np.float16)
            self._dirty = True

    def fill(
        self, embedder: Embedder, texts: Sequence[str], progress: Callable[[int, int], None] | None = None,
        *, save_every_s: float = 30.0, clock: Callable[[], float] = time.monotonic,
    ) -> int:
        """Embed the texts the store lacks, in batches, saving as it goes so an interrupted build resumes.

        Saves are spaced in time, not counted in lines: each one rewrites the whole file, which for a hundredfold
        library is some 80 MB, so an interruption costs at most `save_every_s` of embedding."""
        todo = self.missing(texts)
        done = 0
        last_save = clock()
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            self.put_many(batch, embedder.embed(batch))
            done += len(batch)
            if progress is not None:
                progress(done, len(todo))
            if clock() - last_save >= save_every_s:
                self.save()
                last_save = clock()
        self.save()
        return len(todo)

    def save(self) -> None:
        """Write atomically (temp file and rename): a crash mid-write leaves the previous file intact."""
        if self.path is None or not self._dirty:
            return
        with self._lock:
            keys = np.frombuffer(b"".join(self._vectors), dtype=np.uint8).reshape(-1, KEY_BYTES)
            values = np.stack(list(self._vectors.values())) if self._vectors else np.zeros((0, 0), np.float16)
            model = np.array(self.model_id)
            write_atomically(self.path, lambda handle: np.savez(handle, model=model, keys=keys, values=values))
            self._dirty = False

    def _read(self, source: Path) -> None:
        try:
            with np.load(source, allow_pickle=False) as data:
                if str(data["model"]) != self.model_id:
                    return
                keys, values = data["keys"], data["values"]
        except (OSError, KeyError, ValueError, zipfile.BadZipFile):
            return  # a damaged cache is only a cache: the vectors are computed again
        for key, value in zip(keys, values, strict=True):
            self._vectors[key.tobytes()] = value.astype(np.float16)
