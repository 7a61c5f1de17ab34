"""Approximate (HNSW, usearch) dense search for large knowledge bases in the embedded store.

The vectors in ``chunk_vector`` stay the source of truth; an HNSW graph over them is a cache kept
in memory and persisted next to the catalog (``ragkb.db-vectors/kb-<id>.usearch`` with a JSON
file saying what it reflects), so a new process loads it instead of rebuilding it.

Keeping the cache current without re-reading every vector: chunk ids only grow, except that
SQLite hands the ids of the last rows out again once they are deleted (``chunk`` has no
AUTOINCREMENT). So the dense index logs every deleted chunk id in ``chunk_vector_deleted``
(:class:`~ragkb.catalog.schema.DeletedVectorRow`, same transaction as the deletion) and a refresh

1. removes the chunk ids logged after the cache's last log entry,
2. adds the vectors of chunks above the cache's highest id and of those removed ids that exist
   again (re-used ids).

A refresh then checks that the graph holds as many vectors as ``chunk_vector``; when not (a file
from another catalog, a race between two processes saving) or when the file is missing or
unreadable, the graph is rebuilt from SQLite.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session
from usearch.index import Index

from ragkb.catalog.schema import ChunkVectorRow, DeletedVectorRow, KnowledgeBaseRow
from ragkb.index.stores.base import existing_chunk_ids

CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 1024
"""HNSW parameters. Recall@10 against exact search (bench/vector_scale.py, bench/history/2026-11-lab-notes.md
§10): 0.998 with expansion_search 128 on real MiniLM vectors of the bundled datasets; on
clustered synthetic vectors 0.982 with 256 at 200k; at 1M two builds of the same vectors gave
0.957 / 0.938 with 512 and 0.969 / 0.958 with 1024 (multi-threaded insertion makes each graph a
little different), so 1024 (6 ms of CPU a query) keeps recall above 0.95 up to 1M."""
SAVE_FRACTION = 0.01
"""Persist after an incremental refresh once this share of the graph changed since the last save
(a new process replays what the file lacks from SQLite; rewriting a 1M-vector file takes seconds)."""
FORMAT = 1


def log_deleted(session: Session, kb_id: int, chunk_ids: list[int]) -> None:
    session.execute(insert(DeletedVectorRow), [{"kb_id": kb_id, "chunk_id": c} for c in chunk_ids])


def forget_deleted(session: Session, kb_id: int) -> None:
    session.execute(delete(DeletedVectorRow).where(DeletedVectorRow.kb_id == kb_id))


@dataclass
class _State:
    """What a persisted graph reflects (the JSON beside it)."""

    format: int
    kb_created: str
    ndim: int
    max_id: int
    log_seq: int
    revision: int


def _decode(rows: list) -> tuple[np.ndarray, np.ndarray]:
    keys = np.fromiter((r[0] for r in rows), dtype=np.uint64, count=len(rows))
    vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
    return keys, vectors


class HnswGraph:
    """One KB's HNSW cache; safe to share between threads."""

    def __init__(self, kb_id: int, folder: Path | None):
        self.kb_id = kb_id
        self.folder = folder
        self.index: Index | None = None
        self.state: _State | None = None
        self.unsaved = 0
        self.lock = threading.Lock()

    # --- files ------------------------------------------------------------------------------

    @property
    def _paths(self) -> tuple[Path, Path] | None:
        if self.folder is None:
            return None
        return self.folder / f"kb-{self.kb_id}.usearch", self.folder / f"kb-{self.kb_id}.json"

    def _load(self, kb_created: str) -> None:
        paths = self._paths
        if paths is None or not paths[1].is_file():
            return
        try:
            state = _State(**json.loads(paths[1].read_text()))
            if state.format != FORMAT or state.kb_created != kb_created:
                return
            index = _new_index(state.ndim)
            index.load(str(paths[0]))
            index.expansion_search = EXPANSION_SEARCH
        except (OSError, ValueError, TypeError, RuntimeError):
            return  # missing, partial or corrupt: rebuilt from SQLite
        self.index, self.state, self.unsaved = index, state, 0

    def _save(self) -> None:
        paths = self._paths
        if paths is None or self.index is None or self.state is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        # The graph first, then what it reflects: a reader sees a state at or behind its graph,
        # and re-applying changes is harmless (additions skip ids the graph has).
        for path, write in ((paths[0], lambda p: self.index.save(str(p))), (paths[1], self._write_state)):
            partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            write(partial)
            os.replace(partial, path)
        self.unsaved = 0

    def _write_state(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self.state)))

    def remove_files(self) -> None:
        for path in self._paths or ():
            path.unlink(missing_ok=True)

    # --- keeping it current -----------------------------------------------------------------

    def refresh(self, session: Session, revision: int, count: int) -> None:
        """Bring the graph to the state ``session`` sees (``count`` vectors at ``revision``)."""
        if self.state is not None and (
            self.state.revision > revision or (self.state.revision == revision and len(self.index) == count)
        ):
            return  # current, or ahead of an older snapshot (see :meth:`search`)
        kb_created = session.scalar(select(KnowledgeBaseRow.created_at).where(KnowledgeBaseRow.id == self.kb_id))
        kb_created = kb_created.isoformat() if kb_created else ""
        if self.state is None:
            self._load(kb_created)
        if self.state is not None and self.state.kb_created == kb_created:
            changed = self._apply_changes(session)
            if len(self.index) == count:
                self.state.revision = revision
                self.unsaved += changed
                if self.unsaved > SAVE_FRACTION * max(count, 1):
                    self._save()
                return
        self._build(session, revision, kb_created)

    def _apply_changes(self, session: Session) -> int:
        state = self.state
        deleted = session.execute(
            select(DeletedVectorRow.seq, DeletedVectorRow.chunk_id).where(
                DeletedVectorRow.kb_id == self.kb_id, DeletedVectorRow.seq > state.log_seq
            )
        ).all()
        removed = sorted({int(chunk_id) for _, chunk_id in deleted})
        if removed:
            self.index.remove(np.asarray(removed, dtype=np.uint64))
            state.log_seq = max(int(seq) for seq, _ in deleted)
        rows = session.execute(
            text(
                "SELECT chunk_id, vector FROM chunk_vector WHERE kb_id = :kb "
                "AND (chunk_id > :max_id OR chunk_id IN (SELECT value FROM json_each(:removed))) ORDER BY chunk_id"
            ),
            {"kb": self.kb_id, "max_id": state.max_id, "removed": json.dumps(removed)},
        ).all()
        if not rows:
            return len(removed)
        keys, vectors = _decode(rows)
        fresh = ~np.asarray(self.index.contains(keys), dtype=bool)
        if fresh.any():
            self.index.add(keys[fresh], vectors[fresh])
        state.max_id = max(state.max_id, int(keys[-1]))
        return len(removed) + int(fresh.sum())

    def _build(self, session: Session, revision: int, kb_created: str) -> None:
        log_seq = session.scalar(select(func.coalesce(func.max(DeletedVectorRow.seq), 0)))
        rows = session.execute(
            select(ChunkVectorRow.chunk_id, ChunkVectorRow.vector)
            .where(ChunkVectorRow.kb_id == self.kb_id)
            .order_by(ChunkVectorRow.chunk_id)
        ).all()
        keys, vectors = _decode(rows)
        index = _new_index(vectors.shape[1])
        index.add(keys, vectors)
        self.index = index
        self.state = _State(FORMAT, kb_created, vectors.shape[1], int(keys[-1]), int(log_seq), revision)
        self._save()

    # --- searching --------------------------------------------------------------------------

    def search(self, session: Session, revision: int, query: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``count`` nearest (chunk ids, cosine similarities) in the state ``session`` sees, best first."""
        with self.lock:
            matches = self.index.search(query, count)
            ahead = self.state.revision > revision
        chunk_ids = np.asarray(matches.keys, dtype=np.int64)
        scores = 1.0 - np.asarray(matches.distances, dtype=np.float32)
        if ahead:  # refreshed by a newer snapshot meanwhile: leave out chunks this one lacks
            present = existing_chunk_ids(session, chunk_ids.tolist())
            keep = np.fromiter((c in present for c in chunk_ids.tolist()), dtype=bool, count=len(chunk_ids))
            chunk_ids, scores = chunk_ids[keep], scores[keep]
        return chunk_ids, scores


def _new_index(ndim: int) -> Index:
    return Index(
        ndim=ndim,
        metric="ip",
        dtype="f32",
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )


def count_vectors(session: Session, kb_id: int) -> int:
    return session.scalar(select(func.count()).select_from(ChunkVectorRow).where(ChunkVectorRow.kb_id == kb_id)) or 0
