"""``ragkb eval retrieval``: index a BEIR dataset into a throwaway KB and score each search mode.

The throwaway KB lives in the user's catalog (and is deleted afterwards) so the embedding
cache is reused: a second evaluation of the same corpus embeds nothing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ragkb.config import KBSettings, SearchMode, Settings
from ragkb.eval.beir import BeirDataset
from ragkb.eval.metrics import mean_metrics, query_metrics
from ragkb.kb import KnowledgeBase
from ragkb.models import Block, ParsedDocument

DEPTH = 100
"""Documents ranked per query (enough for Recall@100)."""


@dataclass
class ModeResult:
    mode: str
    metrics: dict[str, float]
    per_query: dict[str, list[str]] = field(default_factory=dict)
    seconds_per_query: float = 0.0


def corpus_document(text: str) -> ParsedDocument:
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return ParsedDocument([Block(p) for p in paragraphs] or [Block(text)], loader="beir")


def rank_documents(kb: KnowledgeBase, query: str, mode: SearchMode) -> list[str]:
    """Document ids in order of their best chunk."""
    hits = kb.search(query, k=DEPTH * 3, mode=mode)
    return list(dict.fromkeys(hit.file for hit in hits))[:DEPTH]


def evaluate(
    dataset: BeirDataset,
    kb_settings: KBSettings,
    modes: Sequence[SearchMode] = ("sparse", "dense", "hybrid"),
    settings: Settings | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[ModeResult]:
    kb = KnowledgeBase.create(f"_eval_{uuid.uuid4().hex[:12]}", kb_settings=kb_settings, settings=settings)
    try:
        documents = ((doc_id, title, corpus_document(text)) for doc_id, (title, text) in dataset.corpus.items())
        kb.add_documents(
            documents, total=len(dataset.corpus), progress=(lambda d, t, _: progress("indexing", d, t)) if progress else None
        )
        if kb.embedder is None:
            modes = [m for m in modes if m == "sparse"]
        results = []
        for mode in modes:
            rankings: dict[str, list[str]] = {}
            started = time.perf_counter()
            for done, (query_id, query) in enumerate(dataset.queries.items(), start=1):
                rankings[query_id] = rank_documents(kb, query, mode)
                if progress:
                    progress(mode, done, len(dataset.queries))
            elapsed = (time.perf_counter() - started) / max(len(dataset.queries), 1)
            metrics = mean_metrics([query_metrics(rankings[q], dataset.qrels[q]) for q in dataset.queries])
            results.append(ModeResult(mode, metrics, rankings, elapsed))
        return results
    finally:
        kb.delete()
