"""How hybrid search should mix BM25 and the embedder: recorded once per set, swept offline, chosen on dev halves.

    python bench/fusion.py sample OUT --sample N DATASET ...   # BEIR folders of N queries each, dev/test kept
    python bench/fusion.py record HOME --embedder SPEC [--sample N] [--out NAME] DATASET ...
    python bench/fusion.py sweep bench/out/fusion-*.json [--out NAME] [--skip 'SET EMBEDDER' ...]
    python bench/fusion.py adapt bench/out/fusion-*.json [--out NAME] [--skip 'SET EMBEDDER' ...]

``record`` indexes each BEIR folder into a KB in the ragkb home ``HOME`` (kept, so a second run embeds
nothing: the embedding cache), searches every query as ``ragkb eval retrieval``'s hybrid mode does, and
records what fusion was given for it: BM25's candidates and scores, the embedder's (its own best and its
scores for BM25's), the dense weight the confidence rule gave, the query's dense z-score over the KB's
background sample, and which candidates are in a language the embedder does not read. ``--sample N``
keeps N queries of a large set with their judged documents and as many others (``common.sample_dataset``).

``sample`` writes those samples as BEIR folders (qrels/dev.tsv and qrels/test.tsv by the full set's
split), so that ``ragkb eval retrieval`` can score a large set with an embedder too slow for all of it.

``sweep`` replays fusion rules on those records, with no model and no index: each rule's nDCG@10 per set
and split. Splits: a set's ``qrels/dev.tsv`` and ``qrels/test.tsv`` when it has both, else the odd and
even positions of its queries (as bench/tune_accurate.py). A rule is chosen on the dev halves of all sets
together (the largest smallest margin over max(sparse, dense) across sets), never on one set; the test
halves say whether it holds. The rules see only what the pipeline sees at query time.

``adapt`` asks whether the dense weight should follow the query: it scores every query once at 41 dense
weights (zscore fusion), then replays weightings that read features known at query time (dense z-score,
overlap of the two top-10 lists, query length, how far each retriever's best stands out, an identifier,
a question word, Chinese) — the pipeline's rule with extra factors, and a logistic model fitted on the dev
queries — chosen as ``sweep`` chooses, with each half's standard error beside the margins.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from common import DATASETS, log, markdown_table, sample_dataset, save, settings_at
from sqlalchemy import select

import ragkb.retrieve.pipeline as pipeline
from ragkb.catalog.schema import ChunkRow, FileRow
from ragkb.config import KBSettings
from ragkb.eval.beir import BeirDataset, load_beir
from ragkb.eval.metrics import ndcg, query_metrics
from ragkb.eval.retrieval import DEPTH, corpus_document
from ragkb.index.language import detect_language
from ragkb.index.tokenize import tokenize
from ragkb.kb import KnowledgeBase
from ragkb.profiles import SearchOptions
from ragkb.retrieve import fusion
from ragkb.retrieve.adaptive import FEATURES, LEARNED, WeightModel, query_features
from ragkb.retrieve.confidence import PEAK_SHRINK, dense_z, peaked_weight


def split_queries(folder: Path, dataset: BeirDataset) -> dict[str, str]:
    """query id → dev | test: the set's own qrels files if it has both, else alternate positions."""
    qrels = folder / "qrels"
    if (qrels / "dev.tsv").is_file():
        dev = load_beir(folder, "dev").queries
        return {q: "dev" if q in dev else "test" for q in dataset.queries}
    return {q: ("dev" if i % 2 else "test") for i, q in enumerate(dataset.queries)}


def load_all(folder: Path) -> BeirDataset:
    """Every judged query of a set: test.tsv and, where there is one, dev.tsv."""
    dataset = load_beir(folder)
    if (folder / "qrels" / "dev.tsv").is_file():
        dev = load_beir(folder, "dev")
        dataset.queries.update(dev.queries)
        dataset.qrels.update(dev.qrels)
        dataset.queries = dict(sorted(dataset.queries.items()))
    return dataset


