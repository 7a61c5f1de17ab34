"""``ragkb tune reranker KB``: distil a small cross-encoder for the KB from its synthetic questions.

The base is the KB's tuned embedder when it has one (its encoder already knows the KB's words), else
the bundled all-MiniLM-L6-v2; either gets a new one-output scoring head. Each training question is a
group of its chunk first and hard negatives (mined by ``ragkb synth`` from the KB's own search,
topped up with random chunks), trained listwise + BCE (:mod:`ragkb.tune.cross_encoder`). Passages
read as rerankers read them in search: ``file > section`` then the chunk.

Before and after: each held-out question's candidates are the KB's ``default`` search (no
reranker), the top ``candidates``; *before* is their fused order, *after* the tuned cross-encoder's
order of the same candidates (MAP, MRR@10, nDCG@10). The model is saved under
``<home>/models/tuned/kb-<id>/reranker-<time>/`` and, unless asked not to, becomes the KB's
``tuned_reranker``: ``rerank=auto`` (the ``accurate`` profile) and ``rerank=cross-encoder`` use it.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ragkb.errors import RagkbError
from ragkb.extras import require
from ragkb.index.embedders import model_location
from ragkb.kb import KnowledgeBase
from ragkb.profiles import SearchOptions
from ragkb.tune.cross_encoder import group_scores, load_cross_encoder, train
from ragkb.tune.embedder import TuneReport, tuned_folder, work_folder
from ragkb.tune.passages import Passage, kb_passages
from ragkb.tune.scoring import rank_metrics, rank_of
from ragkb.tune.synth import HELDOUT_FILE, Example, default_folder, load_examples
from ragkb.tune.training import Checkpoints, Progress, RunOptions, fingerprint, pick_device

MINILM = "all-MiniLM-L6-v2"


@dataclass
class RerankerOptions(RunOptions):
    batch: int = 8
    group: int = 6
    """passages per question: its chunk and ``group - 1`` negatives"""
    lr: float = 5e-5
    base: str = "auto"
    """auto (the KB's tuned embedder, else MiniLM), minilm, embedder, or a model folder"""
    candidates: int = 20


def base_location(kb: KnowledgeBase, choice: str) -> str:
    """The folder the cross-encoder starts from."""
    _, _, model = kb.settings.embedder.partition(":")
    tuned = model.partition("@")[0]
    has_tuned = Path(tuned).is_dir() and (Path(tuned) / "tuning.json").exists()
    if choice == "embedder" and not has_tuned:
        raise RagkbError(f"knowledge base '{kb.name}' has no tuned embedder; run ragkb tune embedder first or use --base minilm")
    if choice == "embedder" or (choice == "auto" and has_tuned):
        return tuned
    if choice in ("auto", "minilm"):
        return model_location(MINILM)
    if not Path(choice).expanduser().is_dir():
        raise RagkbError(f"no model folder at {choice}; give --base auto, minilm, embedder or a folder")
    return str(Path(choice).expanduser())


def make_groups(examples: list[Example], corpus: list[Passage], size: int, seed: int) -> list[tuple[str, list[str]]]:
    rng = random.Random(seed)
    groups = []
    for example in examples:
        chosen = example.negatives[: size - 1]
        while len(chosen) < size - 1 and len(corpus) > 1:
            other = rng.choice(corpus)
            if other.chunk_id != example.chunk_id and other.indexed not in chosen:
                chosen.append(other.indexed)
        groups.append((example.query, [example.positive, *chosen]))
    rng.shuffle(groups)
    return groups


def candidates_of(kb: KnowledgeBase, examples: list[Example], depth: int) -> list[list[int]]:
    """Each question's candidates: the KB's default search without a reranker."""
    options = SearchOptions(k=depth, rerank="off")
    return [[hit.chunk_id for hit in kb.search(e.query, options=options)] for e in examples]


def rerank_metrics(model, examples: list[Example], candidates: list[list[int]], texts: dict[int, str]) -> dict[str, float]:
    groups = [(e.query, [texts[c] for c in found]) for e, found in zip(examples, candidates, strict=True)]
    scores = group_scores(model, groups)
    ranks = []
    for example, found, score in zip(examples, candidates, scores, strict=True):
        order = [found[i] for i in np.argsort(-score, kind="stable")] if len(found) else []
        ranks.append(rank_of(order, example.chunk_id))
    return rank_metrics(ranks)


def tune_reranker(
    kb: KnowledgeBase, data: Path | None = None, options: RerankerOptions | None = None, progress: Progress | None = None
) -> tuple[TuneReport, KnowledgeBase]:
    options = options or RerankerOptions()
    started = time.perf_counter()
    data = Path(data or default_folder(kb))
    examples, held_out = load_examples(data), load_examples(data, HELDOUT_FILE)
    if not examples:
        raise RagkbError(f"{data} has no training questions; make more with ragkb synth (more chunks, -g with an LLM)")
    torch = require("torch", "tuning a reranker")
    device = pick_device(options.device)
    torch.manual_seed(options.seed)
    base = base_location(kb, options.base)
    model = load_cross_encoder(base, device, options.max_length)
    corpus = kb_passages(kb)
    texts = {p.chunk_id: p.indexed for p in corpus}
    candidates = candidates_of(kb, held_out, options.candidates)
    before = rank_metrics([rank_of(found, e.chunk_id) for e, found in zip(held_out, candidates, strict=True)])
    groups = make_groups(examples, corpus, options.group, options.seed)
    settings = options.fingerprinted()
    checkpoints = Checkpoints(
        work_folder(kb, "reranker"),
        fingerprint(base, settings, (data / "train.jsonl").stat().st_mtime_ns, len(groups)),
        options.checkpoint_every,
    )
    run = train(
        model, groups, options.batch, options.epochs, options.lr, options.max_seconds,
        checkpoints=checkpoints, progress=progress, max_steps=options.max_steps,
    )  # fmt: skip
    if not run["finished"]:
        raise RagkbError(
            f"stopped after {run['steps']} of {run['planned_steps']} steps (time limit); run the same command again to resume"
        )
    after = rerank_metrics(model, held_out, candidates, texts)
    out = tuned_folder(kb, "reranker")
    model.save(str(out))
    report = TuneReport(
        kb=kb.name, model=str(out), spec=str(out), base=base, device=device, examples=len(groups), held_out=len(held_out),
        before=before, after=after, training=run, seconds=round(time.perf_counter() - started, 1),
        applied=options.apply, settings=settings,
    )  # fmt: skip
    (out / "tuning.json").write_text(json.dumps(asdict(report), ensure_ascii=False, indent=1))
    checkpoints.clear()
    if options.apply:
        kb.update(settings={"tuned_reranker": str(out)})
    return report, kb
