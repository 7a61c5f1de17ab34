"""Ingest throughput, query latency and peak memory at 10k and 100k chunks: ragkb (sparse-only and
with embeddings) against rank-bm25, bm25s and LangChain's EnsembleRetriever(BM25 + FAISS).

    python bench/ingest_and_latency.py [--sizes 10000,100000] [--skip-embeddings-above 20000]
        [--queries 200] [--datasets DIR ...] [--no-stand-in] [--peer-tokenizers ragkb]

The corpora are made deterministically from the sentences of the BEIR datasets: documents of 3-12
paragraphs of 2-6 sentences each, half Chinese and half English, until ragkb's chunker (default
chunk settings) makes the requested number of chunks. Queries are the datasets' queries (half
Chinese, half English), topped up with sentence fragments when there are too few.

Every system runs in its own fresh process, so peak RSS (VmHWM) is that system's alone, plus the
benchmark's own copy of the corpus, whose peak is reported beside it. Above
--skip-embeddings-above chunks MiniLM is not run (it embeds a few tens of chunks/s on 2 cores);
instead a stand-in embedder gives hash-derived 384-d vectors, so that ragkb's vector storage and
dense search (and FAISS) are still measured at that size; those rows say "stand-in".
Peers index the same chunk texts ragkb indexes (its chunker and :func:`indexed_text`); the
ensemble's FAISS gets the vectors ragkb stored. Writes bench/out/<--out>.json (ingest_and_latency.json).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from common import (
    BM25S,
    OUT,
    LangChainEnsemble,
    RankBM25,
    find_datasets,
    forget_query_embeddings,
    log,
    markdown_table,
    minilm_encoder,
    peak_rss_mb,
    query_latency,
    read_vectors,
    save,
    settings_at,
    time_embeddings,
    timed,
    whitespace,
)

from ragkb.config import DEFAULT_EMBEDDER, KBSettings, Settings
from ragkb.eval.beir import load_beir
from ragkb.index.embedders import EMBEDDERS
from ragkb.index.language import detect_language
from ragkb.index.stores.base import indexed_text
from ragkb.index.tokenize import tokenize
from ragkb.ingest.chunking import chunk_document
from ragkb.kb import KnowledgeBase
from ragkb.models import Block, ParsedDocument

WORK = OUT / "work"
STAND_IN = "bench-stand-in:384"
K = 10
SENTENCE_END = re.compile(r"(?<=[。！？!?])|(?<=[.;:])\s+")


# --- corpora --------------------------------------------------------------------------------


def sentence_pools(folders: list[Path]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Sentences and queries of the datasets, by language."""
    sentences: dict[str, list[str]] = {"zh": [], "en": []}
    queries: dict[str, list[str]] = {"zh": [], "en": []}
    for folder in folders:
        dataset = load_beir(folder)
        for _, text in dataset.corpus.values():
            for sentence in SENTENCE_END.split(text):
                sentence = " ".join(sentence.split())
                if 8 <= len(sentence) <= 300:
                    sentences[detect_language(sentence)].append(sentence)
        for query in dataset.queries.values():
            queries[detect_language(query)].append(query)
    return sentences, queries


def document(paragraphs: list[str]) -> ParsedDocument:
    return ParsedDocument([Block(p) for p in paragraphs], loader="bench")


