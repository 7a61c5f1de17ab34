"""OpenAI-compatible endpoints, so OpenAI clients and tools can talk to ragkb.

``model: "kb:<name>"`` answers with RAG over that knowledge base (earlier messages are the
history); the citations are ``[n]`` markers in the text and an extra ``citations`` field. A raw
generator name (``llamacpp:smollm2``, ``ollama:M``, ``openai:M``) chats without retrieval.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Generator

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ragkb.answer.stream import AnswerEvent, FinalEvent, TokenEvent, final_answer
from ragkb.answer.table_cells import sources_text
from ragkb.config import MAX_PERSONA_PROMPT, Persona
from ragkb.kb import KnowledgeBase
from ragkb.llms import create_generator, estimate_tokens
from ragkb.models import Answer
from ragkb.server import asking
from ragkb.server.auth import Caller, authorized_kb
from ragkb.server.deps import app_state
from ragkb.server.errors import ERROR_RESPONSES
from ragkb.server.metrics import metrics_of
from ragkb.server.paths import PublicPaths
from ragkb.server.schemas import PersonaIn

router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"], responses=ERROR_RESPONSES)

KB_PREFIX = "kb:"
DEFAULT_MAX_TOKENS = 512


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):  # content parts: keep the text ones
            return "".join(part.get("text", "") for part in self.content if part.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # top_p, n, user, … are accepted and ignored
    model: str = Field(description="kb:<name> for answers from that knowledge base, or a generator")
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = Field(None, ge=1, le=8192)
    temperature: float | None = Field(None, ge=0, le=2)
    persona: PersonaIn | None = Field(
        None, description="kb:<name> only: these fields replace the KB persona's; system messages give its prompt"
    )


def request_persona(body: ChatRequest) -> Persona | None:
    """A RAG chat's persona: its system (or developer) messages as the instructions, then the
    fields of its ``persona``; ``None`` when it has neither (the KB's persona as it is)."""
    system = "\n\n".join(m.text.strip() for m in body.messages if m.role in ("system", "developer") and m.text.strip())
    changes = {"prompt": system[:MAX_PERSONA_PROMPT]} if system else {}
    changes.update(body.persona.model_dump(exclude_unset=True) if body.persona else {})
    return Persona.model_validate(changes) if changes else None


def _model(model_id: str) -> dict:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "ragkb"}


@router.get("/models")
def list_models(request: Request, caller: Caller) -> dict:
    """One model per knowledge base the key may use (``kb:<name>``), then the raw generators."""
    state = app_state(request)
    kbs = [kb.name for kb in KnowledgeBase.list(settings=state.settings) if caller.allows(kb.name)]
    ids = [KB_PREFIX + name for name in kbs] + asking.offered_generators(state.settings.generator)
    return {"object": "list", "data": [_model(model_id) for model_id in ids]}


def _completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex


def _chunk(completion_id: str, model: str, delta: dict, finish: str | None = None, **extra) -> str:
    body = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(body, ensure_ascii=False, default=str)}\n\n"


def _error_event(message: str) -> str:
    return f"data: {json.dumps({'error': {'message': message, 'type': 'ragkb_error'}}, ensure_ascii=False)}\n\n"


def _completion(model: str, text: str, prompt: str, **extra) -> dict:
    prompt_tokens, completion_tokens = estimate_tokens(prompt), estimate_tokens(text)
    return {
        "id": _completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        **extra,
    }


@router.post("/chat/completions", response_model=None, responses={200: {"content": {"text/event-stream": {}}}})
def chat_completions(body: ChatRequest, request: Request, caller: Caller) -> dict | StreamingResponse:
    """A chat completion; ``stream: true`` gives ``chat.completion.chunk`` events and ``data: [DONE]``."""
    if body.model.startswith(KB_PREFIX):
        return _rag_chat(body, request, caller)
    return _raw_chat(body, request)


def _rag_chat(body: ChatRequest, request: Request, caller: Caller) -> dict | StreamingResponse:
    kb = authorized_kb(body.model.removeprefix(KB_PREFIX), request, caller)
    *earlier, last = body.messages
    if last.role != "user" or not last.text.strip():
        raise HTTPException(400, "the last message must be the user's question (role 'user' with text)")
    history = [{"role": m.role, "content": m.text} for m in earlier if m.role in ("user", "assistant") and m.text]
    generator = app_state(request).settings.generator
    paths = PublicPaths.of(kb)
    persona = request_persona(body)

    def events() -> Generator[AnswerEvent, None, None]:
        return asking.answer_events(
            kb, last.text, generator=generator, history=history, persona=persona, metrics=metrics_of(request)
        )

    def citations(answer: Answer) -> list[dict]:
        return paths.body([c.model_dump(mode="json") for c in answer.citations])

    if not body.stream:
        answer = final_answer(events())
        text = "\n\n".join(part for part in (answer.answer, sources_text(answer)) if part)
        return _completion(body.model, text, last.text, citations=citations(answer), cached=answer.cached)

    async def chunks() -> AsyncIterator[str]:
        completion_id = _completion_id()
        yield _chunk(completion_id, body.model, {"role": "assistant", "content": ""})
        async for event in asking.in_thread(events):
            if isinstance(event, TokenEvent):
                yield _chunk(completion_id, body.model, {"content": event.text})
            elif isinstance(event, FinalEvent):
                if event.replaces_stream:  # like the CLI, the quoted sources follow the model's uncited answer
                    yield _chunk(completion_id, body.model, {"content": "\n\n" + event.answer.answer})
                if sources_text(event.answer):  # the table cells a computed answer used
                    yield _chunk(completion_id, body.model, {"content": "\n\n" + sources_text(event.answer)})
                yield _chunk(completion_id, body.model, {}, "stop", citations=citations(event.answer), cached=event.answer.cached)
            elif isinstance(event, asking.StreamError):
                yield _error_event(paths.text(event.detail))
        yield "data: [DONE]\n\n"

    return StreamingResponse(chunks(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _raw_chat(body: ChatRequest, request: Request) -> dict | StreamingResponse:
    settings = app_state(request).settings
    spec = asking.check_generator(body.model, settings.generator)
    generator = create_generator(spec, settings)
    if generator is None:
        raise HTTPException(400, f"model '{spec}' answers only from a knowledge base; use model kb:<name> (see GET /v1/models)")
    messages = [{"role": m.role, "content": m.text} for m in body.messages]
    max_tokens, temperature = body.max_tokens or DEFAULT_MAX_TOKENS, body.temperature or 0.1
    prompt = "\n".join(m["content"] for m in messages)

    def generate() -> Generator[TokenEvent, None, None]:
        with asking.generation_slot(spec):
            for piece in generator.stream(messages, max_tokens=max_tokens, temperature=temperature):
                yield TokenEvent(text=piece)

    if not body.stream:
        return _completion(body.model, "".join(event.text for event in generate()).strip(), prompt)

    async def chunks() -> AsyncIterator[str]:
        completion_id = _completion_id()
        yield _chunk(completion_id, body.model, {"role": "assistant", "content": ""})
        async for event in asking.in_thread(generate):
            if isinstance(event, TokenEvent):
                yield _chunk(completion_id, body.model, {"content": event.text})
            else:
                yield _error_event(PublicPaths(settings.home).text(event.detail))
        yield _chunk(completion_id, body.model, {}, "stop")
        yield "data: [DONE]\n\n"

    return StreamingResponse(chunks(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
