"""``/v1/rerank`` and ``/v1/embeddings`` over a real server on 127.0.0.1, driven by real clients: Cohere's
SDK (what LangChain's and LlamaIndex's Cohere rerankers call) for rerank, the ``openai`` package for
embeddings, and plain httpx in Jina's shape."""

from __future__ import annotations

import base64
from pathlib import Path

import cohere
import httpx
import numpy as np
import openai
import pytest
from llm_servers import chat_server
from server_live import live_server
from test_retrieval_features import PRINTER_GOOD, PRINTER_SPAM, cross_encoder  # noqa: F401  (a fixture)

from ragkb.config import DEFAULT_EMBEDDER, KBSettings, Settings
from ragkb.kb import KnowledgeBase
from ragkb.profiles import RetrievalProfile
from ragkb.server.keys import KeyStore

QUERY = "how do I fix a paper jam in the printer"
DOCUMENTS = [PRINTER_SPAM, "The router restarts when you hold its button.", PRINTER_GOOD]


def sparse(name: str, settings: Settings, **profiles: RetrievalProfile) -> KnowledgeBase:
    return KnowledgeBase.create(name, kb_settings=KBSettings(embedder="none", profiles=profiles), settings=settings)


def test_cohere_clients_rerank_with_the_installed_cross_encoder(settings: Settings, cross_encoder: Path) -> None:  # noqa: F811
    (settings.home / "models").mkdir(parents=True)
    (settings.home / "models" / "reranker").symlink_to(cross_encoder)
    with live_server(settings) as url:
        v2 = cohere.ClientV2(api_key="unused-on-loopback", base_url=url)
        ranked = v2.rerank(model="cross-encoder", query=QUERY, documents=DOCUMENTS, top_n=2)
        assert len(ranked.results) == 2 and ranked.results[0].index == 2  # the trained pairs: the real fix first
        scores = [r.relevance_score for r in ranked.results]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
        assert ranked.results[0].document == {"text": PRINTER_GOOD}  # an extra field to v2 (Jina and vLLM send it)

        v1 = cohere.Client(api_key="unused-on-loopback", base_url=url)
        bare = v1.rerank(model="cross-encoder", query=QUERY, documents=[{"text": d} for d in DOCUMENTS], return_documents=False)
        assert bare.results[0].index == 2 and len(bare.results) == 3
        assert bare.results[0].document is None
        assert [r.relevance_score for r in bare.results][:2] == pytest.approx(scores)

        jina = httpx.post(f"{url}/v1/rerank", json={"model": "cross-encoder", "query": QUERY, "documents": DOCUMENTS})
        assert jina.status_code == 200 and jina.json()["model"] == "cross-encoder" and jina.json()["usage"]["total_tokens"] > 0


def test_a_key_may_use_the_rerankers_of_its_knowledge_bases_only(settings: Settings, cross_encoder: Path) -> None:  # noqa: F811
    sparse("mine", settings, sharp=RetrievalProfile(rerank="cross-encoder", reranker_model=str(cross_encoder)))
    sparse("theirs", settings, other=RetrievalProfile(rerank="cross-encoder", reranker_model="/elsewhere/reranker"))
    key = KeyStore.for_settings(settings).create("mine-only", ["mine"])
    with live_server(settings) as url:
        client = cohere.ClientV2(api_key=key, base_url=url)
        ranked = client.rerank(model=f"cross-encoder:{cross_encoder}", query=QUERY, documents=DOCUMENTS)
        assert ranked.results[0].index == 2
        with pytest.raises(cohere.BadRequestError) as refused:
            client.rerank(model="cross-encoder:/elsewhere/reranker", query=QUERY, documents=DOCUMENTS)
        offered = refused.value.body["detail"].split("is not served; use one of: ")[1]
        assert offered == f"cross-encoder:{cross_encoder}, llm:<generator>"  # not the other KB's
        with pytest.raises(cohere.UnauthorizedError):
            cohere.ClientV2(api_key="rkb_wrong", base_url=url).rerank(model="cross-encoder", query=QUERY, documents=DOCUMENTS)


def test_llm_reranker_and_request_errors(settings: Settings) -> None:
    with chat_server("7") as (llm_url, requests):
        served = settings.model_copy(update={"openai_base_url": f"{llm_url}/v1"})
        with live_server(served) as url, httpx.Client(base_url=url) as client:
            ranked = client.post("/v1/rerank", json={"model": "llm:openai:stand-in", "query": QUERY, "documents": DOCUMENTS[:2]})
            assert ranked.status_code == 200, ranked.text
            assert [r["relevance_score"] for r in ranked.json()["results"]] == [0.7, 0.7]
            assert len(requests) == 2 and PRINTER_SPAM in requests[0]["body"]["messages"][0]["content"]

            def refused(body: dict) -> str:
                answer = client.post("/v1/rerank", json={"query": QUERY, "documents": DOCUMENTS, **body})
                assert answer.status_code == 400, answer.text
                return answer.json()["error"]["message"]

            assert "reranker 'cross-encoder' is not served" in refused({}) and "models/reranker" in refused({})
            assert "not served" in refused({"model": "cross-encoder:/etc"})
            assert "is no language model" in refused({"model": "llm:extractive"})
            assert "generator 'llamacpp:/tmp/x.gguf' is not served" in refused({"model": "llm:llamacpp:/tmp/x.gguf"})
            assert "query is empty" in refused({"query": " ", "model": "llm:openai:x"})
            assert "documents is empty" in refused({"documents": [], "model": "llm:openai:x"})
            assert "1001 documents is over the limit of 1000" in refused({"documents": ["x"] * 1001, "model": "llm:openai:x"})
            invalid = client.post("/v1/rerank", json={"query": QUERY, "documents": [{"title": "no text"}]})
            assert invalid.status_code == 422
    assert len(requests) == 2  # no request above reached the model


def test_openai_client_embeddings_as_floats_or_base64(settings: Settings) -> None:
    """Loads the bundled MiniLM."""
    KnowledgeBase.create("mini", settings=settings, kb_settings=KBSettings(embedder=DEFAULT_EMBEDDER))
    sparse("sparse", settings)
    with live_server(settings) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
        packed = client.embeddings.create(model="kb:mini", input=["annual leave", "salary payment"])  # the client asks base64
        floats = client.embeddings.create(model="kb:mini", input=["annual leave", "salary payment"], encoding_format="float")
        vectors = np.array([item.embedding for item in floats.data])
        assert vectors.shape == (2, 384) and np.allclose(np.array([item.embedding for item in packed.data]), vectors, atol=1e-6)
        raw = httpx.post(f"{url}/v1/embeddings", json={"model": "kb:mini", "input": "annual leave", "encoding_format": "base64"})
        decoded = np.frombuffer(base64.b64decode(raw.json()["data"][0]["embedding"]), dtype="<f4")
        assert np.allclose(decoded, vectors[0], atol=1e-6)
        with pytest.raises(openai.BadRequestError, match="384 dimensions"):
            client.embeddings.create(model="kb:mini", input="x", dimensions=256)
        with pytest.raises(openai.BadRequestError, match="has no embedder"):
            client.embeddings.create(model="kb:sparse", input="x")
        with pytest.raises(openai.BadRequestError, match="non-empty"):
            client.embeddings.create(model="kb:mini", input=["ok", " "])
        with pytest.raises(openai.NotFoundError, match="knowledge base 'nope' does not exist"):
            client.embeddings.create(model="kb:nope", input="x")