def make_corpus(size: int, sentences: dict[str, list[str]], queries: dict[str, list[str]], count: int) -> dict:
    rng = random.Random(size)
    settings = KBSettings()
    documents, chunks = [], []
    while len(chunks) < size:
        language = "zh" if len(documents) % 2 else "en"
        pool, joiner = sentences[language], "" if language == "zh" else " "
        title = rng.choice(pool)[: 12 if language == "zh" else 48]
        paragraphs = [joiner.join(rng.choices(pool, k=rng.randint(2, 6))) for _ in range(rng.randint(3, 12))]
        doc_id = f"doc-{len(documents):06d}-{language}"
        documents.append({"id": doc_id, "title": title, "paragraphs": paragraphs})
        chunks += [
            indexed_text(title, c) for c in chunk_document(document(paragraphs), settings.chunk_size, settings.chunk_overlap)
        ]
    chosen: list[str] = []
    for language, wanted in (("zh", count // 2), ("en", count - count // 2)):
        picked = rng.sample(sorted(set(queries[language])), min(wanted, len(set(queries[language]))))
        while len(picked) < wanted:  # top up with fragments of sentences
            sentence = rng.choice(sentences[language])
            words = list(sentence) if language == "zh" else sentence.split()
            start = rng.randrange(max(len(words) - 6, 1))
            fragment = ("" if language == "zh" else " ").join(words[start : start + rng.randint(4, 10)])
            if fragment not in picked:  # a repeated query would hit ragkb's query-embedding cache
                picked.append(fragment)
        chosen += picked
    return {"documents": documents, "chunks": chunks, "queries": chosen}


# --- the stand-in embedder ------------------------------------------------------------------


def stand_in_vectors(texts: list[str]) -> np.ndarray:
    """Unit vectors drawn from a hash of each text: MiniLM's shape without MiniLM's cost."""
    rows = [
        np.random.default_rng(int.from_bytes(hashlib.sha1(t.encode()).digest()[:8], "little")).standard_normal(384) for t in texts
    ]
    vectors = np.asarray(rows, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class StandInEmbedder:
    def __init__(self, model: str, settings: Settings):
        self.name, self.languages = f"bench-stand-in:{model}", {"en"}

    def embed(self, texts: list[str]) -> np.ndarray:
        return stand_in_vectors(texts)


# --- one system in one process --------------------------------------------------------------


def load_corpus(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def run_ragkb(corpus_path: Path, home: Path, embedder: str) -> dict:
    EMBEDDERS.register("bench-stand-in", StandInEmbedder)
    corpus = load_corpus(corpus_path)
    floor = peak_rss_mb()  # the benchmark's own copy of the corpus, before ragkb does anything
    kb = KnowledgeBase.create("bench", kb_settings=KBSettings(embedder=embedder), settings=settings_at(home))
    timer = time_embeddings(kb)
    documents = ((d["id"], d["title"], document(d["paragraphs"])) for d in corpus["documents"])
    cpu = time.process_time()
    report, seconds = timed(lambda: kb.add_documents(documents))
    cpu = time.process_time() - cpu
    embedding_s = timer.seconds if timer else 0.0
    if report.chunks != len(corpus["chunks"]):
        raise RuntimeError(f"ragkb made {report.chunks} chunks, the corpus file has {len(corpus['chunks'])}")
    modes = ("sparse",) if embedder == "none" else ("sparse", "dense", "hybrid")
    latency = {}
    for mode in modes:
        forget_query_embeddings(kb, corpus["queries"])
        latency[mode] = query_latency(lambda q, mode=mode: kb.search(q, k=K, mode=mode), corpus["queries"])
    if timer:  # how much of dense latency is the model: embedding each query, nothing else
        latency["query embedding alone"] = query_latency(lambda q: timer.inner.embed([q]), corpus["queries"])
    return {
        "chunks": report.chunks,
        "build_s": seconds,
        "build_cpu_s": cpu,
        "embedding_s": embedding_s,
        "latency": latency,
        "peak_rss_mb": peak_rss_mb(),
        "peak_rss_after_corpus_load_mb": floor,
        "db_mb": sum(f.stat().st_size for f in home.glob("ragkb.db*")) / 2**20,
    }


def run_peer(kind: str, tokenizer: str, corpus_path: Path, vectors_home: Path | None, encoder: str) -> dict:
    corpus = load_corpus(corpus_path)
    floor = peak_rss_mb()
    texts = corpus["chunks"]
    split, label = (tokenize, "ragkb tokenizer") if tokenizer == "ragkb" else (whitespace, "default tokenizer")
    vectors = None
    if kind == "ensemble":
        vectors = read_vectors(KnowledgeBase.open("bench", settings=settings_at(vectors_home)))
        encode = stand_in_vectors if encoder == "stand-in" else minilm_encoder()
        peer = LangChainEnsemble(split, label, encode)
    else:
        peer = RankBM25(split, label) if kind == "rank-bm25" else BM25S(None if tokenizer == "default" else tokenize, label)
    cpu = time.process_time()
    _, seconds = timed(lambda: peer.build(texts, vectors))
    return {
        "system": peer.name,
        "chunks": len(texts),
        "build_s": seconds,
        "build_cpu_s": time.process_time() - cpu,
        "latency": {
            "ensemble" if kind == "ensemble" else "sparse": query_latency(lambda q: peer.search(q, K), corpus["queries"])
        },
        "peak_rss_mb": peak_rss_mb(),
        "peak_rss_after_corpus_load_mb": floor,
    }


def in_fresh_process(function: Callable[..., dict], *args: object) -> dict:
    load_before = os.getloadavg()[0]
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        result = pool.submit(function, *args).result()
    return {**result, "load_average_1min": [load_before, os.getloadavg()[0]]}


# --- main -----------------------------------------------------------------------------------


def run_size(size: int, args: argparse.Namespace, sentences: dict, queries: dict) -> list[dict]:
    corpus_path = args.work / f"corpus-{size}.json"
    corpus = make_corpus(size, sentences, queries, args.queries)
    corpus_path.write_text(json.dumps(corpus, ensure_ascii=False), encoding="utf-8")
    log(f"{size}: {len(corpus['documents'])} documents, {len(corpus['chunks'])} chunks, {len(corpus['queries'])} queries")
    results: list[dict] = []

    def record(system: str, function: Callable[..., dict], *task_args: object) -> None:
        log(f"  {system} ...")
        result = {"size": size, "system": system, **in_fresh_process(function, *task_args)}
        log(f"  {system}: build {result['build_s']:.1f} s, peak RSS {result['peak_rss_mb']:.0f} MB")
        results.append(result)

    sparse_home, dense_home = args.work / f"home-{size}-sparse", args.work / f"home-{size}-dense"
    for home in (sparse_home, dense_home):
        shutil.rmtree(home, ignore_errors=True)
    record("ragkb (embedder none)", run_ragkb, corpus_path, sparse_home, "none")
    encoder = "minilm" if size <= args.skip_embeddings_above else "stand-in" if args.stand_in else None
    if encoder:
        name = "ragkb (MiniLM)" if encoder == "minilm" else "ragkb (stand-in vectors)"
        record(name, run_ragkb, corpus_path, dense_home, DEFAULT_EMBEDDER if encoder == "minilm" else STAND_IN)
    for tokenizer in args.peer_tokenizers.split(","):
        record(f"rank-bm25 ({tokenizer} tokenizer)", run_peer, "rank-bm25", tokenizer, corpus_path, None, "")
        record(f"bm25s ({tokenizer} tokenizer)", run_peer, "bm25s", tokenizer, corpus_path, None, "")
        if encoder:
            label = "MiniLM" if encoder == "minilm" else "stand-in vectors"
            record(
                f"LangChain Ensemble ({tokenizer} tokenizer, {label})",
                run_peer,
                "ensemble",
                tokenizer,
                corpus_path,
                dense_home,
                encoder,
            )
    if not args.keep:
        for path in (sparse_home, dense_home, corpus_path):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    return results


def tables(results: list[dict]) -> str:
    ingest = [[r["size"], r["system"], r["chunks"], f"{r['build_s']:.1f}", f"{r['chunks'] / r['build_s']:.0f}",
               f"{r['build_cpu_s']:.1f}", f"{r['embedding_s']:.1f}" if "embedding_s" in r else None, f"{r['peak_rss_mb']:.0f}", f"{r['peak_rss_after_corpus_load_mb']:.0f}" if "peak_rss_after_corpus_load_mb" in r else None,
               f"{r['db_mb']:.0f}" if "db_mb" in r else None, "{:.1f} / {:.1f}".format(*r["load_average_1min"])]
              for r in results]  # fmt: skip
    latency = [[r["size"], r["system"], mode, f"{v['p50_ms']:.1f}", f"{v['p95_ms']:.1f}", f"{v['cpu_p50_ms']:.1f}", f"{v['cold_ms']:.1f}"]
               for r in results for mode, v in r["latency"].items()]  # fmt: skip
    return "\n\n".join([
        "Ingest / index build (wall clock; ragkb = add_documents incl. chunking, tokenizing, embedding, SQLite; peers = index from the chunk texts)\n",
        markdown_table(["chunks", "system", "chunks", "build s", "chunks/s", "CPU s", "of which embedding s", "peak RSS MB", "peak RSS after corpus load MB", "DB MB", "load avg before/after"], ingest),
        f"Query latency, k={K}, one query at a time (wall-clock p50/p95 and CPU-time p50 over all but the first query; cold = the first query)\n",
        markdown_table(["chunks", "system", "mode", "p50 ms", "p95 ms", "CPU p50 ms", "cold ms"], latency),
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated chunk counts")
    parser.add_argument("--skip-embeddings-above", type=int, default=20000, help="no MiniLM above this many chunks")
    parser.add_argument("--no-stand-in", dest="stand_in", action="store_false", help="above the limit, skip dense entirely")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--datasets", nargs="*", default=[], help="BEIR folders to take sentences from (default: datasets/*)")
    parser.add_argument("--peer-tokenizers", default="ragkb", help="ragkb and/or default")
    parser.add_argument("--keep", action="store_true", help="keep the corpora and catalogs in bench/out/work/<--out>")
    parser.add_argument("--out", default="ingest_and_latency", help="name of the JSON file written in bench/out/")
    args = parser.parse_args()
    args.work = WORK / args.out
    args.work.mkdir(parents=True, exist_ok=True)
    sentences, queries = sentence_pools(find_datasets(args.datasets))
    results: list[dict] = []
    for size in (int(s) for s in args.sizes.split(",")):
        results += run_size(size, args, sentences, queries)
        path = save(args.out, {"results": results})  # after each size, so a long run keeps what it measured
    print(tables(results))
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