class Recorder:
    """Catches what ``pipeline.fuse`` and ``pipeline.confident_weight`` are given for the first text of a search."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.fuse, self.confident = pipeline.fuse, pipeline.confident_weight

    def __enter__(self) -> Recorder:
        def fuse(ctx, session, mode, sparse, dense, dense_weight):
            self.calls.append({"mode": mode, "sparse": dict(sparse), "dense": dict(dense), "weight": dense_weight})
            return self.fuse(ctx, session, mode, sparse, dense, dense_weight)

        def confident(weight, dense, background, z_full):
            if (z := dense_z(dense, background)) is not None:
                self.calls.append({"z": z})
            return self.confident(weight, dense, background, z_full)

        pipeline.fuse, pipeline.confident_weight = fuse, confident
        return self

    def __exit__(self, *exc) -> None:
        pipeline.fuse, pipeline.confident_weight = self.fuse, self.confident


def sampled(folder: Path, sample: int) -> tuple[BeirDataset, dict[str, str]]:
    """A set (all of it, or ``sample`` queries with their documents and as many others) and its splits."""
    dataset = load_all(folder)
    splits = split_queries(folder, dataset)
    if sample and len(dataset.queries) > sample:
        dataset = sample_dataset(dataset, sample)
    return dataset, splits


def write_sample(out: Path, folder: Path, sample: int) -> None:
    dataset, splits = sampled(folder, sample)
    target = out / f"{folder.name}-s{sample}"
    (target / "qrels").mkdir(parents=True, exist_ok=True)
    with open(target / "corpus.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(
            json.dumps({"_id": d, "title": t, "text": x}, ensure_ascii=False) + "\n" for d, (t, x) in dataset.corpus.items()
        )
    with open(target / "queries.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps({"_id": q, "text": t}, ensure_ascii=False) + "\n" for q, t in dataset.queries.items())
    for split in ("dev", "test"):
        rows = [f"{q}\t{d}\t{g}\n" for q in dataset.queries if splits[q] == split for d, g in dataset.qrels[q].items()]
        (target / "qrels" / f"{split}.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(rows), encoding="utf-8")
    log(f"{target}: {len(dataset.corpus)} documents, {len(dataset.queries)} queries")


def record(home: Path, embedder: str, sample: int, folders: list[Path], out: str) -> None:
    settings = settings_at(home)
    sets = []
    for folder in folders:
        dataset, splits = sampled(folder, sample)
        name = f"{folder.name}-{embedder.replace(':', '_').replace('/', '_')}" + (f"-s{sample}" if sample else "")
        existing = {kb.name for kb in KnowledgeBase.list(settings=settings)}
        if name in existing:
            kb = KnowledgeBase.open(name, settings=settings)
        else:
            # the rule's weighting, whose dense confidence hands the recorder the query's z-score
            kb_settings = KBSettings(embedder=embedder, dense_weighting="rule")
            kb = KnowledgeBase.create(name, kb_settings=kb_settings, settings=settings)
        started, cpu = time.perf_counter(), time.process_time()
        documents = ((d, t, corpus_document(x)) for d, (t, x) in dataset.corpus.items())
        kb.add_documents(documents, total=len(dataset.corpus))
        ingest = {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu}
        log(f"{name}: {len(dataset.corpus)} documents indexed in {ingest['seconds']:.0f} s ({ingest['cpu_seconds']:.0f} s CPU)")
        with kb.catalog.session() as session:
            rows = session.execute(
                select(ChunkRow.id, FileRow.path, ChunkRow.language)
                .join(FileRow, FileRow.id == ChunkRow.file_id)
                .where(ChunkRow.kb_id == kb.id)
            ).all()
        documents_of = {str(c): path for c, path, _ in rows}
        unread = sorted(str(c) for c, _, language in rows if language not in kb.context.embedder_languages)
        queries = []
        started, cpu = time.perf_counter(), time.process_time()
        for query_id, text in dataset.queries.items():
            with Recorder() as recorder:
                kb.retrieve(text, SearchOptions(k=DEPTH * 3, mode="hybrid", coverage=0.0))
            fused = next(c for c in recorder.calls if "mode" in c)
            z = next((c["z"] for c in recorder.calls if "z" in c), None)
            queries.append({
                "id": query_id, "split": splits[query_id], "text": text, "language": detect_language(text),
                "mode": fused["mode"], "weight": fused["weight"], "z": z,
                "sparse": {str(k): v for k, v in fused["sparse"].items()},
                "dense": {str(k): v for k, v in fused["dense"].items()},
                "qrels": dataset.qrels[query_id],
            })  # fmt: skip
        search = {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu}
        chunks = kb.stats()["chunks"]
        sets.append({"dataset": folder.name, "embedder": embedder, "sample": sample, "documents": len(dataset.corpus),
                     "chunks": chunks, "ingest": ingest, "search": search, "documents_of": documents_of,
                     "unread": unread, "queries": queries})  # fmt: skip
        log(f"{name}: {len(queries)} queries in {search['seconds']:.0f} s ({search['cpu_seconds']:.0f} s CPU)")
        save(out, {"sets": sets})


# --- sweeping fusion rules over the records ---------------------------------------------------

Rule = Callable[[dict, dict[str, float], dict[str, float]], dict[str, float]]
"""(query record, BM25 scores, trusted dense scores) → fused scores."""


def ranking(scores: dict[str, float], documents_of: dict[str, str]) -> list[str]:
    order = sorted(scores, key=lambda c: (-scores[c], int(c)))
    return list(dict.fromkeys(documents_of[c] for c in order))[:DEPTH]


def confidence(query: dict, z_full: float | None) -> float:
    """:func:`ragkb.retrieve.confidence.confident_weight`'s factor, from the recorded z-score."""
    if z_full is None or query["z"] is None:
        return 1.0
    return min(1.0, max(0.0, query["z"] / z_full))


