"""The installed models as services: ``POST /v1/rerank`` (Cohere, Jina and vLLM's shape) and
``POST /v1/embeddings`` (OpenAI's), under the same API keys as the other ``/v1`` routes.

Rerankers served: ``cross-encoder`` (the installation's, in ``<home>/models/reranker``),
``cross-encoder:<model>`` for each ``reranker_model`` a retrieval profile of a knowledge base the key
may use names, and ``llm:<generator>`` (the LLM rating passages 0–10) for each generator a client may
name. Nothing else: a request cannot make the server load a model from an arbitrary path.
``/v2/rerank`` is the same route, for Cohere's v2 clients.
"""

from __future__ import annotations

import base64
import uuid
from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from ragkb.config import AUTO_EMBEDDER, DEFAULT_EMBEDDER, Settings
from ragkb.index.embedders import Embedder, create_embedder
from ragkb.index.language import detect_language
from ragkb.kb import KnowledgeBase
from ragkb.llms import create_generator, estimate_tokens
from ragkb.profiles import DEFAULT_RERANKER_FOLDER
from ragkb.retrieve.rerank import CrossEncoderReranker, LLMReranker, Reranker, rerank_order
from ragkb.server import asking
from ragkb.server.auth import Caller, authorized_kb
from ragkb.server.deps import app_state
from ragkb.server.errors import ERROR_RESPONSES
from ragkb.server.keys import ApiKey

router = APIRouter(prefix="/v1", tags=["model services"], responses=ERROR_RESPONSES)
cohere_v2 = APIRouter(prefix="/v2", tags=["model services"], responses=ERROR_RESPONSES, include_in_schema=False)
"""``/v2/rerank``: where Cohere's ``ClientV2`` posts."""

KB_PREFIX = "kb:"
CROSS_ENCODER = "cross-encoder"
LLM_PREFIX = "llm:"
MAX_DOCUMENTS = 1000
"""The most documents one rerank request may hold (Cohere's limit too)."""
MAX_INPUTS = 2048
"""The most texts one embeddings request may hold (OpenAI's limit too)."""


class RerankDocument(BaseModel):
    model_config = ConfigDict(extra="allow")  # Cohere keeps a document's other fields; they are not ranked
    text: str


class RerankRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # rank_fields, max_chunks_per_doc, truncation: accepted, ignored
    model: str = Field(CROSS_ENCODER, description="cross-encoder, cross-encoder:<model> or llm:<generator>")
    query: str
    documents: list[str | RerankDocument] = Field(description=f"texts or {{text}} objects, at most {MAX_DOCUMENTS}")
    top_n: int | None = Field(None, ge=1, description="return the best n (None: all, best first)")
    return_documents: bool = Field(True, description="each result repeats its document's text")


class EmbeddingRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # user, … are accepted and ignored
    model: str = Field(description="kb:<name> (that knowledge base's embedder) or an embedder spec")
    input: str | Annotated[list[str], Field(max_length=MAX_INPUTS)] = Field(
        description=f"a text or a list of up to {MAX_INPUTS} texts"
    )
    encoding_format: Literal["float", "base64"] = Field(
        "float", description="float: lists of numbers; base64: little-endian float32 bytes, base64-encoded"
    )
    dimensions: int | None = Field(None, ge=1, description="must be the model's own size when given (no truncation)")


def served_rerankers(settings: Settings, caller: ApiKey) -> dict[str, str]:
    """The cross-encoders this caller may name → where each is loaded from."""
    served: dict[str, str] = {}
    installed = settings.home / DEFAULT_RERANKER_FOLDER
    if installed.exists():
        served[CROSS_ENCODER] = str(installed)
    for kb in KnowledgeBase.list(settings=settings):
        if caller.allows(kb.name):
            for profile in kb.settings.profiles.values():
                if profile.reranker_model:
                    served[f"{CROSS_ENCODER}:{profile.reranker_model}"] = profile.reranker_model
    return served


