"""Ranking metrics over document ids, as defined by TREC/BEIR (graded relevance for nDCG)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def ndcg(ranking: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    gains = [relevant.get(doc, 0) for doc in ranking[:k]]
    dcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def hit(ranking: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    return float(any(relevant.get(doc, 0) > 0 for doc in ranking[:k]))


def recall(ranking: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    return len(wanted.intersection(ranking[:k])) / len(wanted) if wanted else 0.0


def reciprocal_rank(ranking: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    for position, doc in enumerate(ranking[:k], start=1):
        if relevant.get(doc, 0) > 0:
            return 1.0 / position
    return 0.0


def average_precision(ranking: Sequence[str], relevant: Mapping[str, int]) -> float:
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    found, total = 0, 0.0
    for position, doc in enumerate(ranking, start=1):
        if doc in wanted:
            found += 1
            total += found / position
    return total / len(wanted) if wanted else 0.0


def query_metrics(ranking: Sequence[str], relevant: Mapping[str, int]) -> dict[str, float]:
    """Every metric ``ragkb eval retrieval`` reports, for one query."""
    return {
        "nDCG@10": ndcg(ranking, relevant, 10),
        "Hit@1": hit(ranking, relevant, 1),
        "Hit@3": hit(ranking, relevant, 3),
        "Hit@5": hit(ranking, relevant, 5),
        "Hit@10": hit(ranking, relevant, 10),
        "Recall@10": recall(ranking, relevant, 10),
        "Recall@100": recall(ranking, relevant, 100),
        "MRR@10": reciprocal_rank(ranking, relevant, 10),
        "MAP": average_precision(ranking, relevant),
    }


def mean_metrics(per_query: Sequence[Mapping[str, float]]) -> dict[str, float]:
    if not per_query:
        return {}
    return {name: sum(q[name] for q in per_query) / len(per_query) for name in per_query[0]}
