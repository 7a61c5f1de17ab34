"""``ragkb tune embedder KB``: fine-tune the KB's sentence-transformers embedder on its synthetic questions.

Each training example is (question, its chunk, hard negatives mined from the KB, topped up with
random chunks); the loss is sentence-transformers' ``MultipleNegativesRankingLoss`` (the other
examples' chunks in the batch are negatives too), optionally inside ``MatryoshkaLoss`` so that the
vector's leading dimensions rank on their own. Questions get the KB's query instruction and chunks
its passage prefix, as in search.

The saved weights are a mix of the tuned network's and the base model's (``mix``; weight averaging
as in WiSE-FT): tuned alone, the model learns the offline questions' style and loses on people's
questions; mixed, it keeps what it learned of the KB's words. Before and after, the held-out
questions rank every chunk of the KB by cosine alone (dense retrieval: the embedder's own share of
search). The model is saved under
``<home>/models/tuned/kb-<id>/embedder-<time>/`` (safetensors, with ``tuning.json``) and, unless
asked not to, becomes the KB's embedder, with the same backend (``onnx:`` exports it once) and the
chunks re-embedded (:mod:`ragkb.tune.reembed`).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ragkb.errors import RagkbError
from ragkb.extras import require
from ragkb.index.embedders import model_location
from ragkb.kb import KnowledgeBase
from ragkb.tune.passages import Passage, kb_passages
from ragkb.tune.reembed import reembed
from ragkb.tune.scoring import rank_metrics, rank_of
from ragkb.tune.synth import HELDOUT_FILE, Example, default_folder, load_examples
from ragkb.tune.training import (
    Checkpoints,
    Progress,
    RunOptions,
    fingerprint,
    mixed_weights,
    pick_device,
    planned_steps,
    quiet_transformers,
    run_steps,
)

TUNABLE = ("onnx", "sentence-transformers")
MATRYOSHKA_DIMS = (384, 256, 128, 64)


@dataclass
class EmbedderOptions(RunOptions):
    batch: int = 16
    lr: float = 3e-5
    negatives: int = 1
    """hard negatives per example in each step"""
    matryoshka: bool = False
    mix: float = 0.3
    """share of the tuned weights in the saved model, the rest the base model's (1: as trained).
    Chosen on the dev halves of pydocs-en-nl and handbook-en-nl (bench/tune_sweep.py): the tuned
    network alone loses on real questions (it learns the offline questions' keyword style); 0.3 of
    it gained at every step count measured (bench/RESULTS.md, "Tuning the models to a corpus")."""

    def fingerprinted(self) -> dict:
        """Mixing comes after training: a run stopped with one mix resumes with another."""
        return {k: v for k, v in super().fingerprinted().items() if k != "mix"}


@dataclass
class TuneReport:
    kb: str
    model: str
    """the folder the tuned model was saved in"""
    spec: str
    """the KB's embedder or reranker spec for it"""
    base: str
    device: str
    examples: int
    held_out: int
    before: dict[str, float]
    after: dict[str, float]
    training: dict
    seconds: float
    applied: bool
    settings: dict = field(default_factory=dict)


def base_model(spec: str) -> tuple[str, str, str]:
    """(backend, model, precision suffix) of a tunable embedder spec."""
    backend, _, model = spec.partition(":")
    if backend not in TUNABLE:
        raise RagkbError(
            f"the embedder {spec} cannot be tuned; ragkb tunes sentence-transformers models "
            "(onnx:all-MiniLM-L6-v2, sentence-transformers:<folder>): make a KB with one of them"
        )
    model, _, precision = model.partition("@")
    return backend, model, f"@{precision}" if precision else ""


def tuned_folder(kb: KnowledgeBase, kind: str) -> Path:
    return kb.app_settings.home / "models" / "tuned" / f"kb-{kb.id}" / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}"


def work_folder(kb: KnowledgeBase, kind: str) -> Path:
    return kb.app_settings.home / "tune" / f"kb-{kb.id}" / f"{kind}-work"


def dense_metrics(model, examples: list[Example], corpus: list[Passage], query_prefix: str, passage_prefix: str) -> dict:
    """Held-out questions ranking all chunks by cosine with ``model``."""
    if not examples:
        return {}
    chunks = model.encode([passage_prefix + p.indexed for p in corpus], batch_size=32, normalize_embeddings=True)
    queries = model.encode([query_prefix + e.query for e in examples], batch_size=32, normalize_embeddings=True)
    ids = [p.chunk_id for p in corpus]
    order = np.argsort(-(queries @ chunks.T), axis=1)[:, :100]
    return rank_metrics([rank_of([ids[i] for i in row], e.chunk_id) for row, e in zip(order, examples, strict=True)])


