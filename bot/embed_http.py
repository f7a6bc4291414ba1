"""An OpenAI-compatible `/embeddings` endpoint as the semantic stage's model: a newsroom's own TEI, Ollama or vLLM.

The URL is the operator's own setting, not one a stranger pasted, so it is not held to the link fetcher's address
rules; it is still bounded in time, and its key never reaches a log.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import httpx
import numpy as np

from bot.config import Secret
from matchers.embedding import EmbedderUnavailable, Vectors, normalise_rows

TIMEOUT_S = 30.0
MAX_BATCH = 64


class OpenAIEmbedder:
    def __init__(self, url: str, model: str, api_key: Secret | None = None, *, timeout_s: float = TIMEOUT_S) -> None:
        base = url.rstrip("/")
        self.url = base if base.endswith("/embeddings") else f"{base}/embeddings"
        self.model = model
        headers = {"Authorization": f"Bearer {api_key.get()}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout_s, headers=headers, trust_env=False)
        self.model_id = f"openai-compatible/{model}@{urlsplit(self.url).netloc}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        rows: list[list[float]] = []
        for start in range(0, len(texts), MAX_BATCH):
            rows.extend(self._post(list(texts[start : start + MAX_BATCH])))
        return normalise_rows(rows)

    def _post(self, batch: list[str]) -> list[list[float]]:
        try:
            response = self._client.post(self.url, json={"model": self.model, "input": batch})
        except httpx.HTTPError as exc:
            reason = type(exc).__name__
            raise EmbedderUnavailable(f"the embeddings endpoint {self.url} cannot be reached ({reason})") from None
        if response.status_code != 200:
            raise EmbedderUnavailable(f"the embeddings endpoint {self.url} answered HTTP {response.status_code}")
        try:
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            rows = [[float(x) for x in item["embedding"]] for item in data]
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbedderUnavailable(f"the embeddings endpoint {self.url} sent an unexpected answer ({exc})") from None
        if len(rows) != len(batch) or len({len(r) for r in rows}) != 1:
            count = f"{len(rows)} vectors for {len(batch)} texts"
            raise EmbedderUnavailable(f"the embeddings endpoint {self.url} sent {count}")
        return rows

    def close(self) -> None:
        self._client.close()
