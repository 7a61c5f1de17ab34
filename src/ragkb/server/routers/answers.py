"""Search, ask (JSON or Server-Sent Events), chunk lookup for citations, and chat sessions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import StreamingResponse

from ragkb.server import asking
from ragkb.server.auth import KB
from ragkb.server.deps import app_state
from ragkb.server.errors import ERROR_RESPONSES
from ragkb.server.paths import PublicPaths
from ragkb.server.schemas import AnswerOut, AskRequest, ChunkId, ChunkOut, SearchOut, SearchRequest, SessionOut, SessionSummary

router = APIRouter(prefix="/api/kbs/{kb}", tags=["search and answers"], responses=ERROR_RESPONSES)


def sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


@router.post("/search", response_model=SearchOut)
def search(kb: KB, body: SearchRequest, request: Request) -> dict:
    """The k best chunks for the query, ranked as the profile and this request's overrides say."""
    options = body.options()
    if options.generator is not None:  # used by multi-query, HyDE and the LLM reranker
        asking.check_generator(options.generator, app_state(request).settings.generator)
    return PublicPaths.of(kb).body(kb.retrieve(body.query, options).to_dict())


@router.post(
    "/ask",
    response_model=AnswerOut,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Answer, or with stream: meta, token…, answer"}},
)
def ask(kb: KB, body: AskRequest, request: Request) -> dict | StreamingResponse:
    """Answer from the knowledge base with numbered citations; with `session` the turn is stored."""
    generator = asking.check_generator(body.generator, app_state(request).settings.generator)
    paths = PublicPaths.of(kb)

    def work(on_token=None, on_query=None):
        return asking.answer(
            kb,
            body.question,
            generator=generator,
            k=body.k,
            options=body.options(),
            session=body.session,
            on_token=on_token,
            on_query=on_query,
        )

    if not body.stream:
        return paths.body(work().to_dict())

    async def events() -> AsyncIterator[str]:
        async for kind, value in asking.stream_events(work):
            if kind == "query":
                yield sse("meta", {"query": value, "session": body.session})
            elif kind == "token":
                yield sse("token", {"text": value})
            elif kind == "answer":
                yield sse("answer", paths.body(value.to_dict()))
            else:
                yield sse("error", paths.body({"detail": value}))

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.get("/chunks/{chunk_id}", response_model=ChunkOut)
def chunk(kb: KB, chunk_id: ChunkId) -> dict:
    """A chunk's full text and place (file, page, section, offsets): the passage behind a citation."""
    hit = kb.chunk(chunk_id)
    if hit is None:
        raise HTTPException(404, f"knowledge base '{kb.name}' has no chunk {chunk_id}; it may have been re-indexed")
    return PublicPaths.of(kb).body(hit.to_dict())


@router.get("/sessions", response_model=list[SessionSummary])
def list_sessions(kb: KB) -> list[dict]:
    """Stored conversations, most recent first."""
    return kb.sessions()


@router.get("/sessions/{name:path}", response_model=SessionOut)
def read_session(kb: KB, name: str) -> dict:
    """A conversation's messages. ``{name:path}``: sessions named before names were checked may hold '/'."""
    messages = kb.session_messages(name)
    if messages is None:
        raise HTTPException(404, f"knowledge base '{kb.name}' has no session '{name}'")
    return {"name": name, "messages": PublicPaths.of(kb).body(messages)}


@router.delete("/sessions/{name:path}", status_code=204, response_class=Response)
def delete_session(kb: KB, name: str) -> Response:
    if not kb.delete_session(name):
        raise HTTPException(404, f"knowledge base '{kb.name}' has no session '{name}'")
    return Response(status_code=204)
