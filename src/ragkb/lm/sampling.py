"""Picking the next token: temperature, top-k and top-p (nucleus) over the last position's logits."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.8
    """0 picks the most likely token every time (greedy)."""
    top_k: int = 50
    """Keep only the k most likely tokens (0: all)."""
    top_p: float = 0.95
    """Keep the fewest most likely tokens whose probabilities add up to p (1: all)."""
    max_tokens: int = 256
    seed: int = 0


def next_token(logits: torch.Tensor, sampling: Sampling, generator: torch.Generator) -> int:
    """One token id from a (vocab,) vector of logits."""
    if sampling.temperature <= 0:
        return int(logits.argmax())
    logits = logits.float() / sampling.temperature
    if 0 < sampling.top_k < logits.shape[-1]:
        kth = torch.topk(logits, sampling.top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if sampling.top_p < 1:
        ordered, order = torch.sort(logits, descending=True)
        cumulative = ordered.softmax(-1).cumsum(-1)
        drop = cumulative - ordered.softmax(-1) >= sampling.top_p  # past the nucleus: the mass before it already reaches p
        logits = logits.masked_fill(torch.zeros_like(drop).scatter(0, order, drop), float("-inf"))
    probabilities = logits.softmax(-1)
    return int(torch.multinomial(probabilities.cpu(), 1, generator=generator))
