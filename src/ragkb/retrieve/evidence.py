"""Document evidence: a chunk whose file has other good candidates is more likely the right place.

A question about a document usually matches several of its chunks a little (the title, the summary,
a section) while an unrelated chunk matches alone. Each candidate's score (divided by the best
candidate's, :func:`~ragkb.retrieve.fusion.scaled`) gets ``weight`` times the best score of another candidate from the same file added
(Callan 1994's passage-plus-document evidence, in its simplest form). One catalog query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ragkb.catalog.schema import ChunkRow
from ragkb.retrieve.fusion import scaled

OTHERS = 1
"""How many of a file's other candidates add their score (only 1 was measured, bench/history/2026-11-lab-notes.md §9)."""


def with_file_evidence(session: Session, scores: Mapping[int, float], weight: float, others: int = OTHERS) -> dict[int, float]:
    """Each score (scaled to the best) plus ``weight`` times the sum of the ``others`` best other
    candidates of its file."""
    normalised = scaled(scores)
    file_of = dict(session.execute(select(ChunkRow.id, ChunkRow.file_id).where(ChunkRow.id.in_(list(scores)))).all())
    by_file: dict[int, list[float]] = defaultdict(list)
    for chunk_id, score in normalised.items():
        by_file[file_of[chunk_id]].append(score)
    best = {file_id: sorted(values, reverse=True)[: others + 1] for file_id, values in by_file.items()}
    boosted = {}
    for chunk_id, score in normalised.items():
        rest = list(best[file_of[chunk_id]])
        if score in rest:
            rest.remove(score)
        boosted[chunk_id] = score + weight * sum(rest[:others])
    return boosted
