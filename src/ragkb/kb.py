"""The Python API: :class:`KnowledgeBase`. The CLI and the HTTP server are thin layers over it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from ragkb.catalog import Catalog
from ragkb.catalog.schema import ChunkRow, FileRow, KnowledgeBaseRow
from ragkb.config import KBSettings, SearchMode, Settings
from ragkb.errors import KnowledgeBaseExists, KnowledgeBaseNotFound, RagkbError
from ragkb.index.embedders import CachedEmbedder, Embedder, create_embedder, default_query_instruction
from ragkb.index.language import detect_language
from ragkb.index.tokenize import tokenize
from ragkb.index.store import EmbeddedStore
from ragkb.ingest.pipeline import (
    IngestReport,
    Ingestor,
    ProgressCallback,
    Source,
    collect_files,
    document_source,
    existing_file,
    file_row_values,
    file_source,
    removed_paths,
)
from ragkb.models import Chunk, ParsedDocument, SearchHit
from ragkb.retrieve.fusion import FUSIONS

CANDIDATES = 100
"""How many results each retriever contributes to fusion (at least; more when k is larger)."""


@lru_cache(maxsize=8)
def open_catalog(url: str) -> Catalog:
    return Catalog(url)


@lru_cache(maxsize=8)
def _store_for(url: str) -> EmbeddedStore:
    return EmbeddedStore()


@dataclass
class FileInfo:
    path: str
    status: str
    chunks: int
    size: int
    version: int
    loader: str
    error: str | None

    def to_dict(self) -> dict:
        return self.__dict__.copy()


class KnowledgeBase:
    """A named, isolated collection of files, chunks and indexes with its own settings."""

    def __init__(self, row: KnowledgeBaseRow, catalog: Catalog, settings: Settings):
        self.id = row.id
        self.name = row.name
        self.description = row.description
        self.settings = KBSettings.model_validate(row.settings)
        self.catalog = catalog
        self.app_settings = settings
        self.store = _store_for(catalog.url)
        self._embedder: Embedder | None = None

    # --- lifecycle -------------------------------------------------------------------------

    @staticmethod
    def _catalog(settings: Settings | None) -> tuple[Catalog, Settings]:
        settings = settings or Settings()
        return open_catalog(settings.catalog_url), settings

    @classmethod
    def create(
        cls, name: str, *, description: str = "", kb_settings: KBSettings | None = None, settings: Settings | None = None
    ) -> KnowledgeBase:
        catalog, settings = cls._catalog(settings)
        kb_settings = kb_settings or KBSettings()
        create_embedder(kb_settings.embedder, settings)  # fail now on a bad spec, not at first add
        with catalog.session() as session:
            if session.scalar(select(KnowledgeBaseRow).where(KnowledgeBaseRow.name == name)):
                raise KnowledgeBaseExists(name)
            row = KnowledgeBaseRow(name=name, description=description, settings=kb_settings.model_dump())
            session.add(row)
            session.flush()
            _store_for(catalog.url).create_kb(session, row.id)
        return cls(row, catalog, settings)

    @classmethod
    def open(cls, name: str, *, settings: Settings | None = None) -> KnowledgeBase:
        catalog, settings = cls._catalog(settings)
        with catalog.session() as session:
            row = session.scalar(select(KnowledgeBaseRow).where(KnowledgeBaseRow.name == name))
        if row is None:
            raise KnowledgeBaseNotFound(name)
        return cls(row, catalog, settings)

    @classmethod
    def list(cls, *, settings: Settings | None = None) -> list[KnowledgeBase]:
        catalog, settings = cls._catalog(settings)
        with catalog.session() as session:
            rows = session.scalars(select(KnowledgeBaseRow).order_by(KnowledgeBaseRow.name)).all()
        return [cls(row, catalog, settings) for row in rows]

    def delete(self) -> None:
        """Delete the KB with every file, chunk, vector and sparse entry in it."""
        with self.catalog.session() as session:
            self.store.drop_kb(session, self.id)
            session.delete(session.get(KnowledgeBaseRow, self.id))

    # --- ingestion -------------------------------------------------------------------------

    def add(
        self, paths: Iterable[str | Path], *, force: bool = False, sync: bool = False, progress: ProgressCallback | None = None
    ) -> IngestReport:
        """Index files and folders. Unchanged files are skipped unless ``force``; with ``sync``,
        catalogued files under the given folders that no longer exist are removed."""
        roots = [Path(p) for p in paths]
        files, missing = collect_files(roots)
        report = Ingestor(self, force, progress).run(self._file_sources(files, missing), total=len(files) + len(missing))
        if sync:
            for path in removed_paths(self._file_states(), roots):
                self._remove_path(path)
                report.removed.append(path)
        return report

    def add_documents(
        self, documents: Iterable[tuple[str, str, ParsedDocument]], *, total: int = 0, progress: ProgressCallback | None = None
    ) -> IngestReport:
        """Index documents made in Python, as (source id, title, document)."""
        sources = (document_source(source_id, title, document) for source_id, title, document in documents)
        return Ingestor(self, progress=progress).run(sources, total=total)

    @staticmethod
    def _file_sources(files: list[Path], missing: list[tuple[str, str]]) -> Iterator[Source | tuple[str, str]]:
        yield from missing
        for path in files:
            try:
                yield file_source(path)
            except OSError as error:
                yield (str(path), f"{path.name}: cannot read ({error.strerror}); check its permissions")

    def remove(self, paths: Iterable[str | Path]) -> list[str]:
        """Remove files (or every file under a folder) from the KB; returns the removed paths."""
        known = self._file_states()
        removed: list[str] = []
        for path in paths:
            target = str(Path(path).expanduser().resolve())
            matches = [p for p in known if p == target or p.startswith(target.rstrip("/") + "/")]
            if not matches:
                raise RagkbError(f"{path} is not in knowledge base '{self.name}'; see: ragkb kb show {self.name}")
            for match in matches:
                self._remove_path(match)
            removed.extend(matches)
        return removed

    def _remove_path(self, path: str) -> None:
        with self.catalog.session() as session:
            row = existing_file(session, self.id, path)
            if row is not None:
                self.store.delete_file(session, self.id, row.id)
                self.store.bump_revision(session, self.id)

    def _file_states(self) -> dict[str, tuple[str, str, str]]:
        with self.catalog.session() as session:
            rows = session.execute(
                select(FileRow.path, FileRow.content_hash, FileRow.splitter, FileRow.status).where(FileRow.kb_id == self.id)
            )
            return {path: (content_hash, splitter, status) for path, content_hash, splitter, status in rows}

    def _record_failure(self, path: str, error: str, source: Source | None) -> None:
        """Mark a file failed; chunks from an earlier good version stay searchable."""
        with self.catalog.session() as session:
            row = existing_file(session, self.id, path)
            if row is None:
                row = FileRow(kb_id=self.id, path=path, extension=Path(path).suffix.lower())
                session.add(row)
            row.status, row.last_error = "failed", error
            if source is not None:
                row.size, row.mtime = source.size, source.mtime

    def _write_file(
        self,
        session,
        source: Source,
        loader: str,
        splitter: str,
        chunks: list[Chunk],
        texts: list[str],
        vectors: np.ndarray | None,
    ) -> None:
        row = existing_file(session, self.id, source.path)
        if row is None:
            row = FileRow(kb_id=self.id, path=source.path, version=0)
            session.add(row)
            session.flush()
        else:
            self.store.delete_file_chunks(session, self.id, row.id)
        for key, value in file_row_values(source, loader, splitter, len(chunks)).items():
            setattr(row, key, value)
        row.version += 1
        self.store.write_chunks(session, self.id, row.id, chunks, texts, vectors, self.settings.language)

    # --- embeddings ------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder | None:
        if self._embedder is None and self.settings.embedder != "none":
            inner = create_embedder(self.settings.embedder, self.app_settings)
            self._embedder = CachedEmbedder(inner, self.catalog)
        return self._embedder

    @property
    def embedder_languages(self) -> set[str]:
        if self.settings.embedder_languages is not None:
            return set(self.settings.embedder_languages)
        return self.embedder.languages if self.embedder else set()

    @property
    def query_instruction(self) -> str:
        if self.settings.query_instruction is not None:
            return self.settings.query_instruction
        return default_query_instruction(self.settings.embedder)

    def _embed_documents(self, texts: list[str]) -> np.ndarray | None:
        return self.embedder.embed(texts) if self.embedder and texts else None

    # --- search ----------------------------------------------------------------------------

    def search(self, query: str, k: int = 5, mode: SearchMode = "hybrid") -> list[SearchHit]:
        """The ``k`` best chunks for ``query``; ``mode`` is hybrid (default), sparse or dense."""
        if not query.strip():
            raise RagkbError("the query is empty; ask something")
        if mode != "sparse" and self.embedder is None:
            if mode == "dense":
                raise RagkbError(f"knowledge base '{self.name}' has no embedder (embedder = none); use --mode sparse")
            mode = "sparse"
        if mode == "hybrid" and detect_language(query) not in self.embedder_languages:
            mode = "sparse"  # the embedder cannot read this query: its similarities would be noise
        with self.catalog.session() as session:
            revision = session.scalar(select(KnowledgeBaseRow.revision).where(KnowledgeBaseRow.id == self.id))
            depth = max(CANDIDATES, k)  # deep enough for Recall@100 in evaluations
            sparse = dict(self.store.sparse.search(session, self.id, query, depth)) if mode != "dense" else {}
            dense: dict[int, float] = {}
            if mode != "sparse":
                # Queries bypass the embedding cache: caching them would make every search a write.
                query_vector = self.embedder.inner.embed([self.query_instruction + query])[0]
                dense = dict(self.store.dense.search(session, self.id, revision, query_vector, depth))
                if mode == "hybrid":
                    dense.update(self.store.dense.scores_for(session, self.id, revision, query_vector, list(sparse)))
            scores = self._fuse(session, mode, sparse, dense)
            top = sorted(scores, key=scores.__getitem__, reverse=True)[:k]
            return self._hits(session, top, scores, sparse, dense)

    def _fuse(self, session, mode: SearchMode, sparse: dict, dense: dict) -> dict[int, float]:
        if mode == "sparse":
            return sparse
        if mode == "dense":
            return dense
        languages = self.embedder_languages
        unsupported = set(
            session.scalars(select(ChunkRow.id).where(ChunkRow.id.in_(list(dense)), ChunkRow.language.not_in(languages)))
        )
        trusted_dense = {key: value for key, value in dense.items() if key not in unsupported}
        return FUSIONS[self.settings.fusion](sparse, trusted_dense, self.settings.dense_weight)

    def _hits(self, session, chunk_ids: list[int], scores: dict, sparse: dict, dense: dict) -> list[SearchHit]:
        rows = {
            chunk.id: (chunk, path)
            for chunk, path in session.execute(
                select(ChunkRow, FileRow.path).join(FileRow, FileRow.id == ChunkRow.file_id).where(ChunkRow.id.in_(chunk_ids))
            )
        }
        hits = []
        for chunk_id in chunk_ids:
            chunk, path = rows[chunk_id]
            parts = {"sparse": sparse.get(chunk_id), "dense": dense.get(chunk_id)}
            hits.append(
                SearchHit(
                    chunk_id=chunk_id,
                    score=float(scores[chunk_id]),
                    text=chunk.text,
                    file=path,
                    page=chunk.page,
                    heading_path=list(chunk.heading_path or []),
                    ordinal=chunk.ordinal,
                    char_start=chunk.char_start,
                    char_end=chunk.char_end,
                    scores={name: value for name, value in parts.items() if value is not None},
                )
            )
        return hits

    def term_weights(self, text: str) -> dict[str, float]:
        """IDF of the text's tokens in this KB: rare and missing terms weigh most."""
        with self.catalog.session() as session:
            return self.store.sparse.idf(session, self.id, tokenize(text))

    # --- inspection ------------------------------------------------------------------------

    def files(self) -> list[FileInfo]:
        with self.catalog.session() as session:
            rows = session.scalars(select(FileRow).where(FileRow.kb_id == self.id).order_by(FileRow.path)).all()
        return [FileInfo(r.path, r.status, r.chunk_count, r.size, r.version, r.loader, r.last_error) for r in rows]

    def stats(self) -> dict:
        with self.catalog.session() as session:
            files = session.scalar(select(func.count()).select_from(FileRow).where(FileRow.kb_id == self.id))
            failed = session.scalar(
                select(func.count()).select_from(FileRow).where(FileRow.kb_id == self.id, FileRow.status == "failed")
            )
            chunks = session.scalar(select(func.count()).select_from(ChunkRow).where(ChunkRow.kb_id == self.id))
        return {"files": files, "failed_files": failed, "chunks": chunks}

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "settings": self.settings.model_dump(), **self.stats()}