def training_rows(examples: list[Example], corpus: list[Passage], negatives: int, seed: int) -> list[list[str]]:
    """[question, chunk, negative, ...] per example in a seeded order; missing hard negatives are random chunks."""
    rng = random.Random(seed)
    rows = []
    for example in examples:
        chosen = example.negatives[:negatives]
        while len(chosen) < negatives and len(corpus) > 1:
            other = rng.choice(corpus)
            if other.chunk_id != example.chunk_id:
                chosen.append(other.indexed)
        rows.append([example.query, example.positive, *chosen])
    rng.shuffle(rows)
    return rows


def make_loss(model, matryoshka: bool):
    require("sentence_transformers", "tuning an embedder")
    try:
        from sentence_transformers.sentence_transformer import losses
    except ImportError:  # sentence-transformers before 6
        from sentence_transformers import losses  # type: ignore[no-redef, attr-defined]

    ranking = losses.MultipleNegativesRankingLoss(model)
    if not matryoshka:
        return ranking
    dims = [d for d in MATRYOSHKA_DIMS if d <= model.get_sentence_embedding_dimension()]
    return losses.MatryoshkaLoss(model, ranking, matryoshka_dims=dims)


def tune_embedder(
    kb: KnowledgeBase, data: Path | None = None, options: EmbedderOptions | None = None, progress: Progress | None = None
) -> tuple[TuneReport, KnowledgeBase]:
    """Tune, evaluate, save and (``options.apply``) set the KB's embedder; the report and the KB as it is now."""
    options = options or EmbedderOptions()
    started = time.perf_counter()
    backend, model_name, precision = base_model(kb.settings.embedder)
    data = Path(data or default_folder(kb))
    examples, held_out = load_examples(data), load_examples(data, HELDOUT_FILE)
    if not examples:
        raise RagkbError(f"{data} has no training questions; make more with ragkb synth (more chunks, -g with an LLM)")
    sentence_transformers = require("sentence_transformers", "tuning an embedder")
    torch = require("torch", "tuning an embedder")
    quiet_transformers()
    device = pick_device(options.device)
    torch.manual_seed(options.seed)
    location = model_location(model_name)
    model = sentence_transformers.SentenceTransformer(location, device=device)
    model.float()
    model.max_seq_length = min(options.max_length, model.max_seq_length or options.max_length)
    query_prefix, passage_prefix = kb.context.query_instruction, kb.context.passage_prefix
    corpus = kb_passages(kb)
    before = dense_metrics(model, held_out, corpus, query_prefix, passage_prefix)
    base_weights = {name: value.detach().clone() for name, value in model.state_dict().items()}
    rows = training_rows(examples, corpus, options.negatives, options.seed)
    rows = [[query_prefix + row[0], *(passage_prefix + text for text in row[1:])] for row in rows]
    loss = make_loss(model, options.matryoshka)
    steps = planned_steps(len(rows), options.batch, options.epochs, options.max_steps)
    prepare = getattr(model, "preprocess", None) or model.tokenize  # sentence-transformers 6 renamed it

    def loss_at(step: int):
        batch = [rows[(step * options.batch + k) % len(rows)] for k in range(min(options.batch, len(rows)))]
        features = []
        for column in range(len(batch[0])):
            tokens = prepare([row[column] for row in batch])
            features.append({name: value.to(device) if hasattr(value, "to") else value for name, value in tokens.items()})
        return loss(features, None)

    settings = options.fingerprinted()
    checkpoints = Checkpoints(
        work_folder(kb, "embedder"),
        fingerprint(location, kb.settings.embedder, settings, (data / "train.jsonl").stat().st_mtime_ns, len(rows)),
        options.checkpoint_every,
    )
    run = run_steps(
        model, steps, loss_at, options.lr, label="tuning embedder", checkpoints=checkpoints,
        progress=progress, max_seconds=options.max_seconds,
    )  # fmt: skip
    if not run.finished:
        raise RagkbError(
            f"stopped after {run.steps} of {run.planned_steps} steps (time limit); run the same command again to resume"
        )
    if options.mix < 1:
        model.load_state_dict(mixed_weights(base_weights, model.state_dict(), options.mix))
    after = dense_metrics(model, held_out, corpus, query_prefix, passage_prefix)
    out = tuned_folder(kb, "embedder")
    model.save(str(out))
    spec = f"{backend}:{out}{precision}"
    report = TuneReport(
        kb=kb.name, model=str(out), spec=spec, base=kb.settings.embedder, device=device, examples=len(examples),
        held_out=len(held_out), before=before, after=after, training=run.summary(),
        seconds=round(time.perf_counter() - started, 1), applied=options.apply, settings={**settings, "mix": options.mix},
    )  # fmt: skip
    (out / "tuning.json").write_text(json.dumps(asdict(report), ensure_ascii=False, indent=1))
    checkpoints.clear()
    if options.apply:
        new = kb.settings.model_copy(
            update={
                "embedder": spec,
                "embedder_languages": sorted(kb.context.embedder_languages),
                "query_instruction": query_prefix,
                "passage_prefix": passage_prefix,
            }
        )
        kb = reembed(kb, new, progress)
        report.seconds = round(time.perf_counter() - started, 1)
    return report, kb
