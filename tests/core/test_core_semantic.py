"""The semantic stage in the running bot: background build, reload, failure, settings, and the HTTP backend."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from bot.config import ConfigError, Secret, Settings, load_settings
from bot.embed_http import OpenAIEmbedder
from bot.library_holder import LibraryHolder
from bot.semantic_setup import build_classifier, hybrid_matcher
from matchers import Library, Matcher
from matchers.embedding import EmbedderUnavailable
from matchers.semantic import HybridMatcher
from tests.matchers.semantic_fixtures import SMALL_LIBRARY, HashEmbedder


def _holder(tmp_path: Path, embedder: HashEmbedder, gate: threading.Event | None = None) -> LibraryHolder:
    path = tmp_path / "narratives.yaml"
    if not path.exists():
        path.write_text(SMALL_LIBRARY, encoding="utf-8")
    settings = Settings(library_path=path, db_path=tmp_path / "state.sqlite3")

    def build(library: Library) -> HybridMatcher:
        if gate is not None:
            gate.wait(30)
        classifier = build_classifier(library, embedder, settings.artefact_dir)
        return hybrid_matcher(library, None, embedder, classifier, settings)

    return LibraryHolder(path, semantic=build, check_every_s=0)


def test_lexical_stage_serves_until_the_semantic_build_is_done(tmp_path: Path) -> None:
    gate = threading.Event()
    holder = _holder(tmp_path, HashEmbedder(), gate)
    assert type(holder.matcher) is Matcher  # serving at once
    gate.set()
    assert holder.wait_semantic(30)
    assert isinstance(holder.matcher, HybridMatcher)


def test_reload_re_embeds_only_the_changed_lines(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    holder = _holder(tmp_path, embedder)
    assert holder.wait_semantic(30) and isinstance(holder.matcher, HybridMatcher)
    first = len(embedder.embedded)
    embedder.embedded.clear()
    path = tmp_path / "narratives.yaml"
    path.write_text(SMALL_LIBRARY.replace("очередной фейк", "наглый фейк"), encoding="utf-8")
    assert holder.reload_if_changed()
    assert isinstance(holder.matcher, HybridMatcher)  # the previous full matcher serves during the rebuild
    assert holder.wait_semantic(30)
    assert embedder.embedded == ["Никаких северокорейских солдат под Курском нет, это наглый фейк западных спецслужб."]
    assert first > 10
    assert holder.library.get("troops-denial").phrasings["ru"][0].endswith("наглый фейк западных спецслужб.")  # type: ignore[union-attr]


class _BrokenEmbedder(HashEmbedder):
    def embed(self, texts):  # type: ignore[no-untyped-def]
        raise EmbedderUnavailable("the model server went away")


def test_a_failed_build_leaves_the_lexical_stage_and_says_why(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        holder = _holder(tmp_path, _BrokenEmbedder())
        assert holder.wait_semantic(30)
    assert type(holder.matcher) is Matcher
    assert holder.semantic_error == "the model server went away"
    assert "lexical stage only" in caplog.text and "the model server went away" in caplog.text


def test_semantic_settings_parse_and_refuse_bad_values(tmp_path: Path) -> None:
    assert load_settings({}).semantic is True
    off = load_settings({"NARRATIVE_BOT_SEMANTIC": "off", "NARRATIVE_BOT_DB": str(tmp_path / "s.sqlite3")})
    assert off.semantic is False and off.artefact_dir == tmp_path / "models"
    with pytest.raises(ConfigError) as problems:
        load_settings({"NARRATIVE_BOT_EMBEDDER": "word2vec", "NARRATIVE_BOT_SEMANTIC": "maybe"})
    assert "NARRATIVE_BOT_EMBEDDER" in str(problems.value) and "NARRATIVE_BOT_SEMANTIC" in str(problems.value)
    with pytest.raises(ConfigError, match="NARRATIVE_BOT_EMBEDDER_MODEL is required"):
        load_settings({"NARRATIVE_BOT_EMBEDDER": "http://127.0.0.1:8080/v1"})
    secret = load_settings({
        "NARRATIVE_BOT_EMBEDDER": "http://127.0.0.1:8080/v1", "NARRATIVE_BOT_EMBEDDER_MODEL": "bge-m3",
        "NARRATIVE_BOT_EMBEDDER_API_KEY": "sk-very-secret",
    })
    assert "sk-very-secret" not in repr(secret)


# -- the OpenAI-compatible endpoint, served on loopback -------------------------------------------------------------


class _EmbeddingsHandler(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, dict[str, object]]]] = []
    status = 200

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((self.headers.get("Authorization", ""), body))
        if type(self).status != 200:
            self.send_response(type(self).status)
            self.end_headers()
            return
        inputs = body["input"]
        data = [{"index": i, "embedding": [float(len(t)), 1.0, 0.0]} for i, t in enumerate(inputs)]
        payload = json.dumps({"object": "list", "data": list(reversed(data)), "model": body["model"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def embeddings_server() -> Iterator[str]:
    _EmbeddingsHandler.seen = []
    _EmbeddingsHandler.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmbeddingsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_compatible_endpoint_embeds_in_order_and_normalises(embeddings_server: str) -> None:
    embedder = OpenAIEmbedder(embeddings_server, "bge-m3", Secret("sk-test"))
    vectors = embedder.embed(["ab", "abcd"])
    assert vectors.shape == (2, 3)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert vectors[0, 0] < vectors[1, 0]  # answers are put back in input order by their index
    auth, body = _EmbeddingsHandler.seen[0]
    assert auth == "Bearer sk-test" and body == {"model": "bge-m3", "input": ["ab", "abcd"]}
    assert embedder.model_id.startswith("openai-compatible/bge-m3@127.0.0.1:")
    embedder.close()


def test_endpoint_errors_are_unavailable_without_the_key(embeddings_server: str) -> None:
    _EmbeddingsHandler.status = 503
    embedder = OpenAIEmbedder(embeddings_server, "bge-m3", Secret("sk-test"))
    with pytest.raises(EmbedderUnavailable, match="HTTP 503") as error:
        embedder.embed(["text"])
    assert "sk-test" not in str(error.value)
    unreachable = OpenAIEmbedder("http://127.0.0.1:9/v1", "m", timeout_s=2)
    with pytest.raises(EmbedderUnavailable, match="cannot be reached"):
        unreachable.embed(["text"])