def fused(
    name: str, weight: float, z_full: float | None, peak: float | None = None, adapt: Callable[[dict], float] | None = None
) -> Rule:
    """The pipeline's hybrid fusion: ``FUSIONS[name]`` at ``weight`` times the dense confidence, shrunk by
    :func:`ragkb.retrieve.confidence.peaked_weight` with ``peak`` (and times ``adapt(query)``, if given);
    queries the embedder cannot read are BM25's alone, as in the pipeline."""

    def rule(query: dict, sparse: dict, dense: dict) -> dict:
        if query["mode"] != "hybrid":
            return sparse
        factor = adapt(query) if adapt else 1.0
        shared = peaked_weight(min(1.0, weight * factor) * confidence(query, z_full), sparse, peak)
        return fusion.FUSIONS[name](sparse, dense, shared)

    return rule


def query_terms(query: dict) -> int:
    return len(tokenize(query["text"]))


def ramp(low: float, high: float, at_low: float, at_high: float, feature: Callable[[dict], float]) -> Callable[[dict], float]:
    """A weight factor moving linearly from ``at_low`` (feature ≤ low) to ``at_high`` (feature ≥ high)."""
    return lambda q: at_low + (at_high - at_low) * min(1.0, max(0.0, (feature(q) - low) / (high - low)))


