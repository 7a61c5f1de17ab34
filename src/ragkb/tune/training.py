"""What the embedder and reranker trainers share: the device, the optimiser and its schedule, the
step loop with progress and a time limit, and checkpoints that a killed or stopped run resumes from.

A run is a fixed sequence of steps: the batches are drawn from an order shuffled once by the seed, so
step ``n`` is the same batch in a resumed run as in an uninterrupted one. A checkpoint (network,
optimiser, schedule, step) is written every ``every`` steps and when the time limit stops the run,
to a temporary file renamed over the last one: a kill leaves the previous checkpoint whole. It is
resumed only by a run with the same fingerprint (base model, data, settings).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ragkb.extras import require

Progress = Callable[[str, int, int], None]
"""Called with (what is being done, done, total)."""

CHECKPOINT_FILE = "checkpoint.pt"


def pick_device(requested: str | None = None) -> str:
    """``requested``, else ``cuda`` when torch sees a GPU, else ``cpu``."""
    torch = require("torch", "tuning models")
    return requested or ("cuda" if torch.cuda.is_available() else "cpu")


def quiet_transformers() -> None:
    """No progress bars or notes from transformers while loading (ragkb draws its own bars; a new
    scoring head's "newly initialized weights" is what tuning means)."""
    require("transformers", "tuning models")
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()


def fingerprint(*parts: Any) -> str:
    """A short hash of what makes a run what it is (JSON-serialisable parts)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class Checkpoints:
    """Where a run keeps its checkpoint, how often, and which run it belongs to."""

    folder: Path
    fingerprint: str
    every: int = 50

    @property
    def path(self) -> Path:
        return self.folder / CHECKPOINT_FILE

    def load(self, network, optimizer, schedule) -> int:
        """Restore the state saved by this run; the number of steps done (0: nothing to resume)."""
        torch = require("torch", "tuning models")
        if not self.path.exists():
            return 0
        state = torch.load(self.path, map_location="cpu", weights_only=False)
        if state.get("fingerprint") != self.fingerprint:
            return 0
        network.load_state_dict(state["network"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        return int(state["step"])

    def save(self, network, optimizer, schedule, step: int) -> None:
        torch = require("torch", "tuning models")
        self.folder.mkdir(parents=True, exist_ok=True)
        state = {
            "fingerprint": self.fingerprint,
            "step": step,
            "network": network.state_dict(),
            "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(),
        }
        partial = self.path.with_suffix(".partial")
        torch.save(state, partial)
        os.replace(partial, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass
class RunOptions:
    """What every tuning run takes besides its model's own settings."""

    epochs: float = 1.0
    max_length: int = 256
    """tokens of a passage read in training"""
    max_steps: int | None = None
    max_seconds: float | None = None
    """stop (checkpointed) after this long; the same run again resumes"""
    device: str | None = None
    seed: int = 13
    checkpoint_every: int = 50
    apply: bool = True
    """set the tuned model on the KB"""

    def fingerprinted(self) -> dict:
        """The settings a checkpoint must share to be resumed (not where or how long the run goes)."""
        return {k: v for k, v in asdict(self).items() if k not in ("device", "apply", "max_seconds")}


@dataclass
class RunReport:
    steps: int
    planned_steps: int
    seconds: float
    resumed_from: int
    loss: float
    finished: bool
    losses: list[float] = field(default_factory=list, repr=False)

    def summary(self) -> dict:
        """``loss``: the mean of the last 50 steps; ``first_loss``: of the first 10 this process ran
        (after ``resumed_from``), to see how far training moved."""
        return {
            "steps": self.steps,
            "planned_steps": self.planned_steps,
            "seconds": round(self.seconds, 1),
            "resumed_from": self.resumed_from,
            "loss": round(self.loss, 4),
            "first_loss": round(sum(self.losses[:10]) / len(self.losses[:10]), 4) if self.losses else None,
            "finished": self.finished,
        }


def run_steps(
    network,
    steps: int,
    loss_at: Callable[[int], Any],
    lr: float,
    *,
    label: str = "training",
    checkpoints: Checkpoints | None = None,
    progress: Progress | None = None,
    max_seconds: float | None = None,
) -> RunReport:
    """``steps`` optimiser steps of AdamW (weight decay 0.01, gradients clipped at 1) with a linear warmup
    over a tenth of the steps and a linear decay; ``loss_at(step)`` computes the step's loss tensor."""
    torch = require("torch", "tuning models")
    network.train()
    optimizer = torch.optim.AdamW(network.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    start = checkpoints.load(network, optimizer, schedule) if checkpoints else 0
    started, losses, done = time.perf_counter(), [], start
    if progress:
        progress(label, done, steps)
    for step in range(start, steps):
        loss = loss_at(step)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(float(loss.item()))
        done = step + 1
        if progress:
            progress(label, done, steps)
        out_of_time = max_seconds is not None and time.perf_counter() - started > max_seconds
        if checkpoints and done < steps and (done % checkpoints.every == 0 or out_of_time):
            checkpoints.save(network, optimizer, schedule, done)
        if out_of_time:
            break
    network.eval()
    recent = losses[-50:]
    return RunReport(
        steps=done,
        planned_steps=steps,
        seconds=time.perf_counter() - started,
        resumed_from=start,
        loss=sum(recent) / len(recent) if recent else float("nan"),
        finished=done >= steps,
        losses=losses,
    )


def mixed_weights(base: dict, tuned: dict, share: float) -> dict:
    """``(1 - share) * base + share * tuned`` for every floating-point tensor of a network's state
    (weight averaging, as in WiSE-FT: it keeps most of what tuning gained on the new data and loses
    less of what the base model knew); integer buffers are the tuned network's."""
    return {
        name: (1 - share) * base[name] + share * value if value.is_floating_point() else value for name, value in tuned.items()
    }


def planned_steps(examples: int, batch: int, epochs: float, max_steps: int | None = None) -> int:
    steps = max(1, int(epochs * examples / batch))
    return min(steps, max_steps) if max_steps else steps
