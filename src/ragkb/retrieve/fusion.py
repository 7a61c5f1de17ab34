"""Fusing sparse and dense results into one ranking.

Scores are min-max normalised per retriever over the candidate set and mixed with a weight per
retriever. The dense weight is set by the caller from language support: an English-only
embedder gets no say on a Chinese query or on Chinese chunks, where its similarities are noise
that would drag hybrid below BM25 alone.
"""

from __future__ import annotations

from collections.abc import Mapping

RRF_K = 60


def min_max(scores: Mapping[int, float]) -> dict[int, float]:
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high == low:
        return dict.fromkeys(scores, 1.0)
    return {key: (value - low) / (high - low) for key, value in scores.items()}


def scaled(scores: Mapping[int, float]) -> dict[int, float]:
    """Scores divided by the best, so 1 is the best and 0 stays 0 (from the lowest score instead of 0 when
    some are negative). Unlike :func:`min_max` it does not push the last candidate to 0, which matters
    when there are few candidates or when the last one is what a later stage is about to judge."""
    if not scores:
        return {}
    low, high = min(0.0, *scores.values()), max(scores.values())
    if high == low:
        return dict.fromkeys(scores, 1.0)
    return {key: (value - low) / (high - low) for key, value in scores.items()}


def convex(sparse: Mapping[int, float], dense: Mapping[int, float], dense_weight: float) -> dict[int, float]:
    """``(1-w)·sparse + w·dense`` on normalised scores; a candidate missing from a list scores 0 there."""
    sparse_norm, dense_norm = min_max(sparse), min_max(dense)
    return {
        key: (1 - dense_weight) * sparse_norm.get(key, 0.0) + dense_weight * dense_norm.get(key, 0.0)
        for key in sparse_norm.keys() | dense_norm.keys()
    }


def reciprocal_rank(sparse: Mapping[int, float], dense: Mapping[int, float], dense_weight: float) -> dict[int, float]:
    """Weighted reciprocal rank fusion (Cormack et al. 2009), for comparison in ``ragkb eval``."""
    fused: dict[int, float] = {}
    for scores, weight in ((sparse, 1 - dense_weight), (dense, dense_weight)):
        for rank, key in enumerate(sorted(scores, key=scores.__getitem__, reverse=True), start=1):
            fused[key] = fused.get(key, 0.0) + weight / (RRF_K + rank)
    return fused


FUSIONS = {"convex": convex, "rrf": reciprocal_rank}