def rules() -> dict[str, Rule]:
    """Every rule swept: the two retrievers alone, the fusions at several weights with and without dense
    confidence, and query-adaptive weightings (how far BM25's best stands out, as the pipeline does it;
    query length)."""
    swept: dict[str, Rule] = {
        "sparse": lambda query, sparse, dense: sparse,
        "dense": lambda query, sparse, dense: dense if query["mode"] == "hybrid" else sparse,
    }
    for name in ("convex", "zscore", "rrf"):
        for weight in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
            for z_full in (None, 3.0):
                swept[f"{name} {weight} z{z_full or '-'}"] = fused(name, weight, z_full)
    for low, high in ((2, 6), (3, 10)):
        swept[f"zscore 0.8 z3, longer queries more dense [{low},{high}]"] = fused(
            "zscore", 0.8, 3.0, adapt=ramp(low, high, 0.75, 1.06, query_terms)
        )
        swept[f"zscore 0.8 z3, shorter queries more dense [{low},{high}]"] = fused(
            "zscore", 0.8, 3.0, adapt=ramp(low, high, 1.06, 0.75, query_terms)
        )
    for name in ("zscore", "convex"):
        for weight in (0.8, 0.85, 0.9):
            for peak in (4.0, 6.0, 8.0):
                swept[f"{name} {weight} z3.0 peak{peak}"] = fused(name, weight, 3.0, peak)
    return swept


def evaluate(sets: list[dict], swept: dict[str, Rule]) -> list[dict]:
    rows = []
    for record_set in sets:
        documents_of, unread = record_set["documents_of"], set(record_set["unread"])
        queries = [(q, {c: s for c, s in q["dense"].items() if c not in unread}) for q in record_set["queries"]]
        for name, rule in swept.items():
            for split in ("dev", "test"):
                scores = [
                    query_metrics(ranking(rule(q, q["sparse"], dense), documents_of), q["qrels"])["nDCG@10"]
                    for q, dense in queries
                    if q["split"] == split
                ]
                if scores:
                    rows.append({"dataset": set_name(record_set), "embedder": record_set["embedder"], "split": split,
                                 "rule": name, "nDCG@10": statistics.fmean(scores), "queries": len(scores)})  # fmt: skip
    return rows


def set_name(record_set: dict) -> str:
    return record_set["dataset"] + (f" (s{record_set['sample']})" if record_set["sample"] else "")


def margins(table: dict, columns: list[tuple[str, str]], split: str, rule: str) -> list[float]:
    """Each column's nDCG@10 under ``rule`` minus the better of sparse and dense alone."""
    return [
        table[(d, e, split, rule)] - max(table[(d, e, split, "sparse")], table[(d, e, split, "dense")])
        for d, e in columns
        if (d, e, split, rule) in table
    ]


def choose(rows: list[dict]) -> str:
    """The rule whose smallest dev margin over max(sparse, dense), across every set and embedder, is
    largest (ties: the larger mean margin)."""
    table = {(r["dataset"], r["embedder"], r["split"], r["rule"]): r["nDCG@10"] for r in rows}
    columns = sorted({(r["dataset"], r["embedder"]) for r in rows})
    fusions = [r for r in dict.fromkeys(r["rule"] for r in rows) if r not in ("sparse", "dense")]
    return max(
        fusions,
        key=lambda rule: (
            round(min(margins(table, columns, "dev", rule)), 4),
            statistics.fmean(margins(table, columns, "dev", rule)),
        ),
    )


def report(rows: list[dict], chosen: str, shown: list[str]) -> None:
    table = {(r["dataset"], r["embedder"], r["split"], r["rule"]): r["nDCG@10"] for r in rows}
    columns = sorted({(r["dataset"], r["embedder"]) for r in rows}, key=lambda c: (c[1], c[0]))
    for split in ("dev", "test"):
        body = []
        for rule in ["sparse", "dense", *shown]:
            found = margins(table, columns, split, rule)
            cells = [f"{table.get((d, e, split, rule), math.nan):.3f}" for d, e in columns]
            body.append(
                [rule + (" ←" if rule == chosen else ""), *cells, f"{min(found):+.4f}", f"{statistics.fmean(found):+.4f}"]
            )
        headers = ["rule", *(f"{d} {e.split(':')[-1].split('-')[0]}" for d, e in columns), "min margin", "mean margin"]
        print(f"\n{split}: nDCG@10; margins over max(sparse, dense) of the same set and embedder\n")
        print(markdown_table(headers, body))
    print(f"\nchosen on dev: {chosen}")


