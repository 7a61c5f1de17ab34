"""Ranking metrics of questions with one relevant chunk each, from the rank it got (``None``: not ranked)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def rank_metrics(ranks: Sequence[int | None]) -> dict[str, float]:
    """MAP (with one relevant chunk, its reciprocal rank at any depth), MRR@10, nDCG@10, Hit@1 and
    Recall@10, averaged over the questions."""
    if not ranks:
        return {}
    per_query = [
        {
            "MAP": 1 / rank if rank else 0.0,
            "MRR@10": 1 / rank if rank and rank <= 10 else 0.0,
            "nDCG@10": 1 / math.log2(rank + 1) if rank and rank <= 10 else 0.0,
            "Hit@1": float(rank == 1),
            "Recall@10": float(rank is not None and rank <= 10),
        }
        for rank in ranks
    ]
    return {name: round(sum(q[name] for q in per_query) / len(per_query), 4) for name in per_query[0]}


def rank_of(ranking: Sequence[int], wanted: int) -> int | None:
    """1-based position of ``wanted`` in ``ranking``."""
    for position, item in enumerate(ranking, start=1):
        if item == wanted:
            return position
    return None
