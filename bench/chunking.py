"""Retrieval quality (document nDCG@10, sparse and hybrid) for chunk_size/chunk_overlap choices.

    python bench/chunking.py [--datasets DIR ...] [--configs 200/30,300/45,400/60,600/90,800/120]
        [--hybrid-datasets all|none|NAME,...] [--sample-queries N]

Each configuration is indexed into a throwaway KB by ``ragkb.eval.retrieval.evaluate``; all of them
share one temporary catalog, so chunks that come out the same under two configurations (or two
datasets with one corpus) are embedded once (ragkb's embedding cache). Hybrid needs MiniLM
embeddings, a few tens of chunks/s on 2 cores, so it can be limited to some datasets; the others
are indexed without an embedder (sparse only). Writes bench/out/<--out>.json (chunking.json).
"""

from __future__ import annotations

import argparse

from common import find_datasets, fingerprint, log, markdown_table, sample_dataset, save, temporary_settings

from ragkb.config import KBSettings
from ragkb.eval.beir import load_beir
from ragkb.eval.retrieval import corpus_document, evaluate
from ragkb.ingest.chunking import chunk_document

DEFAULT_CONFIGS = "200/30,300/45,400/60,600/90,800/120"


def ndcg(scores: dict, mode: str) -> float | None:
    return scores[mode]["nDCG@10"] if mode in scores else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="*", default=[], help="BEIR folders (default: every one under datasets/)")
    parser.add_argument("--configs", default=DEFAULT_CONFIGS, help="comma-separated size/overlap pairs")
    parser.add_argument("--hybrid-datasets", default="all", help="comma-separated dataset names to score hybrid on, all, or none")
    parser.add_argument(
        "--sample-queries", type=int, default=0, help="score N random queries over their documents plus as many others"
    )
    parser.add_argument("--out", default="chunking", help="name of the JSON file written in bench/out/")
    args = parser.parse_args()
    configs = [(int(s), int(o)) for s, o in (c.split("/") for c in args.configs.split(","))]
    folders = find_datasets(args.datasets)
    versions = [fingerprint(folder) for folder in folders]
    datasets = [load_beir(folder) for folder in folders]
    if args.sample_queries:
        datasets = [sample_dataset(d, args.sample_queries) for d in datasets]
    names = [folder.name for folder in folders]
    hybrid_on = set(names) if args.hybrid_datasets == "all" else set(args.hybrid_datasets.split(",")) - {"none"}
    scores: dict[str, dict[str, dict]] = {}  # config → dataset → {chunks, mode: metrics}
    payload = {
        "datasets": {d.name: v for d, v in zip(datasets, versions, strict=False)},
        "hybrid_datasets": sorted(hybrid_on),
        "scores": scores,
    }
    with temporary_settings() as settings:
        for size, overlap in configs:
            name = f"{size}/{overlap}"
            for dataset in datasets:
                log(f"{name} on {dataset.name}")
                hybrid = dataset.name.removesuffix(" (sample)") in hybrid_on
                config = KBSettings(chunk_size=size, chunk_overlap=overlap, **({} if hybrid else {"embedder": "none"}))
                chunks = sum(len(chunk_document(corpus_document(text), size, overlap)) for _, text in dataset.corpus.values())
                results = evaluate(dataset, config, ["sparse", "hybrid"] if hybrid else ["sparse"], settings=settings)
                scores.setdefault(name, {})[dataset.name] = {"chunks": chunks, **{r.mode: r.metrics for r in results}}
            path = save(args.out, payload)  # after each configuration, so a long run keeps what it measured
    print(report(scores, [d.name for d in datasets]))
    print(f"\nwritten: {path}")


def report(scores: dict[str, dict[str, dict]], datasets: list[str]) -> str:
    """The nDCG@10 table (one row per configuration) and the best configuration per mode."""
    modes = [
        m for m in ("sparse", "hybrid") if any(m in per_config.get(d, {}) for per_config in scores.values() for d in datasets)
    ]
    headers = ["chunk_size/overlap"]
    for dataset in datasets:
        headers += [f"{dataset} chunks", *(f"{dataset} {m}" for m in modes)]
    headers += [f"mean {m}" for m in modes]
    rows = []
    for name, per_dataset in scores.items():
        row: list[object] = [name]
        for dataset in datasets:
            row += [per_dataset[dataset]["chunks"], *(ndcg(per_dataset[dataset], m) for m in modes)]
        for mode in modes:
            values = [v for v in (ndcg(per_dataset[d], mode) for d in datasets) if v is not None]
            row.append(sum(values) / len(values) if values else None)
        rows.append(row)
    lines = ["nDCG@10 (document level); means are over the datasets where the mode was scored\n", markdown_table(headers, rows)]
    for index, mode in enumerate(modes):
        best = max(rows, key=lambda row: row[len(row) - len(modes) + index] or 0.0)
        lines.append(f"\nbest mean {mode} nDCG@10: {best[0]}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
