"""Exact dense search over vectors stored in the catalog.

Vectors are float32 BLOBs in ``chunk_vector`` (committed with their chunks). Searching loads a
KB's vectors once into one NumPy matrix and keeps it until the KB's revision changes: 100k chunks
of 384 dimensions are 150 MB, and one matrix product scores them all in a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ragkb.catalog.schema import ChunkVectorRow


@dataclass
class _Matrix:
    revision: int
    chunk_ids: np.ndarray
    vectors: np.ndarray
    position: dict[int, int]


class SqliteVectorIndex:
    def __init__(self) -> None:
        self._matrices: dict[int, _Matrix] = {}

    def add(self, session: Session, kb_id: int, chunk_ids: list[int], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        session.execute(
            ChunkVectorRow.__table__.insert(),
            [{"chunk_id": c, "kb_id": kb_id, "vector": v.tobytes()} for c, v in zip(chunk_ids, vectors)],
        )

    def delete(self, session: Session, kb_id: int, chunk_ids: list[int]) -> None:
        if chunk_ids:
            session.execute(delete(ChunkVectorRow).where(ChunkVectorRow.chunk_id.in_(chunk_ids)))

    def vectors(self, session: Session, kb_id: int, chunk_ids: list[int]) -> dict[int, np.ndarray]:
        rows = session.execute(select(ChunkVectorRow.chunk_id, ChunkVectorRow.vector).where(ChunkVectorRow.chunk_id.in_(chunk_ids)))
        return {chunk_id: np.frombuffer(blob, dtype=np.float32) for chunk_id, blob in rows}

    def drop(self, session: Session, kb_id: int) -> None:
        session.execute(delete(ChunkVectorRow).where(ChunkVectorRow.kb_id == kb_id))
        self._matrices.pop(kb_id, None)

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
        matrix = self._matrix(session, kb_id, revision)
        if allowed is None:
            positions = np.arange(len(matrix.chunk_ids))
        else:
            positions = np.fromiter((matrix.position[c] for c in allowed if c in matrix.position), dtype=np.int64)
        if len(positions) == 0:
            return []
        scores = matrix.vectors[positions] @ np.asarray(query, dtype=np.float32)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(matrix.chunk_ids[positions[i]]), float(scores[i])) for i in top]

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
        matrix = self._matrix(session, kb_id, revision)
        if allowed is not None:
            allowed = allowed if isinstance(allowed, (set, frozenset)) else set(allowed)
            chunk_ids = [c for c in chunk_ids if c in allowed]
        positions = [matrix.position[c] for c in chunk_ids if c in matrix.position]
        if not positions:
            return {}
        scores = matrix.vectors[positions] @ np.asarray(query, dtype=np.float32)
        return {int(matrix.chunk_ids[p]): float(s) for p, s in zip(positions, scores)}
