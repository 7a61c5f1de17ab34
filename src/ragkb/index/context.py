"""One knowledge base as the layers below the facade see it: :class:`KBContext`.

Ingestion (:class:`ragkb.ingest.writer.IndexWriter`) and retrieval (:class:`ragkb.retrieve.pipeline.Searcher`)
receive this instead of :class:`ragkb.kb.KnowledgeBase`: what a KB *is* (its id, settings, store,
embedder), not what can be done with it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from ragkb.catalog import Catalog
from ragkb.config import KBSettings, Settings
from ragkb.errors import RagkbError
from ragkb.index.embedders import CachedEmbedder, create_embedder, default_prompts, embed_queries
from ragkb.index.language import detect_language
from ragkb.index.stores.base import Store
from ragkb.models import Chunk


@dataclass(frozen=True, eq=False)
class KBContext:
    """A knowledge base's id and name, its settings, the store holding it and the installation's
    settings; its embedder is built on first use and kept (a context with other settings is a new one)."""

    id: int
    name: str
    settings: KBSettings
    store: Store
    app_settings: Settings

    def with_settings(self, settings: KBSettings | None = None, app_settings: Settings | None = None) -> KBContext:
        """This KB with other settings. The embedder, if built, is kept while it would be built the
        same (same spec and installation settings): ``update`` and benchmarks that sweep settings
        do not load the model again."""
        changed = replace(self, settings=settings or self.settings, app_settings=app_settings or self.app_settings)
        same_embedder = changed.settings.embedder == self.settings.embedder and changed.app_settings == self.app_settings
        if same_embedder and "embedder" in self.__dict__:  # where cached_property keeps it
            changed.__dict__["embedder"] = self.__dict__["embedder"]
        return changed

    @property
    def catalog(self) -> Catalog:
        return self.store.catalog

    @cached_property
    def embedder(self) -> CachedEmbedder | None:
        """The KB's embedder behind the catalog's embedding cache; ``None`` for a sparse-only KB."""
        inner = create_embedder(self.settings.embedder, self.app_settings)
        return CachedEmbedder(inner, self.catalog) if inner is not None else None

    @property
    def embedder_languages(self) -> set[str]:
        """Languages whose chunks get a vector and whose queries the embedder may rank."""
        if self.settings.embedder_languages is not None:
            return set(self.settings.embedder_languages)
        return self.embedder.languages if self.embedder else set()

    @property
    def query_instruction(self) -> str:
        """What goes before a query: the KB's setting, else what the model's card asks for."""
        if self.settings.query_instruction is not None:
            return self.settings.query_instruction
        return default_prompts(self.settings.embedder).query

    @property
    def passage_prefix(self) -> str:
        """What goes before a document: the KB's setting, else what the model's card asks for (e5: "passage: ")."""
        if self.settings.passage_prefix is not None:
            return self.settings.passage_prefix
        return default_prompts(self.settings.embedder).passage

    def search_vector(self, text: str, as_query: bool = True) -> np.ndarray:
        """The vector a search compares chunks with: a query's, or a document's for an answer-shaped text
        (HyDE). It bypasses the embedding cache: caching queries would make every search a write."""
        if self.embedder is None:
            raise RagkbError(f"knowledge base '{self.name}' has no embedder (embedder = none); use --mode sparse")
        if as_query:
            return embed_queries(self.embedder.inner, [text], self.query_instruction)[0]
        return self.embedder.inner.embed([self.passage_prefix + text])[0]

    def chunk_languages(self, chunks: list[Chunk]) -> list[str]:
        language = self.settings.language
        return [detect_language(chunk.text) if language == "auto" else language for chunk in chunks]

    def embed_documents(self, texts: list[str], languages: list[str]) -> tuple[np.ndarray | None, list[bool] | None]:
        """Vectors of the texts in a language the embedder reads, and which texts those are
        (see :class:`ragkb.index.stores.base.ChunkBatch`); ``(None, None)`` without an embedder."""
        if not self.embedder or not texts:
            return None, None
        readable, prefix = self.embedder_languages, self.passage_prefix
        embedded = [language in readable for language in languages]
        wanted = [prefix + text for text, keep in zip(texts, embedded, strict=True) if keep]
        return (self.embedder.embed(wanted) if wanted else np.zeros((0, self.embedder.dimension), np.float32)), embedded