# --- query-adaptive dense weights ---------------------------------------------------------------

STEPS = 40
"""Dense weights replayed per query: 0, 1/40, ..., 1 (a rule's weight is rounded to the nearest)."""


def weight_grids(sets: list[dict]) -> list[dict]:
    """Every query's nDCG@10 under zscore fusion at each of the :data:`STEPS` + 1 dense weights (one value
    for a query the pipeline gives to BM25 alone), BM25's and the embedder's alone, and its features."""
    rows = []
    for record_set in sets:
        documents_of, unread = record_set["documents_of"], set(record_set["unread"])
        for query in record_set["queries"]:
            sparse, dense = query["sparse"], {c: s for c, s in query["dense"].items() if c not in unread}
            row = {"dataset": set_name(record_set), "embedder": record_set["embedder"], "split": query["split"],
                   "sparse": ndcg(ranking(sparse, documents_of), query["qrels"], 10), "grid": None, "features": None}  # fmt: skip
            row["dense"] = row["sparse"]
            if query["mode"] == "hybrid" and dense:
                row["dense"] = ndcg(ranking(dense, documents_of), query["qrels"], 10)
                row["grid"] = zscore_grid(sparse, dense, documents_of, query["qrels"])
                row["features"] = query_features(query["text"], query["language"], sparse, query["dense"], query["z"])
            rows.append(row)
    return rows


def zscore_grid(sparse: dict[str, float], dense: dict[str, float], documents_of: dict[str, str], qrels: dict) -> list[float]:
    """nDCG@10 of :func:`ragkb.retrieve.fusion.zscore` at every grid weight: standardised once, mixed in numpy."""
    keys = list(sparse.keys() | dense.keys())
    sides = [fusion.standardized(scores) for scores in (sparse, dense)]
    a, b = (np.array([side.get(k, min(side.values())) for k in keys]) for side in sides)
    ids = np.array([int(k) for k in keys])
    grid = []
    for step in range(STEPS + 1):
        documents: dict[str, None] = {}
        for i in np.lexsort((ids, -((1 - step / STEPS) * a + step / STEPS * b))):
            documents[documents_of[keys[i]]] = None
            if len(documents) == 10:
                break
        grid.append(ndcg(list(documents), qrels, 10))
    return grid


Weighting = Callable[[np.ndarray], np.ndarray]
"""Features of the hybrid queries (one row each) → their dense weights."""


def factor(values: np.ndarray, low: float, high: float, at_low: float, at_high: float) -> np.ndarray:
    return at_low + (at_high - at_low) * np.clip((values - low) / (high - low), 0.0, 1.0)


def adaptive(
    weight: float, z_full: float, peak: float, length: float = 0.0, overlap: float = 0.0, z_floor: float = 0.0
) -> Weighting:
    """The pipeline's rule (``weight`` × dense confidence × BM25-peak damping) with optional factors:
    ``length`` more (negative: less) dense weight for short queries (3 terms) than long ones (12),
    ``overlap`` less dense weight as the two top-10 lists share nothing, no dense weight below ``z_floor``."""
    z, shared, terms, peaked = (FEATURES.index(name) for name in ("z", "overlap", "terms", "bm25 peak"))

    def weights(x: np.ndarray) -> np.ndarray:
        confident = np.clip(x[:, z] / z_full, 0.0, 1.0) * (x[:, z] >= z_floor)
        damped = factor(x[:, peaked], 2.0, peak, 1.0, 1.0 - PEAK_SHRINK)
        by_length = factor(x[:, terms], math.log1p(3), math.log1p(12), 1.0 + length, 1.0 - length)
        return weight * confident * damped * by_length * factor(x[:, shared], 0.0, 0.3, 1.0 - overlap, 1.0)

    return weights


