"""Term proximity: a candidate where the query's words stand together, in the query's order, ranks higher.

BM25 scores each query term on its own, so "change the definition of a sequence generator" scores a
page mentioning "sequence" here and "generator" there like one saying "sequence generator". This
stage counts, in each candidate's stored sparse entries (ragkb's tokens in text order, on every
backend), the pairs of consecutive query terms that occur within :data:`WINDOW` tokens of each
other in the same order (the ordered-window feature of the sequential dependence model, Metzler &
Croft 2005), saturated like BM25's term frequency. The sparse side of the query's ranking (BM25
scores scaled to the best) gets ``weight`` times each candidate's proximity score (scaled to the
best) added, and is fused with the dense side again, so in hybrid search proximity weighs as much
as BM25 does. It needs no model and reads Chinese
through jieba's tokens like BM25 does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from itertools import pairwise

from sqlalchemy.orm import Session

from ragkb.index.stores.base import SparseIndex
from ragkb.index.tokenize import tokenize
from ragkb.retrieve.fusion import scaled

WINDOW = 2
"""A pair counts when its second term comes at most this many tokens after the first (1: adjacent;
2 lets one word the query lacks stand between). Only 2 was measured (bench/history/2026-11-lab-notes.md §9)."""
SATURATION = 1.0
"""``count / (count + SATURATION)``: the first occurrence of a pair counts most."""


def pair_counts(tokens: Sequence[str], pairs: Collection[tuple[str, str]], window: int = WINDOW) -> dict[tuple[str, str], int]:
    """How often each of ``pairs`` occurs in ``tokens``, in order, within ``window`` tokens."""
    firsts = {a for a, _ in pairs}
    counts: dict[tuple[str, str], int] = {}
    for index, token in enumerate(tokens):
        if token not in firsts:
            continue
        for follower in set(tokens[index + 1 : index + 1 + window]):
            if (token, follower) in pairs:
                counts[(token, follower)] = counts.get((token, follower), 0) + 1
    return counts


def pair_score(counts: Mapping[tuple[str, str], int]) -> float:
    """The sum of the pairs' saturated counts."""
    return sum(n / (n + SATURATION) for n in counts.values())


def with_proximity(
    session: Session,
    sparse: SparseIndex,
    kb_id: int,
    query: str,
    lexical: Mapping[int, float],
    candidates: Collection[int],
    weight: float,
) -> dict[int, float]:
    """The sparse side ``lexical`` scaled to the best, plus ``weight`` times the scaled proximity score of
    each of ``candidates`` (a dense-only candidate with query words together joins the sparse side)."""
    terms = tokenize(query)
    pairs = {(a, b) for a, b in pairwise(terms) if a != b}
    base = scaled(lexical)
    if not pairs or not candidates:
        return base
    counts = {c: pair_counts(tokens, pairs) for c, tokens in sparse.terms(session, kb_id, list(candidates)).items()}
    found = {c: pair_score(n) for c, n in counts.items()}
    near = {c: s for c, s in scaled(found).items() if s > 0}
    return {c: base.get(c, 0.0) + weight * near.get(c, 0.0) for c in base.keys() | near.keys()}
