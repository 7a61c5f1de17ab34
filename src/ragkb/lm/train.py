"""The training loop both stages share: AdamW, warmup + cosine, gradient accumulation, bf16 where
the hardware has it, validation perplexity, checkpoints that resume to the same weights."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ragkb.lm.checkpoint import load_checkpoint, save_checkpoint
from ragkb.lm.data import IGNORE, BatchOrder, Examples
from ragkb.lm.device import autocast, precision
from ragkb.lm.model import Transformer
from ragkb.lm.schedule import lr_factor


@dataclass(frozen=True)
class TrainSettings:
    steps: int = 1000
    """Optimizer steps in the whole run (a resumed run continues to this number)."""
    batch_size: int = 8
    accumulation: int = 1
    """Micro-batches whose gradients are summed into one optimizer step."""
    lr: float = 3e-4
    warmup: int = 50
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eval_every: int = 50
    eval_batches: int = 8
    save_every: int = 100
    seed: int = 0


def loss_of(model: Transformer, inputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the labels that count (:data:`IGNORE` elsewhere)."""
    logits = model(inputs)
    return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), labels.view(-1), ignore_index=IGNORE)


class Trainer:
    def __init__(
        self,
        model: Transformer,
        train: Examples,
        val: Examples,
        settings: TrainSettings,
        checkpoint: Path,
        device: torch.device,
    ):
        self.model, self.train_set, self.val_set = model.to(device), train, val
        self.settings, self.checkpoint, self.device = settings, checkpoint, device
        decay = [p for name, p in model.named_parameters() if p.dim() >= 2]
        no_decay = [p for name, p in model.named_parameters() if p.dim() < 2]
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": settings.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=settings.lr,
            betas=(0.9, 0.95),
        )
        self.order = BatchOrder(len(train), seed=settings.seed)
        self.step = 0
        self.log: list[dict[str, Any]] = []

    def resume(self) -> bool:
        """Continue from the checkpoint if there is one; whether there was."""
        if not (self.checkpoint / "state.json").is_file():
            return False
        state = load_checkpoint(self.checkpoint, self.model, self.optimizer)
        self.step, self.log = state["step"], state["log"]
        self.order.restore(state["order"])
        return True

    def save(self) -> None:
        state = {"step": self.step, "order": self.order.state(), "log": self.log, "settings": asdict(self.settings)}
        save_checkpoint(self.checkpoint, self.model, self.optimizer, state)

    def _set_lr(self) -> None:
        s = self.settings
        factor = lr_factor(self.step, warmup=s.warmup, total=s.steps, floor=s.min_lr_ratio)
        for group in self.optimizer.param_groups:
            group["lr"] = s.lr * factor

    def train_step(self) -> dict[str, Any]:
        """One optimizer step over ``accumulation`` micro-batches; its log entry."""
        started = time.perf_counter()
        self.model.train()
        self._set_lr()
        total_loss, tokens = 0.0, 0
        for _ in range(self.settings.accumulation):
            inputs, labels = self.train_set.batch(self.order.take(self.settings.batch_size))
            inputs, labels = inputs.to(self.device), labels.to(self.device)
            with autocast(self.device):
                loss = loss_of(self.model, inputs, labels)
            (loss / self.settings.accumulation).backward()
            total_loss += loss.item() / self.settings.accumulation
            tokens += inputs.numel()
        norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.settings.grad_clip)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        seconds = time.perf_counter() - started
        entry: dict[str, Any] = {
            "step": self.step,
            "loss": round(total_loss, 4),
            "lr": self.optimizer.param_groups[0]["lr"],
            "grad_norm": round(float(norm), 4),
            "tokens": tokens,
            "tokens_per_s": round(tokens / seconds, 1),
        }
        return entry

    @torch.no_grad()
    def validate(self) -> float | None:
        """Perplexity on the held-out examples (the first ``eval_batches`` batches, always the same)."""
        if not len(self.val_set):
            return None
        self.model.eval()
        size = self.settings.batch_size
        total, count = 0.0, 0
        for start in range(0, min(len(self.val_set), size * self.settings.eval_batches), size):
            indices = list(range(start, min(start + size, len(self.val_set))))
            inputs, labels = self.val_set.batch(indices)
            with autocast(self.device):
                loss = loss_of(self.model, inputs.to(self.device), labels.to(self.device))
            counted = int((labels != IGNORE).sum())
            total, count = total + loss.item() * counted, count + counted
        return math.exp(min(total / max(count, 1), 50))

    def run(self, on_step: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
        """Train up to ``settings.steps``, validating and saving on schedule and at the end."""
        while self.step < self.settings.steps:
            entry = self.train_step()
            last = self.step == self.settings.steps
            if self.step % self.settings.eval_every == 0 or last:
                entry["val_perplexity"] = self.validate()
            self.log.append(entry)
            if self.step % self.settings.save_every == 0 or last:
                self.save()
            if on_step:
                on_step(entry)
        return self.log

    @property
    def precision(self) -> str:
        return precision(self.device)