def logistic_fit(x: np.ndarray, labels: np.ndarray, l2: float = 1.0) -> np.ndarray:
    """Coefficients (intercept first) of an L2-regularised logistic regression, by Newton's method."""
    a = np.hstack([np.ones((len(x), 1)), x])
    theta, penalty = np.zeros(a.shape[1]), np.diag([0.0] + [l2] * x.shape[1])
    for _ in range(30):
        p = 1 / (1 + np.exp(-a @ theta))
        theta += np.linalg.solve(a.T @ (a * (p * (1 - p))[:, None]) + penalty, a.T @ (labels - p) - penalty @ theta)
    return theta


def learned(rows: list[dict]) -> dict[str, Weighting]:
    """A logistic model of "the embedder alone beats BM25 alone" over :data:`FEATURES`, fitted on the dev
    queries where the two differ, as :class:`ragkb.retrieve.adaptive.WeightModel`s at several ``low``
    and ``high``."""
    dev = [r for r in rows if r["grid"] is not None and r["split"] == "dev" and r["grid"][0] != r["grid"][-1]]
    x = np.array([r["features"] for r in dev])
    mean, spread = x.mean(axis=0), x.std(axis=0) + 1e-9
    theta = logistic_fit((x - mean) / spread, np.array([float(r["grid"][-1] > r["grid"][0]) for r in dev]))
    coefficients = theta[1:] / spread
    intercept = float(theta[0] - coefficients @ mean)
    log(f"logistic model on {len(dev)} dev queries, in the features' own units: intercept {intercept:.4f}, "
        + ", ".join(f"{n} {c:.4f}" for n, c in zip(FEATURES, coefficients, strict=True)))  # fmt: skip

    def weighting(model: WeightModel) -> Weighting:
        return lambda features: np.array([model.weight(row) for row in features])

    return {
        f"logistic [{low}, {high}] z3.0": weighting(WeightModel(intercept, tuple(map(float, coefficients)), low, high))
        for low in (0.4, 0.5, 0.6)
        for high in (0.85, 0.9, 1.0)
    }


def adaptive_rules(rows: list[dict]) -> dict[str, Weighting]:
    """The pipeline's rule, the same with one or more query-adaptive factors, and the learned model."""
    swept = {
        f"zscore {w} z{z} peak{p}" + (f" length{length:+}" if length else "") + (f" overlap{o}" if o else "") + (f" floor{f}" if f else ""):
        adaptive(w, z, p, length, o, f)
        for w in (0.8, 0.85, 0.9) for z in (3.0, 4.0) for p in (4.0, 8.0)
        for length in (-0.15, 0.0, 0.15) for o in (0.0, 0.2) for f in (0.0, 2.0)
    }  # fmt: skip
    return swept | learned(rows)


def by_half(rows: list[dict]) -> dict[tuple[str, str, str], list[int]]:
    """Positions in ``rows`` of each set, embedder and split."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault((r["dataset"], r["embedder"], r["split"]), []).append(i)
    return groups


def fused_scores(rows: list[dict], weights: Weighting) -> list[float]:
    """Each query's nDCG@10 at the dense weight ``weights`` gives it (rounded to the grid)."""
    hybrid = [r for r in rows if r["grid"] is not None]
    steps = np.rint(np.clip(weights(np.array([r["features"] for r in hybrid])), 0.0, 1.0) * STEPS).astype(int)
    by_query = iter(r["grid"][step] for r, step in zip(hybrid, steps, strict=True))
    return [next(by_query) if r["grid"] is not None else r["sparse"] for r in rows]


def replay(rows: list[dict], swept: dict[str, Weighting]) -> list[dict]:
    """:func:`evaluate`'s rows for the weightings, from the grids (BM25 and the embedder alone included)."""
    scored = {"sparse": [r["sparse"] for r in rows], "dense": [r["dense"] for r in rows]}
    scored |= {name: fused_scores(rows, weights) for name, weights in swept.items()}
    return [
        {"dataset": d, "embedder": e, "split": s, "rule": name, "nDCG@10": statistics.fmean(values[i] for i in members),
         "queries": len(members)}
        for name, values in scored.items() for (d, e, s), members in by_half(rows).items()
    ]  # fmt: skip


