"""Retrieval profiles (named bundles of retrieval settings stored with a knowledge base), the
metadata filters of a request and :class:`SearchOptions`: plain data, so that ``config.py`` can hold
a KB's profiles without importing the retrieval code that runs them (``ragkb.retrieve``).

Every KB has ``default``, ``fast`` and ``accurate`` (users may redefine them or add their own, see
``ragkb kb profile``); a request picks one by name and may override any field of it
(:class:`SearchOptions`). What each built-in profile holds was chosen by
measurement (bench/history/2026-11-lab-notes.md §9, "Retrieval profiles").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timezone
from typing import Any, Literal, cast

from pydantic import BaseModel, Field, create_model, field_validator, model_validator

from ragkb.errors import RagkbError

SearchMode = Literal["hybrid", "sparse", "dense"]
RerankKind = Literal["off", "auto", "cross-encoder", "llm"]
ContextKind = Literal["chunk", "window", "section"]
WebSearchKind = Literal["off", "searxng", "bing", "brave", "tavily"]

DEFAULT_RERANKER_FOLDER = "models/reranker"
"""Where ``rerank="cross-encoder"`` looks for a model, in the ragkb home, unless the profile names
one: copy any sentence-transformers CrossEncoder there (bge-reranker-base, ms-marco-MiniLM-L6-v2),
or build one offline with bench/train_reranker.py."""


class Filters(BaseModel):
    """Which chunks a search may return. Empty lists and ``None`` mean: no condition."""

    paths: list[str] = Field(
        default_factory=list,
        description="globs on the file path, any may match; '*' matches across folders, a relative glob matches at any depth",
    )
    extensions: list[str] = Field(default_factory=list, description="file extensions, any may match ('.md' or 'md')")
    tags: list[str] = Field(default_factory=list, description="tags given at ingest; a file must have all of them")
    modified_after: datetime | None = Field(None, description="file modified at or after (a date means its start, UTC)")
    modified_before: datetime | None = Field(None, description="file modified before (a date means its end, UTC)")
    page_from: int | None = Field(None, ge=1, description="first page (paged formats only: PDF)")
    page_to: int | None = Field(None, ge=1, description="last page")

    @field_validator("extensions")
    @classmethod
    def _dotted(cls, values: list[str]) -> list[str]:
        return ["." + v.strip().lower().lstrip(".") for v in values if v.strip()]

    @field_validator("modified_after", "modified_before", mode="before")
    @classmethod
    def _date_or_datetime(cls, value: object, info) -> object:
        if isinstance(value, str) and len(value) == 10:  # a bare YYYY-MM-DD
            value = date.fromisoformat(value)
        if isinstance(value, date) and not isinstance(value, datetime):
            moment = time.max if info.field_name == "modified_before" else time.min
            value = datetime.combine(value, moment, tzinfo=timezone.utc)
        return value

    @model_validator(mode="after")
    def _ranges_in_order(self) -> Filters:
        if self.page_from and self.page_to and self.page_from > self.page_to:
            raise ValueError("page_from is after page_to")
        if self.modified_after and self.modified_before and epoch(self.modified_after) > epoch(self.modified_before):
            raise ValueError("modified_after is after modified_before")
        return self

    @property
    def active(self) -> bool:
        return any(
            (self.paths, self.extensions, self.tags, self.modified_after, self.modified_before, self.page_from, self.page_to)
        )


def epoch(moment: datetime) -> float:
    """Seconds since 1970 of a moment; a naive one is taken as UTC (file times are stored so)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


class RetrievalProfile(BaseModel):
    """How one search runs, stage by stage: expand → retrieve (filtered) → fuse → rerank → MMR → context."""

    mode: SearchMode = Field("hybrid", description="hybrid, sparse (BM25) or dense")
    candidates: int = Field(100, ge=1, le=2000, description="results each retriever contributes per query")
    multi_query: int = Field(0, ge=0, le=8, description="extra phrasings of the query written by the generator (0: off)")
    hyde: bool = Field(False, description="also search with a hypothetical answer written by the generator (HyDE)")
    feedback_docs: int = Field(
        0, ge=0, le=50, description="pseudo-relevance feedback: expand the BM25 query from this many best chunks (0: off)"
    )
    feedback_terms: int = Field(30, ge=1, le=100, description="terms added to the query by feedback")
    feedback_weight: float = Field(0.2, ge=0, le=1, description="share of the expanded query in the BM25 scores")
    file_evidence: float = Field(
        0.0, ge=0, le=5, description="add this times the best other candidate of the same file to each score (0: off)"
    )
    coverage: float = Field(
        0.0,
        ge=0,
        le=5,
        description="add this times the share of the query's rare words that the chunk lacks and another chunk "
        "of its file holds (0: off)",
    )
    proximity: float = Field(
        0.0, ge=0, le=5, description="add this times a score for query words found together, in order (0: off)"
    )
    refine_sparse_only: bool = Field(
        False,
        description="feedback and proximity only for queries ranked by BM25 alone (sparse mode, or a language "
        "the embedder cannot read); where the embedder reads the query it already weighs word order",
    )
    rerank: RerankKind = Field(
        "off",
        description="off; cross-encoder; llm (the configured generator); auto: the cross-encoder if one is installed "
        f"(reranker_model, or a model in <ragkb home>/{DEFAULT_RERANKER_FOLDER}), else off",
    )
    reranker_model: str | None = Field(
        None, description=f"cross-encoder: a local folder or a hub id (None: <ragkb home>/{DEFAULT_RERANKER_FOLDER})"
    )
    reranker_languages: list[str] | None = Field(
        None, description="query languages the reranker reads; others keep the fused order (None: all)"
    )
    rerank_depth: int = Field(30, ge=1, le=500, description="how many of the best fused candidates are reranked")
    rerank_batch_size: int = Field(32, ge=1, le=1024)
    rerank_weight: float = Field(
        1.0,
        ge=0,
        le=1,
        description="share of the reranker's score (0-1) in a reranked hit's score, the rest is the fused score "
        "(1: reranker only)",
    )
    rerank_threshold: float | None = Field(None, description="drop reranked hits the reranker scores below this")
    mmr_lambda: float | None = Field(
        None, ge=0, le=1, description="maximal marginal relevance: 1 = relevance only, 0 = diversity only (None: off)"
    )
    min_score: float | None = Field(None, description="drop hits whose final score is below this")
    context: ContextKind = Field("chunk", description="hand over the chunk, its neighbours (window) or its section")
    context_window: int = Field(1, ge=0, le=20, description="neighbouring chunks on each side, for context=window")
    context_max_chars: int = Field(2400, ge=100, le=100_000, description="longest expanded context per hit")
    web_search: WebSearchKind = Field(
        "off",
        description="also search the web with this provider (its URL or key set: RAGKB_SEARXNG_URL, RAGKB_BING_API_KEY, "
        "RAGKB_BRAVE_API_KEY, RAGKB_TAVILY_API_KEY); its results are cited by URL beside the documents",
    )
    web_results: int = Field(5, ge=1, le=20, description="how many web search results the answer may use")

    @property
    def needs_generator(self) -> bool:
        return bool(self.multi_query or self.hyde or self.rerank == "llm")


