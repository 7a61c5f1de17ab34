"""Choose the ``accurate`` profile's settings on half of each evaluation set's queries, report the other half.

    python bench/tune_accurate.py build HOME DATASET ... [--embedder none]   # index once, KBs named after the sets
    python bench/tune_accurate.py sweep HOME ... [--out tune-accurate]

``sweep`` opens every KB in the given ragkb homes whose name is a dataset under datasets/, and runs each
candidate setting (profile overrides on top of ``default``, listed in :data:`GRID`; a ``"kb_settings"`` entry
overrides the KB's settings instead, e.g. ``{"kb_settings": {"dense_confidence_z": null}}``) on the **dev** half of
that set's queries (odd positions in the query file, which is sorted by id) and on the **test** half (even
positions). A setting is chosen on dev only: the one whose smallest nDCG@10 gain over ``default`` across
the sets is largest (it must beat default on every set, not on average); test says whether that holds on
queries it was not chosen on. Query embeddings are computed once per query and reused by every setting
(the settings change what happens after retrieval, never the query vector), so quality numbers are
exact and latencies are not measured here (bench/profiles.py does that); likewise a cross-encoder scores
each (query, passage) pair once, however many settings blend its scores.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from common import DATASETS, log, markdown_table, save, settings_at

from ragkb.config import KBSettings
from ragkb.eval.beir import BeirDataset, load_beir
from ragkb.eval.retrieval import RunResult, corpus_document, run
from ragkb.index.embedders import embed_queries
from ragkb.kb import KnowledgeBase
from ragkb.profiles import SearchOptions
from ragkb.retrieve.rerank import CrossEncoderReranker

GRID: dict[str, dict] = {
    "default": {},
    **{f"proximity {w}": {"proximity": w} for w in (0.1, 0.2, 0.3, 0.5, 1.0)},
    **{f"evidence {w}": {"file_evidence": w} for w in (0.1, 0.2, 0.3, 0.5)},
    **{
        f"feedback {d}/{t}/{w}": {"feedback_docs": d, "feedback_terms": t, "feedback_weight": w}
        for d in (3, 10)
        for t in (10, 30)
        for w in (0.2, 0.4)
    },
}


class MemoEmbedder:
    """The KB's embedder, remembering each text's vector (every setting embeds the same queries)."""

    def __init__(self, inner):
        self.inner, self.name, self.languages, self.memo = inner, inner.name, inner.languages, {}

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._remembered(texts, False)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._remembered(texts, True)

    def _remembered(self, texts: list[str], queries: bool) -> np.ndarray:
        missing = [t for t in texts if (t, queries) not in self.memo]
        if missing:
            vectors = embed_queries(self.inner, missing, "") if queries else self.inner.embed(missing)
            self.memo.update(((t, queries), v) for t, v in zip(missing, vectors, strict=True))
        return np.stack([self.memo[(t, queries)] for t in texts])


def memoize_reranker(cache: Path | None) -> Callable[[], None]:
    """Settings that differ in how they use the cross-encoder score the same (query, passage) pairs: once.

    With ``cache`` the scores are also kept in that file between runs; returns what saves them."""
    memo: dict[tuple[str, str, str], float | None] = pickle.loads(cache.read_bytes()) if cache and cache.is_file() else {}
    score = CrossEncoderReranker.score

    def remembered(self: CrossEncoderReranker, query: str, passages: list[str]) -> list[float | None]:
        missing = [p for p in dict.fromkeys(passages) if (self.location, query, p) not in memo]
        if missing:
            memo.update({(self.location, query, p): s for p, s in zip(missing, score(self, query, missing), strict=True)})
        return [memo[(self.location, query, p)] for p in passages]

    CrossEncoderReranker.score = remembered
    return lambda: cache.write_bytes(pickle.dumps(memo)) if cache else None


def halves(dataset: BeirDataset) -> dict[str, BeirDataset]:
    items = list(dataset.queries.items())
    return {
        split: BeirDataset(dataset.name, dataset.corpus, dict(items[start::2]), dataset.qrels)
        for split, start in (("dev", 1), ("test", 0))
    }


def build(home: Path, names: list[str], embedder: str | None) -> None:
    settings = settings_at(home)
    kb_settings = KBSettings() if embedder is None else KBSettings(embedder=embedder)
    for name in names:
        dataset = load_beir(DATASETS / name)
        started = time.perf_counter()
        kb = KnowledgeBase.create(name, kb_settings=kb_settings, settings=settings)
        kb.add_documents(((d, t, corpus_document(x)) for d, (t, x) in dataset.corpus.items()), total=len(dataset.corpus))
        log(f"{name}: indexed in {time.perf_counter() - started:.0f} s")


def sweep(homes: list[Path], grid: dict[str, dict], out: str, only: list[str], rerank_cache: Path | None) -> None:
    save_scores = memoize_reranker(rerank_cache)
    rows = []
    for home in homes:
        for kb in KnowledgeBase.list(settings=settings_at(home)):
            if not (DATASETS / kb.name / "corpus.jsonl").is_file() or (only and kb.name not in only):
                continue
            if kb.embedder is not None:
                kb.embedder.inner = MemoEmbedder(kb.embedder.inner)
            stored = kb.settings
            for split, dataset in halves(load_beir(DATASETS / kb.name)).items():
                for setting, overrides in grid.items():
                    overrides = dict(overrides)
                    kb.settings = KBSettings.model_validate({**stored.model_dump(), **overrides.pop("kb_settings", {})})
                    options = SearchOptions(k=300, **overrides)
                    result = run(kb, dataset, RunResult(setting, "profile"), options, None)
                    rows.append({"dataset": kb.name, "split": split, "setting": setting, **result.metrics})
                    log(f"{kb.name} {split} {setting}: nDCG@10 {result.metrics['nDCG@10']:.4f}")
            save(out, {"grid": grid, "rows": rows})
            save_scores()
    report(rows)


def report(rows: list[dict]) -> None:
    table = {(r["dataset"], r["split"], r["setting"]): r["nDCG@10"] for r in rows}
    datasets = sorted({r["dataset"] for r in rows})
    settings = list(dict.fromkeys(r["setting"] for r in rows))
    for split in ("dev", "test"):
        body = []
        for setting in settings:
            gains = [table[(d, split, setting)] - table[(d, split, "default")] for d in datasets]
            body.append([setting, *(f"{table[(d, split, setting)]:.4f}" for d in datasets), f"{min(gains):+.4f}"])
        print(f"\n{split}: nDCG@10 (last column: smallest gain over default)\n")
        print(markdown_table(["setting", *datasets, "min gain"], body))
    best = max(settings, key=lambda s: min(table[(d, "dev", s)] - table[(d, "dev", "default")] for d in datasets))
    print(f"\nchosen on dev: {best}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    building = commands.add_parser("build")
    building.add_argument("home", type=Path)
    building.add_argument("datasets", nargs="+")
    building.add_argument("--embedder", default=None, help="KB embedder (none: BM25 only; default: the KB default)")
    sweeping = commands.add_parser("sweep")
    sweeping.add_argument("homes", type=Path, nargs="+")
    sweeping.add_argument("--grid", type=json.loads, default=None, help="JSON {name: overrides} instead of GRID")
    sweeping.add_argument("--datasets", nargs="*", default=[], help="only the KBs of these datasets")
    sweeping.add_argument("--out", default="tune-accurate")
    sweeping.add_argument("--rerank-cache", type=Path, default=None, help="file keeping cross-encoder scores between runs")
    args = parser.parse_args()
    if args.command == "build":
        build(args.home, args.datasets, args.embedder)
    else:
        sweep(args.homes, {"default": {}, **(args.grid or GRID)}, args.out, args.datasets, args.rerank_cache)


if __name__ == "__main__":
    sys.exit(main())
