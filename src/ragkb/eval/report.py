"""Files an evaluation leaves for error analysis: per-query JSONL and a PNG of the metrics per run."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from pathlib import Path

from ragkb.config import KBSettings
from ragkb.eval.beir import BeirDataset
from ragkb.eval.retrieval import RunResult
from ragkb.extras import require

PLOTTED = ("nDCG@10", "Recall@10", "MRR@10")
SHOWN_DOCUMENTS = 20


def write_per_query(results: Sequence[RunResult], dataset: BeirDataset, path: Path) -> Path:
    """One line per (run, query): the query, its judged documents, the top documents found, metrics,
    seconds, per-stage timings and the texts searched (expansions)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for result in results:
            for outcome in result.outcomes:
                row = {
                    "run": result.name,
                    "kind": result.kind,
                    "query_id": outcome.query_id,
                    "query": dataset.queries[outcome.query_id],
                    "relevant": dataset.qrels[outcome.query_id],
                    "found": outcome.ranking[:SHOWN_DOCUMENTS],
                    "metrics": outcome.metrics,
                    "seconds": round(outcome.seconds, 5),
                    "timings": outcome.timings,
                    "searched": outcome.queries,
                }
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def plot_metrics(results: Sequence[RunResult], title: str, path: Path) -> Path:
    """Horizontal grouped bars: each plotted metric for each run that ran, best nDCG@10 on top."""
    matplotlib = require("matplotlib", "ragkb eval's charts")
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    ran = sorted((r for r in results if not r.skipped), key=lambda r: r.metrics.get(PLOTTED[0], 0.0))
    figure, axes = plt.subplots(figsize=(9, 1.4 + 0.62 * len(ran)))
    height = 0.8 / len(PLOTTED)
    for index, metric in enumerate(PLOTTED):
        positions = [i + (index - (len(PLOTTED) - 1) / 2) * height for i in range(len(ran))]
        values = [r.metrics.get(metric, 0.0) for r in ran]
        bars = axes.barh(positions, values, height, label=metric)
        axes.bar_label(bars, labels=[f"{v:.3f}" for v in values], fontsize=7, padding=2)
    axes.set_yticks(range(len(ran)), [textwrap.fill(f"{r.name} ({r.kind})", 34) for r in ran], fontsize=8)
    axes.set_xlim(0, 1.1)
    axes.set_xlabel("mean over queries")
    axes.set_title(title, fontsize=10)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=len(PLOTTED), fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def retrieval_report(results: Sequence[RunResult], dataset: BeirDataset, settings: KBSettings, folder: Path) -> dict:
    """What ``ragkb eval retrieval`` reports: each mode's and profile's metrics, with the per-query
    JSONL and the plot written to ``folder``."""
    used = next((r.embedder for r in results if r.embedder), settings.embedder)  # ``auto`` chose one
    files = {
        "per_query": str(write_per_query(results, dataset, folder / "per-query.jsonl")),
        "plot": str(plot_metrics(results, f"{dataset.name}: {len(dataset.queries)} queries", folder / "metrics.png")),
    }
    return {
        "dataset": dataset.name,
        "documents": len(dataset.corpus),
        "queries": len(dataset.queries),
        "kb_settings": settings.model_copy(update={"embedder": used}).model_dump(),
        "results": {r.name: r.summary() for r in results if r.kind == "mode"},
        "profiles": {r.name: r.summary() for r in results if r.kind == "profile"},
        "files": files,
    }
