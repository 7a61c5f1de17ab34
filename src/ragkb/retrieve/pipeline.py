"""One search, stage by stage, as a profile says:

    filters → allowed chunk ids (one catalog query)
    query expansion (multi-query, HyDE; through the generator)
    retrieve each query: sparse ∥ dense over the allowed chunks, fused (convex or RRF)
    refine the query's sparse side, fuse again: pseudo-relevance feedback (BM25 again with terms of
        the best chunks), term proximity (query words together, in order)
    fuse the queries' rankings (reciprocal rank)
    document evidence: a chunk gains from its file's other candidates
    document coverage: a chunk gains the rare query words its file's other chunks hold
    rerank the best ``rerank_depth`` (cross-encoder or LLM), threshold
    MMR, min score, top k
    context expansion (neighbouring chunks or the whole section)
    web search, when the profile asks for it: started first, run beside all of the above (retrieve/web.py)

Each stage's seconds are in :attr:`SearchResult.timings`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import select

from ragkb.catalog.schema import ChunkRow, FileRow, KnowledgeBaseRow
from ragkb.config import AUTO_EMBEDDER
from ragkb.errors import RagkbError
from ragkb.index.context import KBContext
from ragkb.index.language import detect_language, readable_by
from ragkb.llms import Generator, create_generator
from ragkb.models import SearchResult
from ragkb.profiles import DEFAULT_RERANKER_FOLDER, RetrievalProfile, SearchMode, SearchOptions
from ragkb.retrieve.adaptive import LEARNED, query_features
from ragkb.retrieve.confidence import background_sample, confident_weight, dense_z, peaked_weight
from ragkb.retrieve.context import expand
from ragkb.retrieve.coverage import with_coverage
from ragkb.retrieve.evidence import with_file_evidence
from ragkb.retrieve.expansion import hypothetical_answer, multi_queries
from ragkb.retrieve.feedback import with_feedback
from ragkb.retrieve.filters import allowed_chunks
from ragkb.retrieve.fusion import FUSIONS, RRF_K
from ragkb.retrieve.hits import load_hits
from ragkb.retrieve.mmr import mmr
from ragkb.retrieve.proximity import with_proximity
from ragkb.retrieve.rerank import CrossEncoderReranker, LLMReranker, Reranker, blend, rerank_order
from ragkb.retrieve.web import WebFound, start_web_search

MMR_POOL = 50
"""MMR reorders at most this many of the best candidates (its cost grows with the square)."""


@dataclass
class _Ranking:
    scores: dict[int, float]
    sparse: dict[int, float]
    dense: dict[int, float]
    mode: SearchMode
    vector: np.ndarray | None
    """The text's embedding (None in sparse mode)."""
    dense_weight: float = 0.0
    """The dense side's share in this text's fusion (:mod:`ragkb.retrieve.confidence`)."""
    lexical: dict[int, float] | None = None
    """The sparse side as fused, when feedback or proximity refined it (``sparse`` stays BM25's)."""

    @property
    def lexical_scores(self) -> dict[int, float]:
        return self.sparse if self.lexical is None else self.lexical


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - started, 5)


def effective_mode(ctx: KBContext, text: str, mode: SearchMode) -> SearchMode:
    """``mode``, or sparse where the embedder is missing (hybrid) or cannot read the text: its language,
    or a word in another script."""
    if mode != "sparse" and ctx.embedder is None:
        if mode == "dense" and ctx.settings.embedder == AUTO_EMBEDDER:
            raise RagkbError(
                f"knowledge base '{ctx.name}' has no vectors yet (its embedder is chosen at the first add); add files first"
            )
        if mode == "dense":
            raise RagkbError(f"knowledge base '{ctx.name}' has no embedder (embedder = none); use --mode sparse")
        return "sparse"
    if mode == "hybrid" and not readable_by(text, ctx.embedder_languages):
        return "sparse"  # the embedder cannot read it: its similarities would be noise
    return mode


