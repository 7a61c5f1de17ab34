"""The storage contract: what a :class:`~ragkb.kb.KnowledgeBase` needs from a backend.

A store is a catalog (SQLAlchemy: knowledge bases, files, chunks, sessions) plus a sparse and a
dense index over the chunks. Backends: ``embedded`` (one SQLite file: FTS5 + exact NumPy search),
``postgres`` (the catalog, a BM25 postings table and pgvector in one PostgreSQL database) and
``qdrant`` (a SQLAlchemy catalog beside a Qdrant collection per KB). The KB only talks to:

- :meth:`Store.transaction` for writes: index writes made with its session become visible together
  with the catalog rows, or a crash leaves a state the next ``add`` repairs;
- :meth:`Store.snapshot` for searches: one consistent view of catalog and indexes;
- :attr:`Store.sparse` and :attr:`Store.dense` for ranking, both honouring ``allowed``.

Every backend passes the same contract tests (tests/test_store_contract.py).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ragkb.catalog import Catalog
from ragkb.catalog.boxes import encode_boxes
from ragkb.catalog.schema import ChunkRow, FileRow, KnowledgeBaseRow
from ragkb.models import Chunk

BM25_K1 = 1.2
BM25_B = 0.75
"""BM25 parameters; SQLite FTS5's ``bm25()`` defaults, which the other backends follow."""


def indexed_text(title: str, chunk: Chunk) -> str:
    """What the sparse and dense indexes see: the chunk with its document title and section.

    Headings and titles often hold the words a question uses while the paragraph does not.
    """
    header = " > ".join([title, *chunk.heading_path]) if title else " > ".join(chunk.heading_path)
    return f"{header}\n{chunk.text}" if header else chunk.text


def inverse_document_frequency(total: int, frequencies: dict[str, int]) -> dict[str, float]:
    """IDF used to weigh query terms (not BM25's own): a term the KB lacks gets the maximum."""
    return {term: math.log((total + 1) / (df + 0.5)) for term, df in frequencies.items()}


@dataclass
class ChunkBatch:
    """One file's chunks as every backend stores them."""

    chunks: list[Chunk]
    languages: list[str]
    terms: list[list[str]]
    """The sparse entries: ragkb's tokens of each chunk's :func:`indexed_text`, in order."""
    vectors: np.ndarray | None
    """L2-normalised float32 embeddings, one row per chunk ``embedded`` marks; ``None`` in
    sparse-only KBs."""
    embedded: list[bool] | None = None
    """Which chunks have a row in ``vectors``, in order (``None``: all). Chunks in a language the
    embedder cannot read get none: hybrid search ranks them by BM25 alone anyway, and embedding
    them would cost as much as the rest (bench/history/2026-11-lab-notes.md §2)."""

    def vector_ids(self, chunk_ids: list[int]) -> list[int]:
        """The ids of the chunks ``vectors`` holds, row for row."""
        if self.embedded is None:
            return list(chunk_ids)
        return [chunk_id for chunk_id, has_vector in zip(chunk_ids, self.embedded, strict=True) if has_vector]


