"""Search, ask (JSON or Server-Sent Events), chunk lookup for citations, and chat sessions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Generator
from contextlib import nullcontext

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import StreamingResponse

from ragkb.answer.stream import AnswerEvent, FinalEvent, QueryEvent, TokenEvent, final_answer
from ragkb.models import Answer, Passage, SearchResult, Session, SessionSummary
from ragkb.server import asking
from ragkb.server.auth import KB
from ragkb.server.deps import app_state
from ragkb.server.errors import ERROR_RESPONSES
from ragkb.server.metrics import metrics_of
from ragkb.server.paths import PublicPaths
from ragkb.server.schemas import AskRequest, ChunkId, SearchRequest

router = APIRouter(prefix="/api/kbs/{kb}", tags=["search and answers"], responses=ERROR_RESPONSES)


def sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def sse_event(event: AnswerEvent | asking.StreamError, session: str | None, paths: PublicPaths) -> str:
    """An answer's event as Server-Sent Events: meta (the query searched), token, answer or error."""
    if isinstance(event, QueryEvent):
        return sse("meta", {"query": event.query, "session": session})
    if isinstance(event, TokenEvent):
        return sse("token", {"text": event.text})
    if isinstance(event, FinalEvent):
        return sse("answer", paths.body(event.answer.model_dump(mode="json")))
    return sse("error", paths.body({"detail": event.detail}))


@router.post("/search", response_model=SearchResult)
def search(kb: KB, body: SearchRequest, request: Request) -> dict:
    """The k best chunks for the query, ranked as the profile and this request's overrides say."""
    options = body.options()
    if options.generator is not None:  # used by multi-query, HyDE and the LLM reranker
        asking.check_generator(options.generator, app_state(request).settings.generator)
    metrics = metrics_of(request)
    with metrics.searching() if metrics else nullcontext():
        result = kb.retrieve(body.query, options)
    return PublicPaths.of(kb).body(result.model_dump(mode="json"))


@router.post(
    "/ask",
    response_model=Answer,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Answer, or with stream: meta, token…, answer"}},
)
def ask(kb: KB, body: AskRequest, request: Request) -> dict | StreamingResponse:
    """Answer from the knowledge base with numbered citations; with `session` the turn is stored (a stopped one
    with its text so far), with `regenerate` too in place of the session's last turn."""
    generator = asking.check_generator(body.generator, app_state(request).settings.generator)
    paths = PublicPaths.of(kb)

    def events() -> Generator[AnswerEvent, None, None]:
        return asking.answer_events(
            kb,
            body.question,
            generator=generator,
            k=body.k,
            options=body.options(),
            session=body.session,
            regenerate=body.regenerate,
            persona=body.persona,
            metrics=metrics_of(request),
        )

    if not body.stream:
        return paths.body(final_answer(events()).model_dump(mode="json"))

    async def stream() -> AsyncIterator[str]:
        async for event in asking.in_thread(events):
            yield sse_event(event, body.session, paths)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.get("/chunks/{chunk_id}", response_model=Passage)
def chunk(kb: KB, chunk_id: ChunkId) -> dict:
    """A chunk's full text and place (file, page, section, offsets): the passage behind a citation."""
    hit = kb.chunk(chunk_id)
    if hit is None:
        raise HTTPException(404, f"knowledge base '{kb.name}' has no chunk {chunk_id}; it may have been re-indexed")
    return PublicPaths.of(kb).body(hit.model_dump(mode="json"))


@router.get("/sessions", response_model=list[SessionSummary])
def list_sessions(kb: KB) -> list[SessionSummary]:
    """Stored conversations, most recent first."""
    return kb.sessions()


@router.get("/sessions/{name:path}", response_model=Session)
def read_session(kb: KB, name: str) -> dict:
    """A conversation's messages. ``{name:path}``: sessions named before names were checked may hold '/'."""
    messages = kb.session_messages(name)
    if messages is None:
        raise HTTPException(404, f"knowledge base '{kb.name}' has no session '{name}'")
    return PublicPaths.of(kb).body(Session(name=name, messages=messages).model_dump(mode="json"))


@router.delete("/sessions/{name:path}", status_code=204, response_class=Response)
def delete_session(kb: KB, name: str) -> Response:
    if not kb.delete_session(name):
        raise HTTPException(404, f"knowledge base '{kb.name}' has no session '{name}'")
    return Response(status_code=204)
