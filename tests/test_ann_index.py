"""The embedded store's HNSW cache (ragkb.index.ann): recall, incremental refresh, persistence, filters."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from ragkb.catalog.schema import FileRow, KnowledgeBaseRow
from ragkb.index.ann import HnswGraph
from ragkb.index.graph_files import GARBAGE
from ragkb.index.stores.base import ChunkBatch
from ragkb.index.stores.embedded import EmbeddedStore
from ragkb.models import Chunk

THRESHOLD = 500
DIMENSION = 48
K = 10


def clustered(count: int, seed: int, centres: int = 40) -> np.ndarray:
    """Unit vectors around a few random centres: neighbours are close, as with text embeddings."""
    rng = np.random.default_rng(seed)
    centre = np.random.default_rng(0).normal(size=(centres, DIMENSION))
    vectors = centre[rng.integers(0, centres, count)] + 0.6 * rng.normal(size=(count, DIMENSION))
    vectors = vectors.astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class Corpus:
    """An embedded store with one KB whose files are written straight through the store."""

    def __init__(self, folder: Path):
        self.url = f"sqlite:///{folder / 'catalog.db'}"
        self.store = self.open()
        with self.store.transaction() as session:
            row = KnowledgeBaseRow(name="big", settings={})
            session.add(row)
            session.flush()
            self.store.create_kb(session, row.id)
            self.kb_id = row.id
        self.vectors: dict[int, np.ndarray] = {}
        self.files: dict[str, list[int]] = {}

    def open(self) -> EmbeddedStore:
        return EmbeddedStore(self.url, ann_threshold=THRESHOLD)

    def write(self, path: str, vectors: np.ndarray) -> None:
        with self.store.transaction() as session:
            file_id = session.scalar(select(FileRow.id).where(FileRow.kb_id == self.kb_id, FileRow.path == path))
            if file_id is None:
                row = FileRow(kb_id=self.kb_id, path=path, status="indexed", chunk_count=len(vectors))
                session.add(row)
                session.flush()
                file_id = row.id
            else:
                self.store.delete_file_chunks(session, self.kb_id, file_id)
            chunks = [Chunk(f"{path} {i}", i, [], None, 0, 1) for i in range(len(vectors))]
            batch = ChunkBatch(chunks, ["en"] * len(chunks), [[path]] * len(chunks), vectors)
            ids = self.store.write_chunks(session, self.kb_id, file_id, batch)
            self.store.bump_revision(session, self.kb_id)
        for old in self.files.get(path, []):
            self.vectors.pop(old)
        self.files[path] = ids
        self.vectors.update(zip(ids, vectors, strict=True))

    def remove(self, path: str) -> None:
        with self.store.transaction() as session:
            file_id = session.scalar(select(FileRow.id).where(FileRow.kb_id == self.kb_id, FileRow.path == path))
            self.store.delete_file(session, self.kb_id, file_id)
            self.store.bump_revision(session, self.kb_id)
        for old in self.files.pop(path):
            self.vectors.pop(old)

    def search(self, query: np.ndarray, k: int = K, allowed=None, store: EmbeddedStore | None = None) -> list[int]:
        store = store or self.store
        with store.snapshot() as session:
            revision = session.scalar(select(KnowledgeBaseRow.revision).where(KnowledgeBaseRow.id == self.kb_id))
            return [c for c, _ in store.dense.search(session, self.kb_id, revision, query, k, allowed)]

    def exact(self, query: np.ndarray, k: int = K, allowed=None) -> list[int]:
        ids = [c for c in self.vectors if allowed is None or c in allowed]
        scores = np.stack([self.vectors[c] for c in ids]) @ query
        return [ids[i] for i in np.argsort(-scores)[:k]]

    def graph(self, store: EmbeddedStore | None = None) -> HnswGraph:
        return (store or self.store).dense._graphs[self.kb_id]

    def files_on_disk(self) -> list[Path]:
        return sorted((self.store.dense.folder).glob(f"kb-{self.kb_id}.*"))


def recall(corpus: Corpus, queries: np.ndarray, allowed=None, store=None) -> float:
    hits = [len(set(corpus.search(q, allowed=allowed, store=store)) & set(corpus.exact(q, allowed=allowed))) for q in queries]
    return sum(hits) / (K * len(queries))


@pytest.fixture
def corpus(tmp_path) -> Corpus:
    corpus = Corpus(tmp_path)
    for index in range(4):
        corpus.write(f"part-{index}", clustered(600, seed=index))
    return corpus


QUERIES = clustered(60, seed=99)


def test_small_kbs_are_searched_exactly(tmp_path):
    corpus = Corpus(tmp_path)
    corpus.write("small", clustered(THRESHOLD - 1, seed=1))
    assert corpus.search(QUERIES[0]) == corpus.exact(QUERIES[0])
    assert corpus.store.dense._graphs == {} and corpus.files_on_disk() == []


def test_recall_at_10_against_exact_search(corpus):
    assert recall(corpus, QUERIES) >= 0.95
    assert len(corpus.graph().index) == len(corpus.vectors)
    assert [p.suffix for p in corpus.files_on_disk()] == [".json", ".usearch"]


def test_refresh_is_incremental_across_revisions(corpus, monkeypatch):
    corpus.search(QUERIES[0])
    graph = corpus.graph()
    monkeypatch.setattr(HnswGraph, "_build", lambda *args: pytest.fail("rebuilt instead of updated"))
    corpus.write("part-4", clustered(300, seed=4))  # new ids above the graph's highest
    corpus.remove("part-1")  # deleted ids
    corpus.write("part-4", clustered(300, seed=5))  # deleted and written again: SQLite reuses the ids
    corpus.write("part-5", clustered(50, seed=6))  # fewer than pending_limit: searched as the delta
    assert recall(corpus, QUERIES) >= 0.95
    assert corpus.graph() is graph
    in_graph = set(corpus.vectors) - set(corpus.files["part-5"])
    assert sorted(int(k) for k in graph.index.keys if k < GARBAGE) == sorted(in_graph)  # and dead entries
    for chunk_id in corpus.files["part-4"][:5]:  # re-used ids carry their new vectors
        assert corpus.search(corpus.vectors[chunk_id], k=1) == [chunk_id]


def test_a_new_process_reuses_the_persisted_graph(corpus, monkeypatch):
    corpus.search(QUERIES[0])
    corpus.write("part-4", clustered(40, seed=4))  # after the last save: searched from SQLite
    monkeypatch.setattr(HnswGraph, "_build", lambda *args: pytest.fail("rebuilt instead of loading"))
    fresh = corpus.open()
    assert recall(corpus, QUERIES, store=fresh) >= 0.95
    assert len(corpus.graph(fresh).index) == len(corpus.vectors) - 40
    for chunk_id in corpus.files["part-4"][:5]:
        assert corpus.search(corpus.vectors[chunk_id], k=1, store=fresh) == [chunk_id]


@pytest.mark.parametrize("damage", ["corrupt", "missing", "truncated-state"])
def test_a_damaged_or_missing_file_is_rebuilt(corpus, damage):
    corpus.search(QUERIES[0])
    state_file, graph_file = corpus.files_on_disk()
    if damage == "corrupt":
        graph_file.write_bytes(b"not a graph" * 100)
    elif damage == "missing":
        graph_file.unlink()
    else:
        state_file.write_text('{"format": 1, "kb_cr')
    fresh = corpus.open()
    assert recall(corpus, QUERIES, store=fresh) >= 0.95
    assert len(corpus.graph(fresh).index) == len(corpus.vectors)
    assert graph_file.stat().st_size > 100_000 and state_file.read_text().endswith("}")


def test_filters_are_honoured(corpus):
    few = set(corpus.files["part-2"][:30])  # exact over these
    many = set(corpus.files["part-0"]) | set(corpus.files["part-3"])  # above the threshold: graph, then filter
    for allowed in (few, many):
        for query in QUERIES[:20]:
            found = corpus.search(query, allowed=allowed)
            assert set(found) <= allowed and len(found) == K
        assert recall(corpus, QUERIES, allowed=allowed) >= 0.95
    assert corpus.search(QUERIES[0], allowed=set()) == []


def test_scores_for_given_chunks_are_exact(corpus):
    chunk_ids = corpus.files["part-3"][:20]
    with corpus.store.snapshot() as session:
        revision = session.scalar(select(KnowledgeBaseRow.revision).where(KnowledgeBaseRow.id == corpus.kb_id))
        scores = corpus.store.dense.scores_for(session, corpus.kb_id, revision, QUERIES[0], chunk_ids, set(chunk_ids[:10]))
    assert sorted(scores) == sorted(chunk_ids[:10])
    for chunk_id, score in scores.items():
        assert score == pytest.approx(float(corpus.vectors[chunk_id] @ QUERIES[0]), abs=1e-6)


def test_dropping_the_kb_removes_its_graph(corpus):
    corpus.search(QUERIES[0])
    with corpus.store.transaction() as session:
        corpus.store.drop_kb(session, corpus.kb_id)
    assert corpus.files_on_disk() == []


def test_usearch_and_pymupdf_load_in_either_order():
    """usearch 2.26.3+ crashed the interpreter when pymupdf (onnxruntime) was imported after it."""
    for modules in ("usearch.index, pymupdf", "pymupdf, usearch.index"):
        assert subprocess.run([sys.executable, "-c", f"import {modules}"], check=False).returncode == 0
