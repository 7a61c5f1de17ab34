"""Document coverage: a chunk gains the rare query words that other chunks of its file hold.

A question naming two facts of one record ("the first month is called Petsatin and the date format
is %d/%m/%y") often finds them in two chunks of one file. Each matches half, and a chunk of another
file that matches the commoner half (a hundred tables share that date format) outranks both. So
each candidate, its score scaled to the best, gains ``weight`` times the share of the query's IDF
held by rare words that it lacks and another chunk of its file has: any chunk of the file, looked up
in the sparse index, not only the candidates (a first version that looked among the best 100
candidates gained nothing: the other half was rarely among them).

Only rare words count: those weighing at least :data:`RARE` of what a word the KB has never seen
weighs. Few chunks hold one, so finding them is cheap, and common words, which every long file
holds, would reward length (as :mod:`~ragkb.retrieve.evidence` does). Measured in bench/history/2026-11-lab-notes.md §9.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ragkb.catalog.schema import ChunkRow
from ragkb.index.stores.base import SparseIndex
from ragkb.index.tokenize import tokenize
from ragkb.retrieve.fusion import scaled

RARE = 0.4
"""A word is rare when its IDF is at least this share of an unseen word's (in 1,600 chunks: held by at
most 63 of them; in 100,000 chunks by 760)."""
HOLDERS = 1000
"""Chunks looked up per rare word; a word held by more (a rare word of a KB of millions of chunks)
is left out rather than counted for an arbitrary part of its holders."""
ABSENT = " "
"""A term no chunk can hold (tokens never contain a space): its IDF is an unseen word's."""


def with_coverage(
    session: Session,
    sparse: SparseIndex,
    kb_id: int,
    query: str,
    scores: Mapping[int, float],
    weight: float,
    allowed: Collection[int] | None = None,
) -> dict[int, float]:
    """``scores`` scaled to the best, each plus ``weight`` times the IDF share of the query's rare words
    that the chunk lacks and another chunk of its file (within ``allowed``, if given) holds."""
    base = scaled(scores)
    weights = sparse.idf(session, kb_id, [*set(tokenize(query)), ABSENT])
    unseen = weights.pop(ABSENT)
    total = sum(weights.values())
    rare = [term for term, value in weights.items() if value >= RARE * unseen]
    held = {
        term: [c for c in chunk_ids if allowed is None or c in allowed]
        for term, chunk_ids in sparse.holders(session, kb_id, rare, HOLDERS + 1).items()
        if len(chunk_ids) <= HOLDERS
    }
    holders = {chunk_id for chunk_ids in held.values() for chunk_id in chunk_ids}
    if not holders or total <= 0:
        return base
    file_of = dict(session.execute(select(ChunkRow.id, ChunkRow.file_id).where(ChunkRow.id.in_(list(holders | set(base))))).all())
    in_chunk: dict[int, set[str]] = defaultdict(set)
    in_file: dict[int, set[str]] = defaultdict(set)
    for term, chunk_ids in held.items():
        for chunk_id in chunk_ids:
            in_chunk[chunk_id].add(term)
            in_file[file_of[chunk_id]].add(term)
    return {
        chunk_id: score + weight * sum(weights[t] for t in in_file[file_of[chunk_id]] - in_chunk[chunk_id]) / total
        for chunk_id, score in base.items()
    }
