"""Learning rate: linear warmup, then a cosine down to a floor."""

from __future__ import annotations

import math


def lr_factor(step: int, *, warmup: int, total: int, floor: float = 0.1) -> float:
    """Multiplier of the peak learning rate at optimizer step ``step`` (0-based)."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))
