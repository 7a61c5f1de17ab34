"""Dense search over vectors stored in the catalog: exact below a size, HNSW above it.

Vectors are float32 BLOBs in ``chunk_vector`` (committed with their chunks). A KB with fewer than
``ann_threshold`` vectors is searched exactly: its vectors are loaded once into one NumPy matrix,
kept until the KB's revision changes, and one matrix product scores them all. Larger KBs are
searched through an HNSW graph (:mod:`ragkb.index.ann`), a cache over the same rows persisted
beside the catalog: searches add the vectors written since it was saved, scored exactly, and the
writer brings it up to date after its transaction commits (:meth:`SqliteVectorIndex.maintain`).

Metadata filters (``allowed``) stay exact when they leave few chunks (those vectors are read from
SQLite); otherwise the graph is asked for enough neighbours that ``k`` of them should pass the
filter, and the search falls back to exact when fewer do. Scores for given chunks (hybrid fusion)
are always exact.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from ragkb.catalog import Catalog
from ragkb.catalog.database import table_of
from ragkb.catalog.schema import ChunkVectorRow
from ragkb.index.ann import HnswGraph, count_vectors, forget_deleted, log_deleted
from ragkb.index.graph_files import graph_files

WRITTEN = "ragkb.dense_written"
"""``Session.info`` key: the KBs whose vectors a transaction changed (for :meth:`SqliteVectorIndex.maintain`)."""

OVERSAMPLE = 2.0
"""With a filter, ask the graph for ``OVERSAMPLE * k / share of chunks allowed`` neighbours."""


@dataclass
class _Matrix:
    revision: int
    chunk_ids: np.ndarray
    vectors: np.ndarray
    position: dict[int, int]


def _top(chunk_ids: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    k = min(k, len(scores))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top])]
    return [(int(chunk_ids[i]), float(scores[i])) for i in top]


class SqliteVectorIndex:
    def __init__(self, catalog: Catalog, folder: Path | None, ann_threshold: int):
        """``folder``: where HNSW graphs are persisted (``None``: in memory only);
        ``ann_threshold``: :attr:`ragkb.config.Settings.ann_threshold`."""
        self.catalog = catalog
        self.folder = folder
        self.ann_threshold = ann_threshold
        self._matrices: dict[int, _Matrix] = {}
        self._graphs: dict[int, HnswGraph] = {}
        self._sizes: dict[int, tuple[int, int]] = {}
        self._lock = threading.Lock()

    # --- writes (in the caller's transaction) -----------------------------------------------

    def add(self, session: Session, kb_id: int, chunk_ids: list[int], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        session.execute(
            table_of(ChunkVectorRow).insert(),
            [{"chunk_id": c, "kb_id": kb_id, "vector": v.tobytes()} for c, v in zip(chunk_ids, vectors, strict=True)],
        )
        session.info.setdefault(WRITTEN, set()).add(kb_id)

    def delete(self, session: Session, kb_id: int, chunk_ids: list[int]) -> None:
        if chunk_ids:
            session.execute(delete(ChunkVectorRow).where(ChunkVectorRow.chunk_id.in_(chunk_ids)))
            log_deleted(session, kb_id, chunk_ids)
            session.info.setdefault(WRITTEN, set()).add(kb_id)

    def drop(self, session: Session, kb_id: int) -> None:
        session.execute(delete(ChunkVectorRow).where(ChunkVectorRow.kb_id == kb_id))
        forget_deleted(session, kb_id)
        self._matrices.pop(kb_id, None)
        graph = self._graphs.pop(kb_id, None) or self._new_graph(kb_id)
        graph.files.remove()  # KB ids are never reused: a rolled-back drop only costs a rebuild

    def _new_graph(self, kb_id: int) -> HnswGraph:
        return HnswGraph(kb_id, graph_files(self.folder, kb_id), self.catalog, self.ann_threshold)

    def _graph_of(self, kb_id: int) -> HnswGraph:
        with self._lock:
            if kb_id not in self._graphs:
                self._graphs[kb_id] = self._new_graph(kb_id)
            return self._graphs[kb_id]

    # --- after a write commits ----------------------------------------------------------------

    def maintain(self, kb_id: int) -> None:
        """Keep the KB's persisted graph and deletion log in step with a write that committed
        (:meth:`HnswGraph.maintain`); the searches of this process get the saved graph."""
        self._graph_of(kb_id).maintain()

    # --- reads --------------------------------------------------------------------------------

    def vectors(self, session: Session, kb_id: int, chunk_ids: list[int]) -> dict[int, np.ndarray]:
        rows = session.execute(
            text("SELECT chunk_id, vector FROM chunk_vector WHERE chunk_id IN (SELECT value FROM json_each(:ids))"),
            {"ids": json.dumps([int(c) for c in chunk_ids])},
        )
        return {int(chunk_id): np.frombuffer(blob, dtype=np.float32) for chunk_id, blob in rows}

    def _exact(
        self, session: Session, kb_id: int, query: np.ndarray, chunk_ids: Collection[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        found = self.vectors(session, kb_id, list(chunk_ids))
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return np.fromiter(found, dtype=np.int64, count=len(found)), np.stack(list(found.values())) @ query

    def _size(self, session: Session, kb_id: int, revision: int) -> int:
        cached = self._sizes.get(kb_id)
        if cached is None or cached[0] != revision:
            cached = self._sizes[kb_id] = (revision, count_vectors(session, kb_id))
        return cached[1]

    def _graph(self, session: Session, kb_id: int, revision: int) -> HnswGraph | None:
        """The KB's HNSW graph; ``None`` when the KB is searched exactly."""
        if self._size(session, kb_id, revision) < self.ann_threshold:
            self._graphs.pop(kb_id, None)
            return None
        self._matrices.pop(kb_id, None)
        return self._graph_of(kb_id)

    def _matrix(self, session: Session, kb_id: int, revision: int) -> _Matrix:
        cached = self._matrices.get(kb_id)
        if cached is not None and cached.revision == revision:
            return cached
        rows = session.execute(
            select(ChunkVectorRow.chunk_id, ChunkVectorRow.vector)
            .where(ChunkVectorRow.kb_id == kb_id)
            .order_by(ChunkVectorRow.chunk_id)
        ).all()
        chunk_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        if rows:
            vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        else:
            vectors = np.zeros((0, 0), dtype=np.float32)
        matrix = _Matrix(revision, chunk_ids, vectors, {int(c): i for i, c in enumerate(chunk_ids)})
        self._matrices[kb_id] = matrix
        return matrix

    def search(
        self, session: Session, kb_id: int, revision: int, query: np.ndarray, k: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """Top ``k`` (chunk id, cosine similarity), best first; with ``allowed``, among those chunks only."""
        query = np.asarray(query, dtype=np.float32)
        graph = self._graph(session, kb_id, revision)
        if graph is None:
            return self._search_matrix(self._matrix(session, kb_id, revision), query, k, allowed)
        count = self._size(session, kb_id, revision)
        if allowed is None:
            return _top(*graph.search(session, revision, count, query, k), k)
        allowed = allowed if isinstance(allowed, (set, frozenset)) else set(allowed)
        wanted = math.ceil(OVERSAMPLE * k * count / max(len(allowed), 1))
        if len(allowed) >= self.ann_threshold and wanted < len(allowed):
            chunk_ids, scores = graph.search(session, revision, count, query, wanted, allowed)
            if len(chunk_ids) >= k:
                return _top(chunk_ids, scores, k)
        return _top(*self._exact(session, kb_id, query, allowed), k)

    @staticmethod
    def _search_matrix(matrix: _Matrix, query: np.ndarray, k: int, allowed: Collection[int] | None) -> list[tuple[int, float]]:
        if allowed is None:  # no copy of the matrix
            return _top(matrix.chunk_ids, matrix.vectors @ query, k) if len(matrix.chunk_ids) else []
        positions = np.fromiter((matrix.position[c] for c in allowed if c in matrix.position), dtype=np.int64)
        if len(positions) == 0:
            return []
        return _top(matrix.chunk_ids[positions], matrix.vectors[positions] @ query, k)

    def scores_for(
        self,
        session: Session,
        kb_id: int,
        revision: int,
        query: np.ndarray,
        chunk_ids: list[int],
        allowed: Collection[int] | None = None,
    ) -> dict[int, float]:
        """Cosine similarity of ``query`` with the given chunks (for fusing with sparse candidates),
        leaving out chunks not in ``allowed``."""
        query = np.asarray(query, dtype=np.float32)
        if allowed is not None:
            allowed = allowed if isinstance(allowed, (set, frozenset)) else set(allowed)
            chunk_ids = [c for c in chunk_ids if c in allowed]
        if self._size(session, kb_id, revision) >= self.ann_threshold:
            found, scores = self._exact(session, kb_id, query, chunk_ids)
            return {int(c): float(s) for c, s in zip(found, scores, strict=True)}
        matrix = self._matrix(session, kb_id, revision)
        positions = [matrix.position[c] for c in chunk_ids if c in matrix.position]
        if not positions:
            return {}
        scores = matrix.vectors[positions] @ query
        return {int(matrix.chunk_ids[p]): float(s) for p, s in zip(positions, scores, strict=True)}