def builtin_profiles() -> dict[str, RetrievalProfile]:
    return {
        # a little document coverage: as good as none on prose, finds records whose facts span chunks
        "default": RetrievalProfile(coverage=0.05),
        "fast": RetrievalProfile(mode="sparse"),
        # what each kind of query lacks: proximity where BM25 ranks alone (a language the embedder cannot
        # read), an installed cross-encoder as one vote (0.2) where the embedder reads it, more coverage
        # (bench/history/2026-11-lab-notes.md §9)
        "accurate": RetrievalProfile(
            coverage=0.2, proximity=0.1, refine_sparse_only=True, rerank="auto", reranker_languages=["en"], rerank_weight=0.2
        ),
    }


def pick(profiles: dict[str, RetrievalProfile], name: str | None) -> RetrievalProfile:
    name = name or "default"
    if name not in profiles:
        raise RagkbError(f"no retrieval profile '{name}'; this knowledge base has: {', '.join(sorted(profiles))}")
    return profiles[name]


def _override_fields() -> dict:
    # FieldInfo.annotation is typed ``type | None``: None only for fields declared without one (none here)
    return {
        name: (
            cast(Any, field.annotation) | None,
            Field(None, description=f"overrides the profile's {name}: {field.description or ''}"),
        )
        for name, field in RetrievalProfile.model_fields.items()
    }


_ProfileOverrides = create_model("_ProfileOverrides", **_override_fields())


MAX_HITS = 1000
"""The most hits one search returns, in every front end (HTTP, CLI, Python)."""


class SearchOptions(_ProfileOverrides):
    """One search request: how many hits, which profile, filters, and any profile field to override.

    This is what the CLI, the Python API (:meth:`ragkb.kb.KnowledgeBase.retrieve`) and the HTTP API take.
    Fields left ``None`` come from the profile (so a request cannot switch MMR or a threshold *off*
    when its profile has it on; pick another profile for that).
    """

    k: int = Field(5, ge=1, le=MAX_HITS, description="number of hits")
    profile: str | None = Field(None, description="retrieval profile name (None: default)")
    filters: Filters = Field(default_factory=Filters)
    generator: str | None = Field(
        None, description="generator for multi-query, HyDE and the LLM reranker (None: the installation's)"
    )

    def resolve(self, profiles: dict[str, RetrievalProfile]) -> RetrievalProfile:
        """The named profile with this request's overrides applied (validated)."""
        base = pick({**builtin_profiles(), **profiles}, self.profile)
        overrides = {name: getattr(self, name) for name in RetrievalProfile.model_fields if getattr(self, name) is not None}
        return RetrievalProfile.model_validate({**base.model_dump(), **overrides})


FILTER_KEYS = {"path": "paths", "ext": "extensions", "tag": "tags", "after": "modified_after", "before": "modified_before"}


def parse_filters(pairs: Iterable[str]) -> Filters:
    """``key=value`` filters from the command line: path, ext, tag (repeatable), after, before
    (dates), pages (``3-7``, ``5-`` or ``5``)."""
    values: dict[str, object] = {}
    repeated: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = (part.strip() for part in pair.partition("="))
        if not sep or key not in {*FILTER_KEYS, "pages"}:
            raise RagkbError(
                f"--filter '{pair}' is not one of path=, ext=, tag=, after=, before=, pages= (e.g. --filter ext=pdf)"
            )
        if key == "pages":
            first, dash, last = value.partition("-")
            try:
                values["page_from"] = int(first) if first else None
                values["page_to"] = (int(last) if last else None) if dash else values["page_from"]
            except ValueError:
                raise RagkbError(f"--filter pages={value}: give a page range like 3-7, 5- or 5") from None
        elif FILTER_KEYS[key] in {"paths", "extensions", "tags"}:
            repeated.setdefault(FILTER_KEYS[key], []).append(value)
        else:
            values[FILTER_KEYS[key]] = value
    return Filters.model_validate({**values, **repeated})