def fuse(ctx: KBContext, session, mode: SearchMode, sparse: dict, dense: dict, dense_weight: float) -> dict[int, float]:
    """One text's sparse and dense scores as one ranking, by the KB's fusion; in hybrid mode the dense
    scores of chunks in a language the embedder does not read are left out."""
    if mode == "sparse":
        return sparse
    if mode == "dense":
        return dense
    languages = ctx.embedder_languages
    unsupported = set(
        session.scalars(select(ChunkRow.id).where(ChunkRow.id.in_(list(dense)), ChunkRow.language.not_in(languages)))
    )
    trusted_dense = {key: value for key, value in dense.items() if key not in unsupported}
    return FUSIONS[ctx.settings.fusion](sparse, trusted_dense, dense_weight)


def refuse(ctx: KBContext, session, ranking: _Ranking, lexical: dict[int, float], allowed) -> _Ranking:
    """``ranking`` with a refined sparse side (feedback, proximity), fused again with its dense side."""
    dense = dict(ranking.dense)
    if ranking.mode == "hybrid" and ranking.vector is not None and (missing := [c for c in lexical if c not in dense]):
        revision = session.scalar(select(KnowledgeBaseRow.revision).where(KnowledgeBaseRow.id == ctx.id))
        dense.update(ctx.store.dense.scores_for(session, ctx.id, revision, ranking.vector, missing, allowed))
    scores = fuse(ctx, session, ranking.mode, lexical, dense, ranking.dense_weight)
    return _Ranking(scores, ranking.sparse, dense, ranking.mode, ranking.vector, ranking.dense_weight, lexical)


def reciprocal_rank_fusion(rankings: list[dict[int, float]]) -> dict[int, float]:
    fused: dict[int, float] = {}
    for scores in rankings:
        for rank, key in enumerate(sorted(scores, key=scores.__getitem__, reverse=True), start=1):
            fused[key] = fused.get(key, 0.0) + 1 / (RRF_K + rank)
    return fused


def _passages(session, chunk_ids: list[int]) -> dict[int, str]:
    """What rerankers and MMR read: file name and section, then the chunk."""
    rows = session.execute(
        select(ChunkRow.id, ChunkRow.text, ChunkRow.heading_path, FileRow.path)
        .join(FileRow, FileRow.id == ChunkRow.file_id)
        .where(ChunkRow.id.in_(chunk_ids))
    )
    return {cid: " > ".join([Path(path).stem, *(heading or [])]) + "\n" + text for cid, text, heading, path in rows}


def make_reranker(
    profile: RetrievalProfile, generator: Callable[[], Generator], language: str, home: Path, tuned: str | None = None
) -> Reranker | None:
    """The profile's reranker; ``auto`` and ``cross-encoder`` without a model take the KB's ``tuned`` one
    (ragkb tune reranker), else the home's."""
    if profile.rerank == "off" or (profile.reranker_languages is not None and language not in profile.reranker_languages):
        return None
    if profile.rerank in ("auto", "cross-encoder"):
        model = profile.reranker_model or tuned or str(home / DEFAULT_RERANKER_FOLDER)
        if profile.rerank == "auto" and profile.reranker_model is None and not Path(model).exists():
            return None
        return CrossEncoderReranker(model, profile.rerank_batch_size)
    return LLMReranker(generator(), language)


class _LazyGenerator:
    """The generator, created on first use, with a clear error when the spec names none."""

    def __init__(self, spec: str, settings) -> None:
        self.spec, self.settings = spec, settings
        self.generator: Generator | None = None

    def __call__(self) -> Generator:
        if self.generator is None:
            self.generator = create_generator(self.spec, self.settings)
            if self.generator is None:
                raise RagkbError(
                    "multi-query, HyDE and the LLM reranker need an LLM generator; "
                    "set RAGKB_GENERATOR or --generator (e.g. llamacpp:smollm2)"
                )
        return self.generator


