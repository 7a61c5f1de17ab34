"""The OpenAI-compatible endpoints, driven by the official ``openai`` client against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import openai
import pytest
from llm_servers import chat_server
from server_live import live_server
from support import write

from ragkb.config import DEFAULT_EMBEDDER, KBSettings, Settings
from ragkb.kb import KnowledgeBase

LEAVE = (
    "# Leave\n\nAnnual leave is 25 days per calendar year.\n\n## Abroad\n\nStaff posted abroad get 30 days of leave per year.\n"
)
QUESTION = "What is the annual leave per calendar year?"


@pytest.fixture
def leave_kb(settings: Settings, tmp_path: Path) -> Settings:
    kb = KnowledgeBase.create("notes", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add([write(tmp_path / "leave.md", LEAVE)])
    return settings


@pytest.fixture
def client(leave_kb: Settings) -> Iterator[openai.OpenAI]:
    with live_server(leave_kb) as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key="unused-on-loopback", max_retries=0)


def stream_text(client: openai.OpenAI, **request) -> tuple[str, list]:
    chunks = list(client.chat.completions.create(stream=True, **request))
    return "".join(chunk.choices[0].delta.content or "" for chunk in chunks), chunks


def test_models_list_knowledge_bases_and_generators(client: openai.OpenAI) -> None:
    ids = [model.id for model in client.models.list()]
    assert ids[0] == "kb:notes" and {"extractive", "llamacpp:smollm2", "llamacpp:gemma3"} <= set(ids)


def test_chat_completions_answer_from_the_knowledge_base_with_citations(client: openai.OpenAI) -> None:
    request = {"model": "kb:notes", "messages": [{"role": "user", "content": QUESTION}]}
    completion = client.chat.completions.create(**request)
    content = completion.choices[0].message.content
    assert "25 days" in content and "[1]" in content and completion.choices[0].finish_reason == "stop"
    assert completion.citations[0]["number"] == 1 and completion.citations[0]["file"].endswith("leave.md")
    assert completion.usage.total_tokens > completion.usage.completion_tokens > 0

    streamed, chunks = stream_text(client, **request)
    assert streamed == content
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].citations == completion.citations


def test_earlier_messages_are_the_history(client: openai.OpenAI) -> None:
    messages = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "Annual leave is 25 days per calendar year. [1]"},
        {"role": "user", "content": [{"type": "text", "text": "And for staff posted abroad?"}]},
    ]
    content = client.chat.completions.create(model="kb:notes", messages=messages).choices[0].message.content
    assert "30 days" in content


def test_errors_are_openai_errors_with_one_line(client: openai.OpenAI) -> None:
    question = [{"role": "user", "content": QUESTION}]
    with pytest.raises(openai.NotFoundError, match="knowledge base 'nope' does not exist"):
        client.chat.completions.create(model="kb:nope", messages=question)
    with pytest.raises(openai.BadRequestError, match="answers only from a knowledge base"):
        client.chat.completions.create(model="extractive", messages=question)
    with pytest.raises(openai.BadRequestError, match="is not served"):
        client.chat.completions.create(model="llamacpp:/tmp/model.gguf", messages=question)
    with pytest.raises(openai.BadRequestError, match="last message must be the user's question"):
        client.chat.completions.create(model="kb:notes", messages=[{"role": "assistant", "content": "hello"}])
    with pytest.raises(openai.UnprocessableEntityError, match="messages"):
        client.chat.completions.create(model="kb:notes", messages=[])


def test_raw_generators_chat_without_retrieval(leave_kb: Settings) -> None:
    with chat_server("Hello there, traveller.") as (llm_url, requests):
        settings = leave_kb.model_copy(update={"openai_base_url": f"{llm_url}/v1"})
        with live_server(settings) as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
            request = {"model": "openai:stand-in", "messages": [{"role": "user", "content": "Say hello"}], "max_tokens": 20}
            completion = client.chat.completions.create(**request)
            assert completion.choices[0].message.content == "Hello there, traveller."
            assert stream_text(client, **request)[0] == "Hello there, traveller."
    assert requests[0]["body"]["messages"] == [{"role": "user", "content": "Say hello"}]
    assert requests[0]["body"]["model"] == "stand-in" and requests[0]["body"]["max_tokens"] == 20


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Annual leave is 25 days per calendar year [1].", "Annual leave is 25 days per calendar year [1]."),
        # An answer that cites nothing: the quoted sources follow it (non-stream: replace it).
        ("I like turtles.", "Annual leave is 25 days per calendar year. [1]"),
    ],
)
def test_llm_answers_stream_into_the_final_cited_text(leave_kb: Settings, reply: str, expected: str) -> None:
    with chat_server(reply) as (llm_url, _requests):
        # no answer cache: it would answer the streamed request with the first one's answer, the quoted sources alone
        update = {"openai_base_url": f"{llm_url}/v1", "generator": "openai:stand-in", "answer_cache": False}
        with live_server(leave_kb.model_copy(update=update)) as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
            request = {"model": "kb:notes", "messages": [{"role": "user", "content": QUESTION}]}
            completion = client.chat.completions.create(**request)
            streamed, chunks = stream_text(client, **request)
    assert completion.choices[0].message.content == expected
    assert completion.citations[0]["quote"] == "Annual leave is 25 days per calendar year."
    assert streamed == expected if reply.endswith("[1].") else streamed == f"{reply}\n\n{expected}"
    assert chunks[-1].citations == completion.citations


def test_embeddings_from_a_knowledge_base_or_an_embedder(settings: Settings, tmp_path: Path) -> None:
    """The one test here that loads the bundled MiniLM."""
    KnowledgeBase.create("mini", settings=settings, kb_settings=KBSettings(embedder=DEFAULT_EMBEDDER))
    KnowledgeBase.create("sparse", kb_settings=KBSettings(embedder="none"), settings=settings)
    with live_server(settings) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
        by_kb = client.embeddings.create(model="kb:mini", input=["annual leave", "salary payment"])
        by_spec = client.embeddings.create(model=DEFAULT_EMBEDDER, input="annual leave")
        vectors = np.array([item.embedding for item in by_kb.data])
        assert vectors.shape == (2, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
        assert np.allclose(by_spec.data[0].embedding, vectors[0], atol=1e-5)
        assert [item.index for item in by_kb.data] == [0, 1] and by_kb.usage.prompt_tokens > 0
        with pytest.raises(openai.BadRequestError, match="has no embedder"):
            client.embeddings.create(model="kb:sparse", input="x")
        with pytest.raises(openai.BadRequestError, match="is not served"):
            client.embeddings.create(model="sentence-transformers:/etc", input="x")
