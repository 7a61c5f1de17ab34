"""Pseudo-relevance feedback for the sparse retriever (RM3, Lavrenko & Croft 2001; Abdul-Jaleel et al. 2004).

The best first-pass chunks are taken as relevant; the terms that weigh most in them (relevance model
RM1: each chunk's share of the first-pass score times the term's frequency in the chunk, times the
term's IDF so that words common to every chunk do not win) are added to the query, and BM25 is run
again with the expanded query. Its scores are mixed with the original query's, each divided by
its best (:func:`~ragkb.retrieve.fusion.scaled`). It needs no model and works in any language the tokenizer reads (jieba for Chinese).

Terms come from the sparse index's stored entries (every backend keeps them). A term is used only if
tokenizing it gives back exactly that term, so searching for it finds it (a stem is not always
stable under stemming again, and jieba splits some long words further).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping

from sqlalchemy.orm import Session

from ragkb.index.stores.base import SparseIndex
from ragkb.index.tokenize import tokenize
from ragkb.retrieve.fusion import scaled


def expansion_terms(
    session: Session, sparse: SparseIndex, kb_id: int, query: str, ranking: Mapping[int, float], docs: int, terms: int
) -> list[str]:
    """The ``terms`` best feedback terms of the ``docs`` best chunks of ``ranking`` that the query lacks."""
    top = sorted(ranking, key=ranking.__getitem__, reverse=True)[:docs]
    total = sum(max(ranking[c], 0.0) for c in top)
    if not top or total <= 0:
        return []
    weight: Counter[str] = Counter()
    for chunk_id, tokens in sparse.terms(session, kb_id, top).items():
        share = max(ranking[chunk_id], 0.0) / total
        for term, count in Counter(tokens).items():
            # typeshed types a Counter's values as int; Python's takes any number (these are shares)
            weight[term] += share * count / len(tokens)  # type: ignore[assignment]
    asked = set(tokenize(query))
    candidates = [t for t, _ in weight.most_common(terms * 8) if t not in asked and tokenize(t) == [t]]
    idf = sparse.idf(session, kb_id, candidates)
    return sorted(candidates, key=lambda t: weight[t] * idf[t], reverse=True)[:terms]


def with_feedback(
    session: Session,
    sparse_index: SparseIndex,
    kb_id: int,
    query: str,
    sparse: Mapping[int, float],
    ranking: Mapping[int, float],
    docs: int,
    terms: int,
    weight: float,
    depth: int,
    allowed: Collection[int] | None,
) -> dict[int, float]:
    """Sparse scores of the query mixed with those of the query expanded from ``ranking``'s best chunks:
    ``(1-weight)·sparse + weight·expanded``, each divided by its best (``sparse`` unchanged if no term is found)."""
    extra = expansion_terms(session, sparse_index, kb_id, query, ranking, docs, terms)
    if not extra:
        return dict(sparse)
    expanded = scaled(dict(sparse_index.search(session, kb_id, " ".join([query, *extra]), depth, allowed)))
    original = scaled(sparse)
    return {c: (1 - weight) * original.get(c, 0.0) + weight * expanded.get(c, 0.0) for c in original.keys() | expanded.keys()}
