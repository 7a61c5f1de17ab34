"""Training a cross-encoder reranker: the loop `ragkb tune reranker` and bench/train_reranker.py share.

A group is a query with its passages, the relevant one first and the rest negatives (all groups of a
run hold the same number). The loss is listwise, softmax cross-entropy with the first passage as
the target, plus binary cross-entropy per passage, so that the sigmoid of a score reads as a
probability and ``rerank_threshold`` keeps a meaning. On CUDA the forward pass runs under bf16
autocast; weights stay fp32.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ragkb.extras import require
from ragkb.tune.training import Checkpoints, Progress, planned_steps, quiet_transformers, run_steps

Group = Sequence[Any]
"""(query, [relevant passage, negative, ...], ...): further items (a source name) are carried along."""


def load_cross_encoder(base: str, device: str, max_length: int = 256):
    """A sentence-transformers ``CrossEncoder`` with one output from ``base`` (a cross-encoder, or a
    bi-encoder such as all-MiniLM-L6-v2, whose new scoring head starts random), in fp32."""
    sentence_transformers = require("sentence_transformers", "training a reranker")
    quiet_transformers()
    model = sentence_transformers.CrossEncoder(base, num_labels=1, max_length=max_length, device=device)
    model.model.float()  # a base saved in fp16 (to travel light) trains in fp32
    return model


def group_loss(model, part: Sequence[Group]):
    """The listwise + pointwise loss of a batch of groups."""
    torch = require("torch", "training a reranker")
    network, tokenizer = model.model, model.tokenizer
    device = next(network.parameters()).device
    features = tokenizer(
        [g[0] for g in part for _ in g[1]],
        [p for g in part for p in g[1]],
        padding=True,
        truncation=True,
        max_length=getattr(model, "max_seq_length", None) or model.max_length,
        return_tensors="pt",
    ).to(device)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
        logits = network(**features).logits.view(len(part), -1).float()
    labels = torch.zeros_like(logits)
    labels[:, 0] = 1
    listwise = torch.nn.functional.cross_entropy(logits, torch.zeros(len(part), dtype=torch.long, device=device))
    return listwise + torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)


def train(
    model,
    groups: Sequence[Group],
    batch: int,
    epochs: float,
    lr: float,
    max_seconds: float | None = 3600,
    *,
    checkpoints: Checkpoints | None = None,
    progress: Progress | None = None,
    max_steps: int | None = None,
) -> dict:
    """Fine-tune ``model`` on ``groups`` in order (batch ``n`` is groups ``n·batch`` onwards, wrapping)."""
    steps = planned_steps(len(groups), batch, epochs, max_steps)

    def loss_at(step: int):
        return group_loss(model, [groups[(step * batch + k) % len(groups)] for k in range(batch)])

    run = run_steps(
        model.model, steps, loss_at, lr, label="reranker", checkpoints=checkpoints, progress=progress, max_seconds=max_seconds
    )
    last = run.losses[-100:]
    return {
        **run.summary(),
        "groups_seen": (run.steps - run.resumed_from) * batch,
        "final_loss_last_100": float(np.mean(last)) if last else float("nan"),
    }


def group_scores(model, groups: Sequence[Group], batch_size: int = 64) -> list[np.ndarray]:
    """The model's score of every passage of every group (groups may differ in size)."""
    pairs = [(g[0], p) for g in groups for p in g[1]]
    if not pairs:
        return []
    flat = np.asarray(model.predict(pairs, batch_size=batch_size, show_progress_bar=False), dtype=np.float64).ravel()
    out, start = [], 0
    for group in groups:
        out.append(flat[start : start + len(group[1])])
        start += len(group[1])
    return out


def top1_accuracy(model, groups: Sequence[Group]) -> float:
    """Share of groups whose relevant passage (the first) scores above all of its negatives."""
    if not groups:
        return float("nan")
    return float(np.mean([scores.argmax() == 0 for scores in group_scores(model, groups)]))