class SparseIndex(Protocol):
    def search(
        self, session: Session, kb_id: int, query: str, k: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """Top ``k`` (chunk id, BM25 score), best first. With ``allowed``, only those chunks are
        ranked (metadata filters); term statistics stay those of the whole KB."""

    def idf(self, session: Session, kb_id: int, terms: list[str]) -> dict[str, float]:
        """:func:`inverse_document_frequency` of each term in this KB."""

    def terms(self, session: Session, kb_id: int, chunk_ids: list[int]) -> dict[int, list[str]]:
        """The stored sparse entries of these chunks (for copying a KB to another store)."""

    def holders(self, session: Session, kb_id: int, terms: list[str], limit: int) -> dict[str, list[int]]:
        """For each term, up to ``limit`` ids of the chunks whose sparse entries hold it (none: an empty list)."""


class DenseIndex(Protocol):
    def search(
        self, session: Session, kb_id: int, revision: int, query: np.ndarray, k: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """Top ``k`` (chunk id, cosine similarity), best first; with ``allowed``, among those only."""

    def scores_for(
        self,
        session: Session,
        kb_id: int,
        revision: int,
        query: np.ndarray,
        chunk_ids: list[int],
        allowed: Collection[int] | None = None,
    ) -> dict[int, float]:
        """Cosine similarity with the given chunks (those not in ``allowed`` are left out)."""

    def vectors(self, session: Session, kb_id: int, chunk_ids: list[int]) -> dict[int, np.ndarray]:
        """The stored vectors of these chunks (for copying a KB to another store)."""


class Store(Protocol):
    url: str
    catalog: Catalog

    # Read-only, so that a store may hold its own index classes (QdrantStore's have more methods)
    @property
    def sparse(self) -> SparseIndex: ...

    @property
    def dense(self) -> DenseIndex: ...

    def transaction(self) -> AbstractContextManager[Session]:
        """A catalog session for writes; its index writes commit with it (see the module doc)."""

    def snapshot(self) -> AbstractContextManager[Session]:
        """A read-only session seeing one consistent state of catalog and indexes."""

    def create_kb(self, session: Session, kb_id: int) -> None: ...

    def drop_kb(self, session: Session, kb_id: int) -> None:
        """Delete the KB's index entries (its catalog rows are the caller's)."""

    def write_chunks(self, session: Session, kb_id: int, file_id: int, batch: ChunkBatch) -> list[int]:
        """Insert a file's chunks with their sparse entries and vectors; returns their ids."""

    def delete_file_chunks(self, session: Session, kb_id: int, file_id: int) -> None: ...

    def delete_file(self, session: Session, kb_id: int, file_id: int) -> None:
        """Delete a file's chunks, index entries and catalog row."""

    def bump_revision(self, session: Session, kb_id: int) -> None:
        """Mark the KB changed (caches keyed by revision are stale from this commit on)."""


def insert_chunk_rows(session: Session, kb_id: int, file_id: int, batch: ChunkBatch) -> list[int]:
    rows = [
        {
            "kb_id": kb_id,
            "file_id": file_id,
            "ordinal": chunk.ordinal,
            "text": chunk.text,
            "page": chunk.page,
            "heading_path": chunk.heading_path,
            "char_start": chunk.char_start,
            "char_end": chunk.char_end,
            "language": language,
            "boxes": encode_boxes(chunk.boxes),
        }
        for chunk, language in zip(batch.chunks, batch.languages, strict=True)
    ]
    return list(session.scalars(insert(ChunkRow).returning(ChunkRow.id, sort_by_parameter_order=True), rows))


def file_chunk_ids(session: Session, file_id: int) -> list[int]:
    return list(session.scalars(select(ChunkRow.id).where(ChunkRow.file_id == file_id)))


def existing_chunk_ids(session: Session, chunk_ids: Iterable[int]) -> set[int]:
    """Which of these chunk ids the catalog has (an index outside it may lag behind)."""
    ids = list(chunk_ids)
    return set(session.scalars(select(ChunkRow.id).where(ChunkRow.id.in_(ids)))) if ids else set()


def restrict(chunk_ids: list[int], allowed: Collection[int] | None) -> list[int]:
    """``chunk_ids`` without those outside ``allowed`` (``None``: no restriction)."""
    if allowed is None:
        return chunk_ids
    allowed = allowed if isinstance(allowed, (set, frozenset)) else set(allowed)
    return [c for c in chunk_ids if c in allowed]


class CatalogStore(ABC):
    """What every store does in the catalog itself."""

    catalog: Catalog

    def snapshot(self) -> AbstractContextManager[Session]:
        return self.catalog.snapshot()

    @abstractmethod
    def delete_file_chunks(self, session: Session, kb_id: int, file_id: int) -> None: ...

    def delete_file(self, session: Session, kb_id: int, file_id: int) -> None:
        self.delete_file_chunks(session, kb_id, file_id)
        session.execute(delete(FileRow).where(FileRow.id == file_id))

    def bump_revision(self, session: Session, kb_id: int) -> None:
        session.execute(
            update(KnowledgeBaseRow).where(KnowledgeBaseRow.id == kb_id).values(revision=KnowledgeBaseRow.revision + 1)
        )


class SqlStore(CatalogStore):
    """A store whose indexes live in the catalog database, so one transaction covers everything."""

    def __init__(self, url: str, catalog: Catalog, sparse, dense):
        """``sparse`` and ``dense`` also write, with the caller's session: ``add``, ``delete``,
        ``drop`` (and ``create`` for sparse)."""
        self.url = url
        self.catalog = catalog
        self.sparse = sparse
        self.dense = dense

    def transaction(self) -> AbstractContextManager[Session]:
        return self.catalog.session()

    def create_kb(self, session: Session, kb_id: int) -> None:
        self.sparse.create(session, kb_id)  # dense indexes appear with the first vectors (their size)

    def drop_kb(self, session: Session, kb_id: int) -> None:
        self.sparse.drop(session, kb_id)
        self.dense.drop(session, kb_id)

    def write_chunks(self, session: Session, kb_id: int, file_id: int, batch: ChunkBatch) -> list[int]:
        if not batch.chunks:
            return []
        chunk_ids = insert_chunk_rows(session, kb_id, file_id, batch)
        self.sparse.add(session, kb_id, chunk_ids, batch.terms)
        if batch.vectors is not None and len(batch.vectors):
            self.dense.add(session, kb_id, batch.vector_ids(chunk_ids), batch.vectors)
        return chunk_ids

    def delete_file_chunks(self, session: Session, kb_id: int, file_id: int) -> None:
        chunk_ids = file_chunk_ids(session, file_id)
        self.sparse.delete(session, kb_id, chunk_ids)
        self.dense.delete(session, kb_id, chunk_ids)
        session.execute(delete(ChunkRow).where(ChunkRow.file_id == file_id))
