"""The Model Context Protocol server (the official ``mcp`` SDK): ragkb's knowledge bases as tools
and resources for agents and editors.

Tools: ``list_kbs``; ``search`` (kb, query, k, filters, profile); ``ask`` (an answer with numbered
citations to file, page and section, or URL); ``fetch_chunk`` (a cited passage). Resources: each
indexed file of a knowledge base as the text ragkb read from it, ``ragkb://kb/<kb>/file/<id>``.

``ragkb mcp`` serves them over stdio to the local user, who may use every KB and any generator and
sees paths as they are (like the CLI). ``ragkb serve`` answers them at ``/mcp`` (streamable HTTP,
stateless) under the rules of every other route: an API key (server/auth.py) that sees only its
KBs, the generators HTTP clients may name, and paths as HTTP clients see them (server/paths.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar
from urllib.parse import quote

import anyio.to_thread
from fastapi import HTTPException
from fastapi.requests import Request
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import ListResourcesResult, Resource
from pydantic import Field
from starlette.types import Receive, Scope, Send

from ragkb import __version__
from ragkb.answer.stream import final_answer
from ragkb.config import Settings
from ragkb.errors import RagkbError
from ragkb.kb import KnowledgeBase
from ragkb.profiles import MAX_HITS, Filters, SearchOptions
from ragkb.server import asking
from ragkb.server.auth import LOCAL, authenticate, bearer
from ragkb.server.errors import send_error
from ragkb.server.keys import ApiKey
from ragkb.server.paths import PublicPaths

CALLER = "ragkb.mcp.caller"
"""The ASGI scope key where ``/mcp`` leaves the API key a request was authenticated with."""
FILE_URI = "ragkb://kb/{kb}/file/{file_id}"
INSTRUCTIONS = (
    "ragkb answers questions from knowledge bases of documents (Chinese and English) with citations to "
    "file, page and section. Call list_kbs first; search returns passages, ask returns a cited answer "
    "(quote its [n] citations), fetch_chunk returns a cited passage by its chunk_id."
)

T = TypeVar("T", bound=Callable[..., Any])


class Access:
    """Who asks, and how paths look to them: a local user over stdio, or an API key over HTTP."""

    def __init__(self, caller: ApiKey, over_http: bool, settings: Settings):
        self.caller, self.over_http, self.settings = caller, over_http, settings

    @classmethod
    def of(cls, request: Any, settings: Settings) -> Access:
        """From a message's HTTP request (``None`` over stdio)."""
        if request is None:
            return cls(LOCAL, False, settings)
        return cls(request.scope[CALLER], True, settings)

    def kb(self, name: str) -> KnowledgeBase:
        if not self.caller.allows(name):
            raise ToolError(f"API key '{self.caller.name}' may not use knowledge base '{name}'")
        return KnowledgeBase.open(name, settings=self.settings)

    def kbs(self) -> list[KnowledgeBase]:
        return [kb for kb in KnowledgeBase.list(settings=self.settings) if self.caller.allows(kb.name)]

    def shown(self, kb: KnowledgeBase, body: dict) -> dict:
        """``body`` with the server's folders hidden from an HTTP client."""
        return PublicPaths.of(kb).body(body) if self.over_http else body

    def generator(self, spec: str | None) -> str:
        if not self.over_http:
            return spec or self.settings.generator
        try:
            return asking.check_generator(spec, self.settings.generator)
        except HTTPException as error:
            raise ToolError(str(error.detail)) from None


def _one_line_errors(tool: T) -> T:
    """A ragkb error (unknown KB, bad filter, unreachable model) as the tool's one-line error."""

    @functools.wraps(tool)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return tool(*args, **kwargs)
        except RagkbError as error:
            raise ToolError(str(error)) from None

    return wrapped  # type: ignore[return-value]


def file_uri(kb: str, file_id: int) -> str:
    return FILE_URI.format(kb=quote(kb, safe=""), file_id=file_id)


def file_resources(access: Access) -> list[Resource]:
    """Every indexed file of the KBs the caller may use."""
    return [
        Resource(
            uri=file_uri(kb.name, info.id),
            name=info.name,
            title=f"{info.name} ({kb.name})",
            description=f"{access.shown(kb, {'path': info.path})['path']} in knowledge base '{kb.name}': {info.chunks} chunks, "
            "the text ragkb read from it",
            mime_type="text/markdown",
        )
        for kb in access.kbs()
        for info in kb.files()
        if info.status == "indexed"
    ]