def standard_errors(rows: list[dict], values: list[float]) -> dict[tuple[str, str, str], float]:
    """Per set, embedder and split: the standard error of the mean per-query difference between ``values``
    and the better of BM25 and the embedder alone (how far a half's margin moves by chance)."""
    errors = {}
    for key, members in by_half(rows).items():
        sparse, dense = (statistics.fmean(rows[i][side] for i in members) for side in ("sparse", "dense"))
        better = "sparse" if sparse >= dense else "dense"
        differences = [values[i] - rows[i][better] for i in members]
        errors[key] = statistics.stdev(differences) / math.sqrt(len(differences)) if len(differences) > 1 else 0.0
    return errors


def learned_rule(query: dict, sparse: dict[str, float], dense: dict[str, float]) -> dict[str, float]:
    """What a new KB does (``dense_weighting = "learned"``): :data:`ragkb.retrieve.adaptive.LEARNED`'s weight."""
    if query["mode"] != "hybrid":
        return sparse
    features = query_features(query["text"], query["language"], sparse, query["dense"], query["z"])
    return fusion.zscore(sparse, dense, LEARNED.weight(features))


def exact_scores(sets: list[dict], swept: dict[str, Rule]) -> dict[str, list[float]]:
    """Every query's nDCG@10 under each rule, replayed exactly (no grid), in :func:`weight_grids`' order."""
    scored: dict[str, list[float]] = {name: [] for name in swept}
    for record_set in sets:
        documents_of, unread = record_set["documents_of"], set(record_set["unread"])
        for query in record_set["queries"]:
            dense = {c: s for c, s in query["dense"].items() if c not in unread}
            for name, rule in swept.items():
                scored[name].append(ndcg(ranking(rule(query, query["sparse"], dense), documents_of), query["qrels"], 10))
    return scored


def print_halves(rows: list[dict], scored: dict[str, list[float]], margined: list[str]) -> None:
    """Per split: each set and embedder's nDCG@10 under BM25, dense and ``scored``, with the margins of
    ``margined`` over the better of BM25 and dense (± standard error), and the smallest and mean margins."""
    scored = {"BM25": [r["sparse"] for r in rows], "dense": [r["dense"] for r in rows], **scored}
    errors = {name: standard_errors(rows, scored[name]) for name in margined}
    groups = by_half(rows)
    for split in ("dev", "test"):
        body, found = [], {name: [] for name in scored}
        for (d, e, half), members in sorted(groups.items(), key=lambda g: (g[0][1], g[0][0])):
            if half != split:
                continue
            means = {name: statistics.fmean(values[i] for i in members) for name, values in scored.items()}
            for name in scored:
                found[name].append(means[name] - max(means["BM25"], means["dense"]))
            cells = [f"{means[name]:.3f}" for name in scored]
            cells += [
                f"{means[name] - max(means['BM25'], means['dense']):+.3f} ± {errors[name][(d, e, half)]:.3f}" for name in margined
            ]
            body.append([d, e.split(":")[-1], str(len(members)), *cells])
        for label, summary in (("smallest margin", min), ("mean margin", statistics.fmean)):
            body.append([f"**{label}**", "", "", *(f"{summary(found[name]):+.4f}" for name in scored), *[""] * len(margined)])
        headers = ["set", "embedder", "queries", *scored, *(f"margin ± s.e., {name}" for name in margined)]
        print(f"\n{split} halves, nDCG@10 (margin: over the better of BM25 and dense alone)\n")
        print(markdown_table(headers, body))


