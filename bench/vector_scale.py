"""Dense search at 1M chunks: embedded exact (NumPy), embedded HNSW (usearch), pgvector HNSW and
Qdrant local mode side by side; FTS5 BM25 on real text beside them.

Vectors are synthetic, 384-d and clustered like text embeddings rather than uniform (uniform random
vectors have no near neighbours, which makes recall meaningless): 100 topics, 2,000 subtopics
around them, points around the subtopics, Zipf-distributed subtopic sizes; a point's cosine
similarity to its subtopic centre is about 0.7 and its nearest neighbour's about 0.6-0.8, close
to what all-MiniLM-L6-v2 gives on the bundled datasets. Queries are fresh points from the same
mixture. Recall@10 is measured against exact search over the same vectors.

Every system runs in a fresh process (peak RSS is its own). The embedded store is the real
``SqliteVectorIndex``: its "build" is the first search (loading the matrix, or building and
saving the HNSW graph), then a new process loads the saved graph. pgvector indexes a plain table
with the HNSW opclass ragkb uses; its memory is the server's, so only disk is reported. Qdrant's
local mode keeps points in SQLite and searches them by brute force in Python.

    python bench/vector_scale.py --size 1000000 --pg-size 200000 --qdrant-size 100000 --sparse-size 100000
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

import numpy as np
from common import DATASETS, OUT, find_datasets, log, markdown_table, peak_rss_mb, query_latency, save, timed
from ingest_and_latency import in_fresh_process, make_corpus, sentence_pools

DIMENSION = 384
K = 10
TOPICS, SUBTOPICS = 100, 2000


# --- data -----------------------------------------------------------------------------------


def clustered(count: int, seed: int) -> np.ndarray:
    """Unit vectors from the topic/subtopic mixture described in the module docstring."""
    layout = np.random.default_rng(0)
    topics = layout.standard_normal((TOPICS, DIMENSION), dtype=np.float32)
    topics /= np.linalg.norm(topics, axis=1, keepdims=True)
    centres = topics[layout.integers(0, TOPICS, SUBTOPICS)] + 0.9 * layout.standard_normal(
        (SUBTOPICS, DIMENSION), dtype=np.float32
    ) / np.sqrt(DIMENSION)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    weights = 1.0 / np.arange(1, SUBTOPICS + 1) ** 0.7
    rng = np.random.default_rng(seed)
    out = np.empty((count, DIMENSION), dtype=np.float32)
    for start in range(0, count, 100_000):
        n = min(100_000, count - start)
        block = centres[rng.choice(SUBTOPICS, n, p=weights / weights.sum())]
        block += rng.standard_normal((n, DIMENSION), dtype=np.float32) / np.sqrt(DIMENSION)
        out[start : start + n] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int = K) -> np.ndarray:
    """Row numbers of the exact top ``k`` of each query."""
    scores = queries @ vectors.T
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    return np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1), axis=1)


def recall(found: list[list[int]], truth: np.ndarray) -> float:
    return float(np.mean([len(set(f[:K]) & set(t.tolist())) / K for f, t in zip(found, truth, strict=False)]))


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20 if path.is_dir() else path.stat().st_size / 2**20


def fill_catalog(url: str, vectors: np.ndarray) -> float:
    """One KB whose chunks ``1..n`` carry ``vectors`` (row ``i`` is chunk ``i + 1``); seconds taken."""
    from ragkb.catalog.schema import ChunkRow, ChunkVectorRow, FileRow, KnowledgeBaseRow
    from ragkb.index.stores.embedded import EmbeddedStore

    store = EmbeddedStore(url, ann_threshold=len(vectors) + 1)
    started = time.perf_counter()
    with store.transaction() as session:
        kb = KnowledgeBaseRow(name="vectors", settings={})
        session.add(kb)
        session.flush()
        store.create_kb(session, kb.id)
        file = FileRow(kb_id=kb.id, path="synthetic", status="indexed", chunk_count=len(vectors))
        session.add(file)
        session.flush()
        kb_id, file_id = kb.id, file.id
    for start in range(0, len(vectors), 50_000):
        with store.transaction() as session:
            ids = range(start + 1, min(start + 50_000, len(vectors)) + 1)
            session.execute(
                ChunkRow.__table__.insert(),
                [
                    {"id": i, "kb_id": kb_id, "file_id": file_id, "ordinal": i, "text": "", "char_start": 0, "char_end": 0}
                    for i in ids
                ],
            )
            session.execute(
                ChunkVectorRow.__table__.insert(),
                [{"chunk_id": i, "kb_id": kb_id, "vector": vectors[i - 1].tobytes()} for i in ids],
            )
            store.bump_revision(session, kb_id)
    return time.perf_counter() - started


# --- systems, one per fresh process ---------------------------------------------------------


def run_embedded(url: str, work: str, threshold: int, efs: list[int]) -> dict:
    from sqlalchemy import select

    from ragkb.catalog.schema import KnowledgeBaseRow
    from ragkb.index.stores.embedded import EmbeddedStore

    store = EmbeddedStore(url, ann_threshold=threshold)
    queries, truth = np.load(Path(work) / "queries.npy"), np.load(Path(work) / "truth.npy")
    with store.snapshot() as session:
        revision = session.scalar(select(KnowledgeBaseRow.revision).where(KnowledgeBaseRow.id == 1))

        def search(query: np.ndarray) -> list[int]:
            return [c - 1 for c, _ in store.dense.search(session, 1, revision, query, K)]

        cpu = time.process_time()
        _, build = timed(lambda: search(queries[0]))
        result = {"build_s": build, "build_cpu_s": time.process_time() - cpu, "rss_after_build_mb": peak_rss_mb(), "runs": []}
        graph = store.dense._graphs.get(1)
        for ef in efs if graph is not None else [None]:
            if graph is not None:
                graph.index.expansion_search = ef
            latency = query_latency(search, list(queries))
            result["runs"].append({"ef_search": ef, "latency": latency, "recall": recall([search(q) for q in queries], truth)})
    if graph is not None:
        result["graph_mb"] = folder_mb(store.dense.folder)
        result["index_memory_mb"] = graph.index.memory_usage / 2**20
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def run_pgvector(pg_url: str, work: str, size: int, efs: list[int], maintenance_work_mem: str) -> dict:
    import psycopg
    from pgvector.psycopg import register_vector

    vectors = np.load(Path(work) / "vectors.npy", mmap_mode="r")[:size]
    queries, truth = np.load(Path(work) / "queries.npy"), np.load(Path(work) / f"truth-{size}.npy")
    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
        register_vector(connection)
        connection.execute("DROP TABLE IF EXISTS bench_vectors")
        connection.execute(f"CREATE TABLE bench_vectors (id bigint PRIMARY KEY, embedding vector({DIMENSION}))")
        started = time.perf_counter()
        with connection.cursor().copy("COPY bench_vectors (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "vector"])
            for i, vector in enumerate(vectors):
                copy.write_row([i, np.asarray(vector)])
        load = time.perf_counter() - started
        connection.execute(f"SET maintenance_work_mem = '{maintenance_work_mem}'")
        connection.execute("SET max_parallel_maintenance_workers = 1")  # 2 cores
        started = time.perf_counter()
        connection.execute("CREATE INDEX bench_vectors_hnsw ON bench_vectors USING hnsw (embedding vector_cosine_ops)")
        build = time.perf_counter() - started
        sizes = connection.execute("SELECT pg_table_size('bench_vectors'), pg_relation_size('bench_vectors_hnsw')").fetchone()
        runs = []
        for ef in efs:
            connection.execute(f"SET hnsw.ef_search = {ef}")

            def search(query: np.ndarray) -> list[int]:
                rows = connection.execute(
                    "SELECT id FROM bench_vectors ORDER BY embedding <=> %s LIMIT %s", (np.asarray(query), K)
                )
                return [r[0] for r in rows]

            runs.append(
                {
                    "ef_search": ef,
                    "latency": query_latency(search, list(queries)),
                    "recall": recall([search(q) for q in queries], truth),
                }
            )
        connection.execute("DROP TABLE bench_vectors")
    return {
        "load_s": load,
        "build_s": build,
        "table_mb": sizes[0] / 2**20,
        "graph_mb": sizes[1] / 2**20,
        "runs": runs,
        "peak_rss_mb": None,
    }


def run_qdrant(work: str, size: int) -> dict:
    from qdrant_client import QdrantClient, models

    vectors = np.load(Path(work) / "vectors.npy", mmap_mode="r")[:size]
    queries, truth = np.load(Path(work) / "queries.npy"), np.load(Path(work) / f"truth-{size}.npy")
    folder = Path(work) / "qdrant"
    shutil.rmtree(folder, ignore_errors=True)
    client = QdrantClient(path=str(folder))
    client.create_collection("bench", vectors_config=models.VectorParams(size=DIMENSION, distance=models.Distance.COSINE))
    started = time.perf_counter()
    for start in range(0, size, 1000):
        client.upload_collection(
            "bench", vectors=np.asarray(vectors[start : start + 1000]), ids=list(range(start, min(start + 1000, size)))
        )
    build = time.perf_counter() - started

    def search(query: np.ndarray) -> list[int]:
        return [int(p.id) for p in client.query_points("bench", query=query.tolist(), limit=K).points]

    latency = query_latency(search, list(queries))
    result = {
        "build_s": build,
        "runs": [{"ef_search": None, "latency": latency, "recall": recall([search(q) for q in queries], truth)}],
    }
    client.close()
    result.update(graph_mb=folder_mb(folder), peak_rss_mb=peak_rss_mb())
    shutil.rmtree(folder, ignore_errors=True)
    return result


def run_sparse(work: str, size: int, query_count: int) -> dict:
    """FTS5 BM25 over chunks of real sentences (the datasets'), as ingest_and_latency.py makes them."""
    from sqlalchemy import text

    from ragkb.catalog.schema import KnowledgeBaseRow
    from ragkb.index.stores.embedded import EmbeddedStore
    from ragkb.index.tokenize import tokenize

    sentences, queries = sentence_pools(find_datasets([DATASETS / n for n in ("manpages-en", "manpages-zh", "pydoc-en")]))
    corpus = make_corpus(size, sentences, queries, query_count)
    chunks = corpus["chunks"][:size]
    path = Path(work) / "sparse.db"
    path.unlink(missing_ok=True)
    store = EmbeddedStore(f"sqlite:///{path}", ann_threshold=1)
    with store.transaction() as session:
        session.add(KnowledgeBaseRow(id=1, name="sparse", settings={}))
        session.flush()
        store.create_kb(session, 1)
    started = time.perf_counter()
    tokenizing = 0.0
    for start in range(0, len(chunks), 20_000):
        t = time.perf_counter()
        terms = [tokenize(c) for c in chunks[start : start + 20_000]]
        tokenizing += time.perf_counter() - t
        with store.transaction() as session:
            store.sparse.add(session, 1, list(range(start + 1, start + len(terms) + 1)), terms)
    build = time.perf_counter() - started
    with store.transaction() as session:
        session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    with store.snapshot() as session:
        latency = query_latency(lambda q: store.sparse.search(session, 1, q, K), corpus["queries"])
    return {
        "chunks": len(chunks),
        "build_s": build,
        "tokenize_s": tokenizing,
        "db_mb": folder_mb(path),
        "latency": latency,
        "peak_rss_mb": peak_rss_mb(),
    }


def minilm_recall() -> list[list[object]]:
    """Recall@10 of usearch HNSW settings on real all-MiniLM-L6-v2 vectors: the English datasets'
    chunks (400/60, with titles, as ragkb indexes them) searched with the datasets' queries."""
    from common import minilm_encoder
    from usearch.index import Index

    from ragkb.eval.beir import load_beir
    from ragkb.index.stores.base import indexed_text
    from ragkb.ingest.chunking import chunk_document
    from ragkb.models import Block, ParsedDocument

    chunks_path, queries_path = OUT / "minilm_chunks.npy", OUT / "minilm_queries.npy"
    if not chunks_path.exists():  # embedding ~14k chunks takes minutes to an hour on 2 busy cores
        texts, questions = [], []
        for name in ("manpages-en", "pydoc-en", "locales-mixed"):
            dataset = load_beir(DATASETS / name)
            for title, body in dataset.corpus.values():
                document = ParsedDocument([Block(p) for p in body.split("\n\n") if p.strip()], loader="bench")
                texts += [indexed_text(title, c) for c in chunk_document(document, 400, 60)]
            questions += list(dataset.queries.values())
        encode = minilm_encoder()
        np.save(queries_path, encode(questions).astype(np.float32))
        np.save(chunks_path, encode(texts).astype(np.float32))
    chunks, queries = np.load(chunks_path), np.load(queries_path)
    truth = exact_top(chunks, queries)
    nearest = np.sort(queries @ chunks.T, axis=1)[:, -1]
    log(
        f"MiniLM: {len(chunks)} chunks, {len(queries)} queries; nearest-neighbour cosine p10/p50/p90 {np.percentile(nearest, [10, 50, 90]).round(2)}"
    )
    rows = []
    for connectivity, expansion_add in ((16, 64), (16, 128)):
        index = Index(ndim=DIMENSION, metric="ip", dtype="f32", connectivity=connectivity, expansion_add=expansion_add)
        started = time.perf_counter()
        index.add(np.arange(len(chunks), dtype=np.uint64), chunks)
        build = time.perf_counter() - started
        for expansion_search in (32, 64, 128):
            index.expansion_search = expansion_search
            found = index.search(queries, K).keys
            rows.append(
                [
                    len(chunks),
                    connectivity,
                    expansion_add,
                    expansion_search,
                    f"{build:.1f}",
                    f"{recall([f.tolist() for f in found], truth):.4f}",
                ]
            )
    return rows


# --- main -----------------------------------------------------------------------------------


def tables(results: dict) -> str:
    rows = []
    for system in results["systems"]:
        for run in system["runs"]:
            cpu = system.get("build_cpu_s")
            rows.append([system["name"], system["size"], run["ef_search"] or "–", f"{system['build_s']:.1f}", f"{cpu:.1f}" if cpu else "–",
                         f"{system['peak_rss_mb']:.0f}" if system.get("peak_rss_mb") else "server", f"{system.get('graph_mb', 0):.0f}",
                         f"{run['latency']['p50_ms']:.2f}", f"{run['latency']['p95_ms']:.2f}", f"{run['latency']['cpu_p50_ms']:.2f}",
                         f"{run['recall']:.3f}", "{:.1f} / {:.1f}".format(*system["load_average_1min"])])  # fmt: skip
    out = [
        markdown_table(
            [
                "system",
                "vectors",
                "ef_search",
                "build s",
                "build CPU s",
                "peak RSS MB",
                "index disk MB",
                "p50 ms",
                "p95 ms",
                "CPU p50 ms",
                "recall@10",
                "load before/after",
            ],
            rows,
        )
    ]
    sparse = results.get("sparse")
    if sparse:
        out.append(markdown_table(["system", "chunks", "build s", "of which tokenizing s", "DB MB", "peak RSS MB", "p50 ms", "p95 ms", "load before/after"],
                                  [["SQLite FTS5 BM25", sparse["chunks"], f"{sparse['build_s']:.1f}", f"{sparse['tokenize_s']:.1f}", f"{sparse['db_mb']:.0f}", f"{sparse['peak_rss_mb']:.0f}",
                                    f"{sparse['latency']['p50_ms']:.2f}", f"{sparse['latency']['p95_ms']:.2f}", "{:.1f} / {:.1f}".format(*sparse["load_average_1min"])]]))  # fmt: skip
    return "\n\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="vectors for the embedded store")
    parser.add_argument("--pg-size", type=int, default=200_000, help="vectors for pgvector (its HNSW build is the slowest)")
    parser.add_argument("--qdrant-size", type=int, default=100_000, help="vectors for Qdrant local mode")
    parser.add_argument("--sparse-size", type=int, default=100_000, help="chunks of real text for FTS5 (0: skip)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ef", default="128,256,512", help="HNSW ef_search values for the embedded graph (512: ragkb's)")
    parser.add_argument("--pg-ef", default="40,128,400", help="hnsw.ef_search values (40: pgvector's default, 400: ragkb's)")
    parser.add_argument("--maintenance-work-mem", default="3GB")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("RAGKB_TEST_POSTGRES_URL")
        or (Path("/tmp/pgdev.url").read_text().strip() if Path("/tmp/pgdev.url").exists() else ""),
    )
    parser.add_argument("--work", type=Path, default=OUT / "vector-scale")
    parser.add_argument("--minilm-only", action="store_true", help="only the HNSW settings on real MiniLM vectors")
    args = parser.parse_args()
    if args.minilm_only:
        print(
            markdown_table(
                ["chunks", "connectivity", "expansion_add", "expansion_search", "build s", "recall@10"], minilm_recall()
            )
        )
        return
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    work = str(args.work)

    vectors, queries = clustered(args.size, seed=1), clustered(args.queries, seed=2)
    np.save(args.work / "vectors.npy", vectors)
    np.save(args.work / "queries.npy", queries)
    started = time.perf_counter()
    truth = exact_top(vectors, queries)
    exact_s = time.perf_counter() - started
    np.save(args.work / "truth.npy", truth)
    for size in {args.pg_size, args.qdrant_size} - {0}:
        np.save(args.work / f"truth-{size}.npy", exact_top(vectors[:size], queries))
    nearest = np.sort(queries @ vectors[:200_000].T, axis=1)[:, -1]
    log(
        f"{args.size} vectors; ground truth in {exact_s:.1f} s; nearest-neighbour cosine p10/p50/p90 {np.percentile(nearest, [10, 50, 90]).round(2)}"
    )
    del vectors
    url = f"sqlite:///{args.work / 'catalog.db'}"
    fill_s = fill_catalog(url, np.load(args.work / "vectors.npy", mmap_mode="r"))
    log(f"SQLite catalog filled in {fill_s:.0f} s ({folder_mb(args.work / 'catalog.db'):.0f} MB)")
    efs = [int(e) for e in args.ef.split(",")]
    systems = []

    def record(name: str, size: int, function, *task_args) -> None:
        log(f"{name} ...")
        result = {"name": name, "size": size, **in_fresh_process(function, *task_args)}
        log(
            f"{name}: build {result['build_s']:.1f} s, "
            + ", ".join(
                f"ef {r['ef_search']}: p50 {r['latency']['p50_ms']:.2f} ms recall {r['recall']:.3f}" for r in result["runs"]
            )
        )
        systems.append(result)

    record("embedded exact (NumPy)", args.size, run_embedded, url, work, args.size + 1, efs)
    record("embedded HNSW (usearch), first search builds and saves", args.size, run_embedded, url, work, 20_000, efs)
    record("embedded HNSW (usearch), new process loads the saved graph", args.size, run_embedded, url, work, 20_000, efs[1:2])
    if args.pg_size and args.pg_url:
        record(
            "pgvector HNSW (m=16, ef_construction=64)",
            args.pg_size,
            run_pgvector,
            args.pg_url,
            work,
            args.pg_size,
            [int(e) for e in args.pg_ef.split(",")],
            args.maintenance_work_mem,
        )
    if args.qdrant_size:
        record("Qdrant local mode (brute force)", args.qdrant_size, run_qdrant, work, args.qdrant_size)
    results = {
        "fill_catalog_s": fill_s,
        "catalog_mb": folder_mb(args.work / "catalog.db"),
        "maintenance_work_mem": args.maintenance_work_mem,
        "systems": systems,
    }
    if args.sparse_size:
        log("FTS5 ...")
        results["sparse"] = in_fresh_process(run_sparse, work, args.sparse_size, args.queries)
    path = save("vector_scale", results)
    print(tables(results))
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