def _reranker(model: str, query: str, settings: Settings, caller: ApiKey) -> Reranker:
    if model.startswith(LLM_PREFIX):
        spec = asking.check_generator(model.removeprefix(LLM_PREFIX), settings.generator)
        generator = create_generator(spec, settings)
        if generator is None:
            raise HTTPException(400, f"'{spec}' is no language model; name one for llm:, e.g. llm:llamacpp:smollm2")
        return LLMReranker(generator, detect_language(query))
    served = served_rerankers(settings, caller)
    if model not in served:
        names = ", ".join([*sorted(served), "llm:<generator>"])
        install = "" if served else f" (put a sentence-transformers CrossEncoder in {settings.home / DEFAULT_RERANKER_FOLDER})"
        raise HTTPException(400, f"reranker '{model}' is not served; use one of: {names}{install}")
    return CrossEncoderReranker(served[model])


@router.post("/rerank")
@cohere_v2.post("/rerank")
def rerank(body: RerankRequest, request: Request, caller: Caller) -> dict:
    """The documents ordered by how well each answers the query, with a relevance score (0–1)."""
    settings = app_state(request).settings
    texts = [doc if isinstance(doc, str) else doc.text for doc in body.documents]
    if not body.query.strip():
        raise HTTPException(400, "query is empty; send the text to rank the documents against")
    if not texts:
        raise HTTPException(400, "documents is empty; send at least one text to rank")
    if len(texts) > MAX_DOCUMENTS:
        raise HTTPException(400, f"{len(texts)} documents is over the limit of {MAX_DOCUMENTS}; send them in batches")
    reranker = _reranker(body.model, body.query, settings, caller)
    with asking.generation_slot(body.model.removeprefix(LLM_PREFIX)):
        scores = reranker.score(body.query, texts)
    ranked = rerank_order(range(len(texts)), scores)[: body.top_n]
    results = [
        {
            "index": index,
            "relevance_score": score or 0.0,
            **({"document": {"text": texts[index]}} if body.return_documents else {}),
        }
        for index, score in ranked
    ]
    tokens = sum(estimate_tokens(body.query) + estimate_tokens(text) for text in texts)
    return {"id": str(uuid.uuid4()), "model": body.model, "results": results, "usage": {"total_tokens": tokens}}


def _embedder(model: str, request: Request, caller: ApiKey) -> Embedder:
    settings = app_state(request).settings
    if model.startswith(KB_PREFIX):
        kb = authorized_kb(model.removeprefix(KB_PREFIX), request, caller)
        if kb.embedder is None:
            why = "yet (it is chosen at the first add)" if kb.settings.embedder == AUTO_EMBEDDER else "(embedder = none)"
            raise HTTPException(400, f"knowledge base '{kb.name}' has no embedder {why}")
        return kb.embedder.inner
    known = {kb.settings.embedder for kb in KnowledgeBase.list(settings=settings) if caller.allows(kb.name)}
    served = (known | {DEFAULT_EMBEDDER}) - {"none", AUTO_EMBEDDER}
    embedder = None
    if model in served or model.split(":", 1)[0] in ("ollama", "openai"):
        embedder = create_embedder(model, settings)
    if embedder is None:
        raise HTTPException(
            400, f"embedder '{model}' is not served; use kb:<name>, ollama:M, openai:M or one of: {', '.join(sorted(served))}"
        )
    return embedder


def _encode(vector: np.ndarray, encoding: str) -> list[float] | str:
    if encoding == "base64":
        return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")
    return vector.tolist()


@router.post("/embeddings")
def embeddings(body: EmbeddingRequest, request: Request, caller: Caller) -> dict:
    """Vectors from a knowledge base's embedder (``kb:<name>``) or from an embedder spec."""
    texts = [body.input] if isinstance(body.input, str) else body.input
    if not texts or not all(text.strip() for text in texts):
        raise HTTPException(400, "input must be a non-empty text or a list of non-empty texts")
    vectors = _embedder(body.model, request, caller).embed(texts)
    if body.dimensions is not None and body.dimensions != vectors.shape[1]:
        raise HTTPException(400, f"'{body.model}' makes vectors of {vectors.shape[1]} dimensions; leave out dimensions")
    data = [{"object": "embedding", "index": i, "embedding": _encode(v, body.encoding_format)} for i, v in enumerate(vectors)]
    tokens = sum(estimate_tokens(text) for text in texts)
    return {"object": "list", "data": data, "model": body.model, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