def build_server(settings: Settings) -> MCPServer:
    """The tools and resources over ``settings``' knowledge bases, for any transport."""
    # WARNING: the SDK sets the root logger's level, and at INFO a client would see every catalog open on stderr
    server: MCPServer = MCPServer("ragkb", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")

    def access(ctx: Context) -> Access:
        return Access.of(ctx.request_context.request, settings)

    @server.tool(title="List knowledge bases")
    @_one_line_errors
    def list_kbs(ctx: Context) -> list[dict[str, Any]]:
        """The knowledge bases you may search: name, description, files and chunks."""
        return [
            {"name": info.name, "description": info.description, "files": info.files, "chunks": info.chunks}
            for info in (kb.info() for kb in access(ctx).kbs())
        ]

    @server.tool(title="Search a knowledge base")
    @_one_line_errors
    def search(
        kb: str,
        query: str,
        ctx: Context,
        k: int = Field(5, ge=1, le=MAX_HITS, description="number of passages"),
        filters: Filters | None = None,
        profile: str | None = Field(None, description="retrieval profile: default, fast, accurate or the KB's own"),
    ) -> dict[str, Any]:
        """The k passages of a knowledge base that best match the query, each with its chunk_id, file,
        page, section and score (plus web pages when the profile searches the web)."""
        who = access(ctx)
        base = who.kb(kb)
        result = base.retrieve(query, SearchOptions(k=k, filters=filters or Filters(), profile=profile))
        hits = [hit.model_dump(mode="json", exclude={"scores", "url"}) for hit in result.hits]
        web = [page.model_dump(mode="json") for page in result.web]
        return who.shown(base, {"hits": hits, "web": web, "notes": result.notes})

    @server.tool(title="Ask a knowledge base")
    @_one_line_errors
    def ask(
        kb: str,
        question: str,
        ctx: Context,
        k: int = Field(6, ge=1, le=50, description="passages retrieved"),
        filters: Filters | None = None,
        profile: str | None = None,
        generator: str | None = Field(None, description="extractive (quotes the sources), llamacpp:smollm2, ollama:M, …"),
    ) -> dict[str, Any]:
        """An answer from a knowledge base with numbered citations: each [n] in the answer is
        citations[n-1]'s file, page, section and quote (or web page). A refusal means the
        knowledge base does not hold the answer."""
        who = access(ctx)
        base = who.kb(kb)
        options = SearchOptions(filters=filters or Filters(), profile=profile)
        answer = final_answer(asking.answer_events(base, question, generator=who.generator(generator), k=k, options=options))
        citations = [citation.model_dump(mode="json", exclude={"cell"}) for citation in answer.citations]
        body = {"answer": answer.answer, "citations": citations, "refused": answer.refused, "generator": answer.generator}
        return who.shown(base, {**body, "notes": answer.notes})

    @server.tool(title="Fetch a cited passage")
    @_one_line_errors
    def fetch_chunk(kb: str, chunk_id: int, ctx: Context) -> dict[str, Any]:
        """One passage of a knowledge base by the chunk_id of a search hit or citation."""
        who = access(ctx)
        base = who.kb(kb)
        hit = base.chunk(chunk_id)
        if hit is None:
            raise ToolError(f"knowledge base '{kb}' has no chunk {chunk_id}; it may have been re-indexed, search again")
        return who.shown(base, hit.model_dump(mode="json", exclude={"score", "scores", "url"}))

    @server.resource(FILE_URI, name="file", description="a file of a knowledge base, as the text ragkb read from it")
    def read_file(kb: str, file_id: str, ctx: Context) -> str:
        try:
            text = access(ctx).kb(kb).file_text(int(file_id))
        except (RagkbError, ToolError, ValueError) as error:
            raise ResourceError(str(error)) from None
        if text is None:
            raise ResourceError(f"knowledge base '{kb}' has no file {file_id}")
        return text

    async def list_files(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        """``resources/list``: the files of the caller's KBs, read when asked (they change)."""
        if ctx.method != "resources/list":
            return await call_next(ctx)
        who = Access.of(ctx.request, settings)
        return ListResourcesResult(resources=await anyio.to_thread.run_sync(file_resources, who))

    server.middleware.append(list_files)
    return server


class McpEndpoint:
    """``/mcp`` of ``ragkb serve``: the API key check every route has, then the SDK's streamable
    HTTP transport (stateless: each request stands alone, so each is authenticated)."""

    def __init__(self, settings: Settings):
        self.server = build_server(settings)
        # ragkb's own guards (server/guards.py) check Host and Origin for the whole app
        self.server.streamable_http_app(
            stateless_http=True, transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False)
        )

    def running(self) -> AbstractAsyncContextManager[None]:
        """The transport's task group, for the app's lifespan."""
        return self.server.session_manager.run()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        try:
            scope[CALLER] = authenticate(request, await bearer(request))
        except HTTPException as error:
            await send_error(scope, receive, send, error.status_code, str(error.detail))
            return
        await self.server.session_manager.handle_request(scope, receive, send)