def adapt(sets: list[dict], out: str) -> None:
    """Sweep the query-adaptive weightings over the grids and choose on dev as :func:`choose` does; then
    replay exactly the pipeline's two weightings (the rule of older KBs, the learned model of new ones)."""
    started = time.process_time()
    rows = weight_grids(sets)
    log(f"weight grids of {len(rows)} queries in {time.process_time() - started:.0f} s CPU")
    swept = adaptive_rules(rows)
    table = replay(rows, swept)
    chosen, rule = choose(table), "zscore 0.85 z3.0 peak4.0"
    keyed = {(r["dataset"], r["embedder"], r["split"], r["rule"]): r["nDCG@10"] for r in table}
    columns = sorted({(r["dataset"], r["embedder"]) for r in table}, key=lambda c: (c[1], c[0]))
    best_test = max(swept, key=lambda name: min(margins(keyed, columns, "test", name)))
    print("\nover the grid (weights rounded to 1/40): smallest / mean margin\n")
    body = [
        [name + (" ←" if name == chosen else ""), *(f"{f(margins(keyed, columns, split, name)):+.4f}" for split in ("dev", "test") for f in (min, statistics.fmean))]
        for name in dict.fromkeys([rule, chosen, best_test, *(n for n in swept if n.startswith("logistic"))])
    ]  # fmt: skip
    print(markdown_table(["weighting", "dev smallest", "dev mean", "test smallest", "test mean"], body))
    print(f"\nchosen on dev: {chosen}; best on the test halves (for scale, not a choice): {best_test}")
    exact = exact_scores(sets, {"rule": fused("zscore", 0.85, 3.0, 4.0), "learned": learned_rule})
    print_halves(rows, exact, ["rule", "learned"])
    save(out, {"rows": table, "chosen": chosen, "best_on_test": best_test, "exact": exact})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sampling = commands.add_parser("sample")
    sampling.add_argument("out", type=Path)
    sampling.add_argument("datasets", nargs="+", type=Path)
    sampling.add_argument("--sample", type=int, required=True)
    recording = commands.add_parser("record")
    recording.add_argument("home", type=Path)
    recording.add_argument("datasets", nargs="+", type=Path)
    recording.add_argument("--embedder", required=True)
    recording.add_argument("--sample", type=int, default=0, help="keep this many queries of larger sets (0: all)")
    recording.add_argument("--out", default="fusion-records")
    sweeping = commands.add_parser("sweep")
    sweeping.add_argument("records", nargs="+", type=Path)
    sweeping.add_argument("--out", default="fusion-sweep")
    sweeping.add_argument("--skip", nargs="*", default=[], help="leave out these sets (name, or 'name (s100)') and embedders")
    adapting = commands.add_parser("adapt")
    adapting.add_argument("records", nargs="+", type=Path)
    adapting.add_argument("--out", default="fusion-adapt")
    adapting.add_argument("--skip", nargs="*", default=[], help="as sweep's")
    args = parser.parse_args()
    folders = [p if p.is_dir() else DATASETS / p for p in getattr(args, "datasets", [])]
    if args.command == "sample":
        for folder in folders:
            write_sample(args.out, folder, args.sample)
    elif args.command == "record":
        record(args.home, args.embedder, args.sample, folders, args.out)
    else:
        sets = [s for path in args.records for s in json.loads(path.read_text())["sets"]]
        sets = [s for s in sets if f"{set_name(s)} {s['embedder']}" not in args.skip]
        if args.command == "adapt":
            return adapt(sets, args.out)
        rows = evaluate(sets, rules())
        chosen = choose(rows)
        save(args.out, {"rows": rows, "chosen": chosen})
        shown = ["convex 0.7 z3.0", "rrf 0.5 z-", "zscore 0.8 z3.0", "zscore 0.85 z3.0", "zscore 0.85 z3.0 peak6.0"]
        report(rows, chosen, list(dict.fromkeys([*shown, chosen])))


if __name__ == "__main__":
    sys.exit(main())
