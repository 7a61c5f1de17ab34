"""``ragkb eval retrieval``: index a BEIR dataset into a throwaway KB and score search modes and profiles.

The throwaway KB lives in the user's catalog (and is deleted afterwards) so the embedding
cache is reused: a second evaluation of the same corpus embeds nothing.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ragkb.config import KBSettings, Settings
from ragkb.errors import RagkbError
from ragkb.eval.beir import BeirDataset
from ragkb.eval.metrics import mean_metrics, query_metrics
from ragkb.kb import KnowledgeBase
from ragkb.models import Block, ParsedDocument
from ragkb.profiles import SearchMode, SearchOptions

DEPTH = 100
"""Documents ranked per query (enough for Recall@100)."""


@dataclass
class QueryOutcome:
    """One query's result in one run, for error analysis."""

    query_id: str
    ranking: list[str]
    metrics: dict[str, float]
    seconds: float
    timings: dict[str, float]
    queries: list[str]


@dataclass
class RunResult:
    """A search mode (``sparse``/``dense``/``hybrid`` with the default profile) or a named profile."""

    name: str
    kind: str
    """``mode`` or ``profile``"""
    metrics: dict[str, float] = field(default_factory=dict)
    outcomes: list[QueryOutcome] = field(default_factory=list)
    skipped: str | None = None
    """Why the run could not be made (a profile whose reranker or generator is not available)."""
    embedder: str = ""
    """The KB's embedder when it ran (one chosen at the first add where the settings said ``auto``)."""

    @property
    def seconds_per_query(self) -> float:
        return statistics.fmean(o.seconds for o in self.outcomes) if self.outcomes else 0.0

    def latency(self) -> dict[str, float]:
        """p50/p95 milliseconds of whole searches and of each stage."""
        if not self.outcomes:
            return {}
        series = {"total": [o.seconds for o in self.outcomes]}
        for outcome in self.outcomes:
            for stage, seconds in outcome.timings.items():
                series.setdefault(stage, []).append(seconds)
        return {
            f"{stage} {name}": round(1000 * value, 2)
            for stage, values in series.items()
            for name, value in (("p50 ms", percentile(values, 50)), ("p95 ms", percentile(values, 95)))
        }

    def summary(self) -> dict:
        if self.skipped:
            return {"skipped": self.skipped}
        return {**self.metrics, "ms_per_query": self.seconds_per_query * 1000, "latency": self.latency()}


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


def corpus_document(text: str) -> ParsedDocument:
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return ParsedDocument([Block(p) for p in paragraphs] or [Block(text)], loader="beir")


def documents_of(hits) -> list[str]:
    """Document ids in order of their best chunk."""
    return list(dict.fromkeys(hit.file for hit in hits))[:DEPTH]


def rank_documents(kb: KnowledgeBase, query: str, mode: SearchMode | None = None, profile: str | None = None) -> list[str]:
    return documents_of(kb.search(query, k=DEPTH * 3, mode=mode, options=SearchOptions(profile=profile)))


def run(kb: KnowledgeBase, dataset: BeirDataset, result: RunResult, options: SearchOptions, progress) -> RunResult:
    for done, (query_id, query) in enumerate(dataset.queries.items(), start=1):
        started = time.perf_counter()
        try:
            found = kb.retrieve(query, options)
        except RagkbError as error:
            if done == 1:  # the profile cannot run here (no reranker model, no LLM): say why, go on with the others
                result.skipped = str(error)
                return result
            raise
        seconds = time.perf_counter() - started
        ranking = documents_of(found.hits)
        metrics = query_metrics(ranking, dataset.qrels[query_id])
        result.outcomes.append(QueryOutcome(query_id, ranking, metrics, seconds, found.timings, found.queries))
        if progress:
            progress(result.name, done, len(dataset.queries))
    result.metrics = mean_metrics([o.metrics for o in result.outcomes])
    return result


def evaluate(
    dataset: BeirDataset,
    kb_settings: KBSettings,
    modes: Sequence[SearchMode] = ("sparse", "dense", "hybrid"),
    settings: Settings | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    profiles: Sequence[str] = (),
) -> list[RunResult]:
    """Every mode (with the default profile) and every named profile, over one index of the dataset."""
    kb = KnowledgeBase.create(f"_eval_{uuid.uuid4().hex[:12]}", kb_settings=kb_settings, settings=settings)
    try:
        documents = ((doc_id, title, corpus_document(text)) for doc_id, (title, text) in dataset.corpus.items())
        kb.add_documents(
            documents, total=len(dataset.corpus), progress=(lambda d, t, _: progress("indexing", d, t)) if progress else None
        )
        if kb.embedder is None:
            modes = [m for m in modes if m == "sparse"]
        embedder = kb.settings.embedder
        results = [
            run(kb, dataset, RunResult(mode, "mode", embedder=embedder), SearchOptions(k=DEPTH * 3, mode=mode), progress)
            for mode in modes
        ]
        for name in profiles:
            options = SearchOptions(k=DEPTH * 3, profile=name)
            results.append(run(kb, dataset, RunResult(name, "profile", embedder=embedder), options, progress))
        return results
    finally:
        kb.delete()
