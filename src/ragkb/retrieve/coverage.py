"""Document coverage: a chunk gains when other candidates of its file hold the rare query words it lacks.

A question naming two facts of one record ("the first month is called Janairu and the date format is
%d/%m/%y") often finds them in two chunks of the same file. Each chunk matches half, and a chunk of
another file that matches the commoner half outranks both. So each of the best :data:`POOL`
candidates (its score scaled to the best) gains ``weight`` times the share of the query's IDF that it
lacks and its file's other candidates supply. Only rare words count, those weighing at least half
as much as a word the KB has never seen (in at most about √N of N chunks): common words are in
every long file, and counting them would reward length (what :mod:`~ragkb.retrieve.evidence` does).
Measured in bench/RESULTS.md §9.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ragkb.catalog.schema import ChunkRow
from ragkb.index.stores.base import SparseIndex
from ragkb.index.tokenize import tokenize
from ragkb.retrieve.fusion import scaled

POOL = 100
"""How many of the best candidates gain, and supply words to the others of their file."""
ABSENT = " "
"""A term no chunk can have (tokens never hold a space): its IDF is that of a word the KB lacks."""


def with_coverage(
    session: Session, sparse: SparseIndex, kb_id: int, query: str, scores: Mapping[int, float], weight: float
) -> dict[int, float]:
    """``scores`` scaled to the best, each of the best :data:`POOL` plus ``weight`` times the IDF share of
    the query's rare words that it lacks and other candidates of its file have."""
    base = scaled(scores)
    terms = set(tokenize(query))
    weights = sparse.idf(session, kb_id, [*terms, ABSENT])
    unseen = weights.pop(ABSENT)
    rare = {term for term, value in weights.items() if value >= unseen / 2}
    if not rare:
        return base
    pool = sorted(scores, key=scores.__getitem__, reverse=True)[:POOL]
    file_of = dict(session.execute(select(ChunkRow.id, ChunkRow.file_id).where(ChunkRow.id.in_(pool))).all())
    held = {chunk_id: rare.intersection(tokens) for chunk_id, tokens in sparse.terms(session, kb_id, pool).items()}
    by_file: dict[int, list[int]] = defaultdict(list)
    for chunk_id in pool:
        by_file[file_of[chunk_id]].append(chunk_id)
    total = sum(weights.values())
    for chunk_id in pool:
        siblings = [other for other in by_file[file_of[chunk_id]] if other != chunk_id]
        supplied = set().union(*(held.get(other, set()) for other in siblings)) - held.get(chunk_id, set())
        base[chunk_id] += weight * sum(weights[term] for term in supplied) / total
    return base
