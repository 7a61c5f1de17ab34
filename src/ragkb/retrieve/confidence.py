"""How much say the embedder gets on one query: how far its best match stands above the KB at large.

Where an embedder sees every chunk as alike (tables of codes, templated records), it still ranks them,
and min-max fusion stretches its near-equal similarities into a full vote that drowns BM25's exact
matches. The query's similarity to a fixed sample of the KB's chunks tells what "alike" means in this
KB for this query: the dense weight is scaled by how many standard deviations the best dense match
stands above that background, in full from ``z_full`` up. On prose, the best match of a question
stands 5–7 deviations out and nothing changes; on a KB of 329 locale tables about 2.5
(bench/history/2026-11-lab-notes.md §9, "Words of every script").
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Mapping

from sqlalchemy import BigInteger, cast, literal, select
from sqlalchemy.orm import Session

from ragkb.catalog.schema import ChunkRow

BACKGROUND_SIZE = 256
"""Chunks whose similarity to the query makes the background (a fixed sample per KB revision)."""
NEAREST = 10
"""The query's best dense matches: never part of its background."""


def background_sample(session: Session, kb_id: int, languages: Collection[str], size: int = BACKGROUND_SIZE) -> list[int]:
    """Up to ``size`` chunk ids of the KB in the embedder's languages, spread by a hash of the id: the
    same sample for every query of a revision, without reading every id of a large KB."""
    # Knuth's multiplicative hash, in 64-bit integers on every database: not in id order
    spread = (cast(ChunkRow.id, BigInteger) * literal(2654435761, BigInteger)) % literal(4294967296, BigInteger)
    rows = session.scalars(
        select(ChunkRow.id).where(ChunkRow.kb_id == kb_id, ChunkRow.language.in_(list(languages))).order_by(spread).limit(size)
    )
    return list(rows)


def confident_weight(weight: float, dense: Mapping[int, float], background: Mapping[int, float], z_full: float | None) -> float:
    """``weight`` times how far the best of ``dense`` stands above ``background`` in standard deviations,
    over ``z_full`` (capped at 1, never below 0). The query's :data:`NEAREST` best matches are left out
    of the background (in a small KB the sample holds them too); with fewer than two chunks left, or no
    ``z_full``, ``weight`` itself."""
    nearest = set(sorted(dense, key=dense.__getitem__, reverse=True)[:NEAREST])
    rest = [score for chunk_id, score in background.items() if chunk_id not in nearest]
    if z_full is None or not dense or len(rest) < 2:
        return weight
    best, mean, spread = max(dense.values()), statistics.fmean(rest), statistics.pstdev(rest)
    if spread == 0:
        return weight if best > mean else 0.0
    return weight * min(1.0, max(0.0, (best - mean) / spread / z_full))