class Searcher:
    """Searches one knowledge base. Keeps, between searches, the sample of its chunks that dense
    confidence compares each query with (:mod:`ragkb.retrieve.confidence`) until the KB changes."""

    def __init__(self, ctx: KBContext) -> None:
        self.ctx = ctx
        self._background: tuple[int, list[int]] | None = None

    def background_chunks(self, session, revision: int) -> list[int]:
        if self._background is None or self._background[0] != revision:
            self._background = (revision, background_sample(session, self.ctx.id, self.ctx.embedder_languages))
        return self._background[1]

    def retrieve_one(self, session, text: str, mode: SearchMode, depth: int, allowed, as_query: bool = True) -> _Ranking:
        """Sparse and/or dense candidates of one text (embedded as a query, or as a document), fused as the
        KB's settings say."""
        ctx = self.ctx
        revision = session.scalar(select(KnowledgeBaseRow.revision).where(KnowledgeBaseRow.id == ctx.id))
        sparse = dict(ctx.store.sparse.search(session, ctx.id, text, depth, allowed)) if mode != "dense" else {}
        dense: dict[int, float] = {}
        vector, weight = None, ctx.settings.dense_weight
        if mode != "sparse":
            assert ctx.embedder is not None  # effective_mode() answers sparse for a KB without one
            vector = ctx.search_vector(text, as_query)
            dense = dict(ctx.store.dense.search(session, ctx.id, revision, vector, depth, allowed))
            if mode == "hybrid":
                dense.update(ctx.store.dense.scores_for(session, ctx.id, revision, vector, list(sparse), allowed))
                weight = self.hybrid_weight(session, revision, text, sparse, dense, vector)
        return _Ranking(fuse(ctx, session, mode, sparse, dense, weight), sparse, dense, mode, vector, weight)

    def hybrid_weight(self, session, revision: int, text: str, sparse: dict, dense: dict, vector: np.ndarray) -> float:
        """The dense side's share in this text's fusion: the learned model's (:mod:`ragkb.retrieve.adaptive`),
        or ``dense_weight`` times the dense confidence, shrunk by BM25's peak (:mod:`ragkb.retrieve.confidence`)."""
        ctx, settings = self.ctx, self.ctx.settings
        learned = settings.dense_weighting == "learned"
        background = None
        if dense and (learned or settings.dense_confidence_z is not None):
            sample = self.background_chunks(session, revision)
            background = ctx.store.dense.scores_for(session, ctx.id, revision, vector, sample)
        if learned:
            z = None if background is None else dense_z(dense, background)
            return LEARNED.weight(query_features(text, detect_language(text), sparse, dense, z))
        weight = settings.dense_weight
        if background is not None:
            weight = confident_weight(weight, dense, background, settings.dense_confidence_z)
        return peaked_weight(weight, sparse, settings.bm25_peak_z)

    def search(self, query: str, options: SearchOptions) -> SearchResult:
        """The hits for ``query`` as ``options`` and the KB's profile say, with the profile that ran,
        the texts searched and each stage's seconds."""
        ctx = self.ctx
        if not query.strip():
            raise RagkbError("the query is empty; ask something")
        profile = options.resolve(ctx.settings.profiles)
        clock = _Stopwatch()
        web = start_web_search(profile.web_search, query, profile.web_results, ctx.app_settings)  # beside the stages below
        generator = _LazyGenerator(options.generator or ctx.app_settings.generator, ctx.app_settings)
        queries, hyde = [query], None
        if profile.multi_query or profile.hyde:
            with clock.stage("expansion"):
                if profile.multi_query:
                    queries += multi_queries(generator(), query, profile.multi_query)
                if profile.hyde:
                    hyde = hypothetical_answer(generator(), query)
        depth = max(profile.candidates, options.k)
        with ctx.store.snapshot() as session:
            with clock.stage("filters"):
                allowed = allowed_chunks(session, ctx.id, options.filters)
            with clock.stage("retrieval"):
                rankings = [
                    self.retrieve_one(session, text, effective_mode(ctx, text, profile.mode), depth, allowed) for text in queries
                ]
                if hyde is not None:  # an answer-shaped text: embedded as a document
                    mode = effective_mode(ctx, hyde, profile.mode)
                    rankings.append(self.retrieve_one(session, hyde, mode, depth, allowed, as_query=False))
            first = rankings[0]
            refinable = first.mode == "sparse" if profile.refine_sparse_only else first.mode != "dense"
            if profile.feedback_docs and refinable:
                with clock.stage("feedback"):
                    lexical = with_feedback(
                        session, ctx.store.sparse, ctx.id, query, first.sparse, first.scores,
                        profile.feedback_docs, profile.feedback_terms, profile.feedback_weight, depth, allowed,
                    )  # fmt: skip
                    first = refuse(ctx, session, first, lexical, allowed)
            if profile.proximity and refinable and first.scores:
                with clock.stage("proximity"):
                    candidates = first.lexical_scores.keys() | first.dense.keys()
                    lexical = with_proximity(
                        session, ctx.store.sparse, ctx.id, query, first.lexical_scores, candidates, profile.proximity
                    )
                    first = refuse(ctx, session, first, lexical, allowed)
            rankings[0] = first
            scores = first.scores if len(rankings) == 1 else reciprocal_rank_fusion([r.scores for r in rankings])
            if profile.file_evidence and scores:
                with clock.stage("evidence"):
                    scores = with_file_evidence(session, scores, profile.file_evidence)
            if profile.coverage and scores:
                with clock.stage("coverage"):
                    scores = with_coverage(session, ctx.store.sparse, ctx.id, query, scores, profile.coverage, allowed)
            order = sorted(scores, key=scores.__getitem__, reverse=True)
            extra: dict[str, dict[int, float]] = {}
            reranker = make_reranker(
                profile, generator, detect_language(query), ctx.app_settings.home, ctx.settings.tuned_reranker
            )
            if reranker is not None and order:
                with clock.stage("rerank"):
                    order, scores = _rerank(session, reranker, query, order, scores, profile, extra)
            if profile.mmr_lambda is not None and len(order) > 1:
                with clock.stage("mmr"):  # over the reranked head if any: its scores are on one scale
                    pool = profile.rerank_depth if "rerank" in extra else MMR_POOL
                    head = order[:pool]
                    order = mmr(head, scores, _passages(session, head), len(head), profile.mmr_lambda) + order[pool:]
            if profile.min_score is not None:
                order = [c for c in order if scores[c] >= profile.min_score]
            top = order[: options.k]
            hits = load_hits(session, top, scores, first.sparse, first.dense)
            for hit in hits:
                hit.scores.update({name: float(values[hit.chunk_id]) for name, values in extra.items() if hit.chunk_id in values})
            if profile.context != "chunk":
                with clock.stage("context"):
                    hits = expand(session, hits, profile.context, profile.context_window, profile.context_max_chars)
        if hyde is not None:
            queries.append(hyde)
        dense_weight = first.dense_weight if first.mode == "hybrid" else None
        found = WebFound()
        if web is not None:
            with clock.stage("web"):  # the wait left after the stages above
                found = web.collect()
        return SearchResult(
            hits=hits,
            profile=profile,
            queries=queries,
            timings=clock.timings,
            dense_weight=dense_weight,
            web=found.results,
            notes=found.notes,
        )


def _rerank(session, reranker: Reranker, query, order, scores, profile, extra) -> tuple[list[int], dict[int, float]]:
    """Rerank the head of ``order`` (blended with the fused score by ``rerank_weight``); reranked hits come first."""
    head, tail = order[: profile.rerank_depth], order[profile.rerank_depth :]
    passages = _passages(session, head)
    judged = reranker.score(query, [passages[c] for c in head])
    extra["rerank"] = {c: s for c, s in zip(head, judged, strict=True) if s is not None}
    extra["fused"] = {c: scores[c] for c in head}
    ranked = rerank_order(head, blend(judged, [scores[c] for c in head], profile.rerank_weight))
    if profile.rerank_threshold is not None:  # a confident cut: unjudged tail candidates go too
        judged_by = extra["rerank"]
        ranked, tail = [(c, s) for c, s in ranked if c in judged_by and judged_by[c] >= profile.rerank_threshold], []
    new_scores = dict(scores)
    floor = min((s for _, s in ranked if s is not None), default=0.0)
    for c, s in ranked:
        new_scores[c] = s if s is not None else floor
    return [c for c, _ in ranked] + tail, new_scores
