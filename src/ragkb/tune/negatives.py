"""Hard negatives: the chunks the KB's own search ranks best for a question that are not its chunk.

A negative that says the same as the positive (a repeated paragraph, an overlapping chunk: half or
more of its words shared) would teach the model that the right answer is wrong, so it is skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ragkb.index.tokenize import tokenize
from ragkb.kb import KnowledgeBase
from ragkb.profiles import SearchMode
from ragkb.tune.passages import Passage
from ragkb.tune.training import Progress

if TYPE_CHECKING:
    from ragkb.tune.synth import Pair

DEPTH = 30
SAME_TEXT = 0.5


def overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, min(len(a), len(b)))


def mine_negatives(
    kb: KnowledgeBase, pairs: list[Pair], by_id: dict[int, Passage], count: int, progress: Progress | None
) -> None:
    """Fill each pair's ``negatives`` with up to ``count`` chunk ids (hybrid search, or BM25 without an embedder)."""
    mode: SearchMode = "hybrid" if kb.settings.embedder != "none" else "sparse"
    terms: dict[int, set[str]] = {}

    def words(chunk_id: int) -> set[str]:
        if chunk_id not in terms:
            terms[chunk_id] = set(tokenize(by_id[chunk_id].text))
        return terms[chunk_id]

    for done, pair in enumerate(pairs, start=1):
        hits = kb.search(pair.query, k=DEPTH, mode=mode)
        positive = words(pair.chunk_id)
        pair.negatives = [
            hit.chunk_id
            for hit in hits
            if hit.chunk_id != pair.chunk_id and hit.chunk_id in by_id and overlap(words(hit.chunk_id), positive) < SAME_TEXT
        ][:count]
        if progress:
            progress("negatives", done, len(pairs))
