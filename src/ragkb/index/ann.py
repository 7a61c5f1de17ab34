"""Approximate (HNSW, usearch) dense search for large knowledge bases in the embedded store.

The vectors in ``chunk_vector`` stay the source of truth; an HNSW graph over them is a cache
persisted next to the catalog (:mod:`ragkb.index.graph_files`), so a new process loads it instead
of rebuilding it.

What changed since a graph was saved, its *delta*: chunk ids only grow, except that SQLite hands
the ids of the last rows out again once they are deleted (``chunk`` has no AUTOINCREMENT). So the
dense index logs every deleted chunk id in ``chunk_vector_deleted``
(:class:`~ragkb.catalog.schema.DeletedVectorRow`, same transaction as the deletion), and the delta
of a graph is the chunk ids logged after its last log entry plus the vectors of chunks above its
highest id or among those logged ids (re-used ids).

Searches never change or save a graph: they search the persisted graph, leave out the deleted
ids and score the delta's vectors exactly (:meth:`HnswGraph.search`). The writer maintains it
after its transaction commits (:meth:`HnswGraph.maintain`): once the delta reaches
:func:`pending_limit`, under the files' lock, it takes the newest persisted graph, applies the
delta (or rebuilds when the counts disagree), saves it and trims the deletion log. In the
background, never in the search: a process whose graph is older than the file loads the newer
one; a search that finds a delta no writer maintained (one killed after its commit) starts that
maintenance; one whose graph and delta do not add up to the KB's vector count (ids re-used in
ways the log cannot tell, such as another KB's deleted last rows) has the graph checked and
rebuilt. The one exception: a KB with no usable graph file (the threshold just lowered, the
file deleted or damaged) builds and saves it in the search that needs it.

Trimming the log: a save drops the entries at or before the *previous* persisted graph's log
position and records that position (``trimmed``). A process still searching the previous graph
keeps the entries it needs (and loads the new one in the background); one searching an older
graph loads the new one at its next search. KBs without a graph (below ``ann_threshold``) need no
log: their entries go after each write.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from ragkb.catalog import Catalog
from ragkb.catalog.schema import ChunkVectorRow, DeletedVectorRow, KnowledgeBaseRow
from ragkb.index.graph_files import (
    FORMAT,
    GARBAGE,
    INSERT_THREADS,
    Generation,
    GraphFiles,
    GraphState,
    MemoryFiles,
    new_index,
)
from ragkb.index.stores.base import existing_chunk_ids

log = logging.getLogger("ragkb.index")

SAVE_FRACTION = 0.01
"""The writer saves the graph once its delta reaches this share of the KB (rewriting a
1M-vector file takes seconds) or a quarter of ``ann_threshold``, whichever is larger."""
GARBAGE_FRACTION = 0.5
"""Rebuild once dead entries (see ``_apply_changes``) outnumber this share of the live ones. They
cost memory, not recall (they still route searches, as usearch's own removed entries do), while
a rebuild at 1M vectors takes about 15 minutes of CPU."""


def pending_limit(count: int, ann_threshold: int) -> int:
    """Changes (vectors written or deleted) a saved graph may lag behind before the writer saves
    it again. Searches score that many vectors exactly: at most a quarter of the largest exact
    search, or 1% of the KB (about a millisecond a query at 1M vectors)."""
    return max(int(SAVE_FRACTION * count), ann_threshold // 4, 1)


def log_deleted(session: Session, kb_id: int, chunk_ids: list[int]) -> None:
    session.execute(insert(DeletedVectorRow), [{"kb_id": kb_id, "chunk_id": c} for c in chunk_ids])


def forget_deleted(session: Session, kb_id: int, up_to: int | None = None) -> None:
    """Drop the KB's deletion log entries (those at or before ``up_to``, when given)."""
    statement = delete(DeletedVectorRow).where(DeletedVectorRow.kb_id == kb_id)
    if up_to is not None:
        statement = statement.where(DeletedVectorRow.seq <= up_to)
    session.execute(statement)


def count_vectors(session: Session, kb_id: int) -> int:
    return session.scalar(select(func.count()).select_from(ChunkVectorRow).where(ChunkVectorRow.kb_id == kb_id)) or 0


@dataclass
class _Delta:
    """What a snapshot holds beyond a generation: deleted ids, and vectors to score exactly."""

    generation: Generation
    revision: int
    deleted: set[int]
    chunk_ids: np.ndarray
    vectors: np.ndarray
    skip: set[int] = field(init=False)
    """Ids whose graph entry is stale or repeated: the delta has their current state."""
    _holds: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.skip = self.deleted | set(self.chunk_ids.tolist())

    @property
    def size(self) -> int:
        return len(self.deleted) + len(self.chunk_ids)

    def holds(self) -> int:
        """How many vectors the graph and this delta together stand for (computed once): the
        graph's live entries, less those the delta deletes or replaces, plus the delta's."""
        if self._holds is None:
            index = self.generation.index
            replaced = int(_contains(index, np.fromiter(self.skip, dtype=np.uint64, count=len(self.skip))).sum())
            self._holds = len(index) - self.generation.state.garbage - replaced + len(self.chunk_ids)
        return self._holds


def _decode(rows: Sequence[Sequence[Any]]) -> tuple[np.ndarray, np.ndarray]:
    if not rows:
        return np.zeros(0, dtype=np.uint64), np.zeros((0, 0), dtype=np.float32)
    keys = np.fromiter((r[0] for r in rows), dtype=np.uint64, count=len(rows))
    vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
    return keys, vectors


def _contains(index, keys: np.ndarray) -> np.ndarray:
    return np.atleast_1d(np.asarray(index.contains(keys), dtype=bool)) if len(keys) else np.zeros(0, dtype=bool)


def _kb_revision(session: Session, kb_id: int) -> tuple[int, str]:
    """The KB's revision and creation time (which tells its graph files from another catalog's)."""
    row = session.execute(
        select(KnowledgeBaseRow.revision, KnowledgeBaseRow.created_at).where(KnowledgeBaseRow.id == kb_id)
    ).one()
    return row.revision, row.created_at.isoformat() if row.created_at else ""


class HnswGraph:
    """One KB's HNSW graph: searched by many threads, maintained by writers (see the module doc)."""

    def __init__(self, kb_id: int, files: GraphFiles | MemoryFiles, catalog: Catalog, ann_threshold: int):
        self.kb_id = kb_id
        self.files = files
        self.catalog = catalog
        self.ann_threshold = ann_threshold
        self.current: Generation | None = None
        """What this process searches; replaced whole, never changed."""
        self._kept: Generation | None = None
        """What a process that does not search saved last: changed in place by its next update."""
        self._delta: _Delta | None = None
        self._loading = threading.Lock()
        self._handing = threading.Lock()
        """Guards :attr:`_kept`: one thread takes it."""
        self._background: threading.Thread | None = None

    @property
    def index(self):
        return self.current.index if self.current else None

    # --- maintenance: the writer, or a background thread ------------------------------------

    def maintain(self, *, check: bool = False) -> None:
        """Bring the persisted graph up to date once its delta reached :func:`pending_limit`
        (with ``check``: now, rebuilding it unless it holds every vector), build it when the KB
        needs one and has none, trim the deletion log, and hand a newer persisted graph to this
        process's searches. Never called by a search itself."""
        with self.catalog.snapshot() as session:
            found = self.files.read_state()
            if found is None:
                count = count_vectors(session, self.kb_id)
                needed = count >= self.ann_threshold
                logged = not needed and session.scalar(
                    select(DeletedVectorRow.seq).where(DeletedVectorRow.kb_id == self.kb_id).limit(1)
                )
            else:
                state, stamp = found
                behind = self._pending(session, state) >= pending_limit(state.size, self.ann_threshold)
                needed = check or behind or (self.current is not None and self.current.stamp != stamp)
                logged = False
        if logged:
            self._forget_log()
        if not needed:
            return
        with self.files.exclusive():
            generation, trimmed = self._update(check=check)
        if self.current is not None:
            self.current, self._delta = generation, None
        else:
            with self._handing:
                self._kept = generation
        if trimmed is not None:
            with self.catalog.session() as session:
                forget_deleted(session, self.kb_id, trimmed)

    def _forget_log(self) -> None:
        """A KB without a graph: no graph needs its deletion log."""
        with self.files.exclusive():
            if self.files.read_state() is None:
                with self.catalog.session() as session:
                    forget_deleted(session, self.kb_id)

    def _newest(self, kb_created: str) -> Generation | None:
        """The persisted graph, for changing: kept from this process's last save when nobody
        saved since, a copy of the one searches use, or loaded."""
        with self._handing:
            kept, self._kept = self._kept, None
        stamp, current = self.files.stamp(), self.current
        if kept is not None and kept.stamp == stamp:
            return kept
        if current is not None and current.stamp == stamp:
            return current.copy()
        return self.files.load(kb_created)

    def _update(self, *, check: bool = False) -> tuple[Generation | None, int | None]:
        """Under the files' lock: the newest graph, saved if it had to change, and the log
        position up to which the log may now be trimmed."""
        with self.catalog.snapshot() as session:
            revision, kb_created = _kb_revision(session, self.kb_id)
            count = count_vectors(session, self.kb_id)
            generation = self._newest(kb_created)
            if (
                generation is not None
                and not check
                and self._pending(session, generation.state) < pending_limit(count, self.ann_threshold)
            ):
                return generation, None  # saved by another process meanwhile: nothing to do
            if count == 0:
                self.files.remove()
                return None, None
            if generation is not None:
                trimmed = generation.state.log_seq
                self._apply_changes(session, generation, revision)
                garbage = generation.state.garbage
                if len(generation.index) - garbage != count or garbage > GARBAGE_FRACTION * count:
                    generation = None  # ids re-used behind the log's back, a race, or too many dead entries
            if generation is None:
                generation = self._build(session, revision, kb_created)
                trimmed = generation.state.log_seq  # nothing older than a new build can be trusted
            generation.state.trimmed, generation.state.size = trimmed, count
            self.files.save(generation)
        return generation, trimmed

    def _maintain_later(self, *, check: bool = False) -> None:
        with self._loading:
            if self._background is not None and self._background.is_alive():
                return
            self._background = threading.Thread(
                target=self._maintain_logged, args=(check,), name=f"ragkb-hnsw-{self.kb_id}", daemon=True
            )
            self._background.start()

    def _maintain_logged(self, check: bool) -> None:
        try:
            self.maintain(check=check)
        except Exception:  # the next write or search tries again; searches stay exact meanwhile
            log.exception("background maintenance of the HNSW graph of KB %s failed", self.kb_id)

    def _pending(self, session: Session, state: GraphState) -> int:
        return session.execute(
            text(
                "SELECT (SELECT COUNT(*) FROM chunk_vector WHERE kb_id = :kb AND chunk_id > :max_id)"
                " + (SELECT COUNT(*) FROM chunk_vector_deleted WHERE kb_id = :kb AND seq > :log_seq)"
            ),
            {"kb": self.kb_id, "max_id": state.max_id, "log_seq": state.log_seq},
        ).scalar_one()

    def _changes(self, session: Session, state: GraphState) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
        """Deletion log entries (seq, chunk id) after the state, and the vectors it lacks."""
        deleted = session.execute(
            select(DeletedVectorRow.seq, DeletedVectorRow.chunk_id).where(
                DeletedVectorRow.kb_id == self.kb_id, DeletedVectorRow.seq > state.log_seq
            )
        ).all()
        rows = session.execute(
            text(
                "SELECT chunk_id, vector FROM chunk_vector WHERE kb_id = :kb "
                "AND (chunk_id > :max_id OR chunk_id IN (SELECT value FROM json_each(:removed))) ORDER BY chunk_id"
            ),
            {"kb": self.kb_id, "max_id": state.max_id, "removed": json.dumps(sorted({c for _, c in deleted}))},
        ).all()
        keys, vectors = _decode(rows)
        return [(int(seq), int(chunk_id)) for seq, chunk_id in deleted], keys, vectors

    def _apply_changes(self, session: Session, generation: Generation, revision: int) -> None:
        """Remove deleted chunks and add new vectors, leaving no removed entry behind.

        A removed entry stays in usearch's graph as a free slot until an addition takes it, and a
        graph saved with free slots aborts the process that loads it (:mod:`ragkb.index.graph_files`).
        So as many deleted entries are removed as there are vectors to add; the rest stay as
        *dead* entries under keys from ``GARBAGE`` on, which searches skip, until later additions
        take their places (past :data:`GARBAGE_FRACTION` the graph is rebuilt)."""
        state, index = generation.state, generation.index
        deleted, keys, vectors = self._changes(session, state)
        gone = np.asarray(sorted({c for _, c in deleted}), dtype=np.uint64)
        held = gone[_contains(index, gone)]
        fresh = ~_contains(index, keys) | np.isin(keys, held)  # re-used ids are held and fresh
        removed = min(len(held), int(fresh.sum()))
        revived = min(state.garbage, int(fresh.sum()) - removed)
        if len(held) > removed:
            dead = np.arange(len(held) - removed, dtype=np.uint64) + np.uint64(GARBAGE + state.garbage)
            index.rename(held[removed:], dead)
            state.garbage += len(dead)
        if removed:
            index.remove(held[:removed])
        if revived:
            state.garbage -= revived
            index.remove(np.arange(revived, dtype=np.uint64) + np.uint64(GARBAGE + state.garbage))
        if fresh.any():
            index.add(keys[fresh], vectors[fresh], threads=INSERT_THREADS)
        if deleted:
            state.log_seq = max(seq for seq, _ in deleted)
        # The highest id the graph holds, not the highest it ever held: SQLite gives the ids of
        # deleted last rows out again, and those must show as new to the next delta.
        state.max_id = session.execute(
            select(func.coalesce(func.max(ChunkVectorRow.chunk_id), 0)).where(ChunkVectorRow.kb_id == self.kb_id)
        ).scalar_one()
        state.revision = revision

    def _build(self, session: Session, revision: int, kb_created: str) -> Generation:
        log_seq = session.execute(select(func.coalesce(func.max(DeletedVectorRow.seq), 0))).scalar_one()
        rows = session.execute(
            select(ChunkVectorRow.chunk_id, ChunkVectorRow.vector)
            .where(ChunkVectorRow.kb_id == self.kb_id)
            .order_by(ChunkVectorRow.chunk_id)
        ).all()
        keys, vectors = _decode(rows)
        index = new_index(vectors.shape[1])
        index.add(keys, vectors, threads=INSERT_THREADS)
        state = GraphState(FORMAT, kb_created, vectors.shape[1], int(keys[-1]), int(log_seq), revision)
        return Generation(index, state, None)

    # --- searching --------------------------------------------------------------------------

    def _generation(self, session: Session) -> Generation | None:
        """The graph to search: this process's, unless the log entries it needs may be gone."""
        current = self.current
        if current is not None and self.files.stamp() == current.stamp:
            return current
        found = self.files.read_state() if current is not None else None
        if current is not None and found is not None and found[0].trimmed <= current.state.log_seq:
            self._maintain_later()  # a newer graph: loaded in the background, this one still serves
            return current
        with self._loading:
            if self.current is not current:  # another thread loaded it meanwhile
                return self.current
            _, kb_created = _kb_revision(session, self.kb_id)
            generation = self._newest(kb_created)
            if generation is None:  # none usable: built here, the only save a search makes
                with self.files.exclusive():
                    generation, _ = self._update()
            self.current, self._delta = generation, None
            return generation

    def _delta_for(self, session: Session, revision: int, generation: Generation) -> _Delta:
        cached = self._delta
        if cached is not None and cached.generation is generation and cached.revision == revision:
            return cached
        deleted, keys, vectors = self._changes(session, generation.state)
        delta = _Delta(generation, revision, {c for _, c in deleted}, keys.astype(np.int64), vectors)
        self._delta = delta
        return delta

    @staticmethod
    def _nearest(generation: Generation, query: np.ndarray, count: int, extra: int, keep) -> tuple[np.ndarray, np.ndarray]:
        """The graph's ``count`` nearest entries that pass ``keep``: asks for ``extra`` more, and
        more again while deleted and dead entries crowd them out."""
        wanted = count + extra
        while True:
            with generation.lock:
                matches = generation.index.search(query, wanted)
            keys = np.asarray(matches.keys, dtype=np.uint64)
            chunk_ids = keys.astype(np.int64)
            passed = (keys < GARBAGE) & np.fromiter((keep(c) for c in chunk_ids.tolist()), dtype=bool, count=len(keys))
            if passed.sum() >= count or len(keys) < wanted:
                return chunk_ids[passed], 1.0 - np.asarray(matches.distances, dtype=np.float32)[passed]
            wanted *= 4

    def search(
        self,
        session: Session,
        revision: int,
        total: int,
        query: np.ndarray,
        count: int,
        allowed: Collection[int] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``count`` nearest (chunk ids, cosine similarities) in the state ``session`` sees
        (``total`` vectors at ``revision``), among ``allowed`` ones, unordered: the graph's, less
        deleted ids, and the delta's."""
        generation = self._generation(session)
        if generation is None:  # emptied since this snapshot counted its vectors
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        delta = self._delta_for(session, revision, generation)
        ahead = generation.state.revision > revision  # swapped in by a newer snapshot
        if not ahead and delta.holds() != total:
            self._maintain_later(check=True)  # ids re-used behind the log's back: rebuilt in the background
        elif delta.size >= pending_limit(total, self.ann_threshold):
            self._maintain_later()  # no writer maintained it (killed after its commit)
        chunk_ids, scores = self._nearest(
            generation, query, count, len(delta.deleted), lambda c: c not in delta.skip and (allowed is None or c in allowed)
        )
        if ahead:  # leave out chunks this snapshot lacks
            present = existing_chunk_ids(session, chunk_ids.tolist())
            keep = np.fromiter((c in present for c in chunk_ids.tolist()), dtype=bool, count=len(chunk_ids))
            chunk_ids, scores = chunk_ids[keep], scores[keep]
        if len(delta.chunk_ids):
            delta_ids, delta_scores = delta.chunk_ids, delta.vectors @ query
            if allowed is not None:
                keep = np.fromiter((c in allowed for c in delta_ids.tolist()), dtype=bool, count=len(delta_ids))
                delta_ids, delta_scores = delta_ids[keep], delta_scores[keep]
            chunk_ids, scores = np.concatenate([chunk_ids, delta_ids]), np.concatenate([scores, delta_scores])
        return chunk_ids, scores
