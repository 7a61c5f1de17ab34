"""Maximal marginal relevance (Carbonell & Goldstein 1998): relevant results that do not repeat each other.

Similarity between candidates is the cosine of their term-count vectors (ragkb's tokenizer, so it works
for Chinese and English, with or without an embedder, and on every storage backend). Relevance is
the candidate's score min-max normalised over the candidates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from math import sqrt

from ragkb.index.tokenize import tokenize
from ragkb.retrieve.fusion import min_max


def _cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b[term] for term, count in a.items() if term in b)
    return dot / (sqrt(sum(v * v for v in a.values())) * sqrt(sum(v * v for v in b.values())))


def mmr(candidates: Sequence[int], scores: Mapping[int, float], texts: Mapping[int, str], k: int, lam: float) -> list[int]:
    """``k`` of ``candidates`` picked greedily by ``lam·relevance − (1−lam)·max similarity to those picked``."""
    relevance = min_max({c: scores[c] for c in candidates})
    vectors = {c: Counter(tokenize(texts[c])) for c in candidates}
    picked: list[int] = []
    closest = dict.fromkeys(candidates, 0.0)  # highest similarity to anything picked so far
    remaining = list(candidates)
    while remaining and len(picked) < k:
        best = max(remaining, key=lambda c: lam * relevance[c] - (1 - lam) * closest[c])
        picked.append(best)
        remaining.remove(best)
        for c in remaining:
            closest[c] = max(closest[c], _cosine(vectors[c], vectors[best]))
    return picked
