"""The FastAPI application: routers, auth, CORS, request guards, error bodies, and the web UI at ``/``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.routing import Route

from ragkb import __version__
from ragkb.config import Settings
from ragkb.extras import installed
from ragkb.server import docs, errors
from ragkb.server.deps import AppState
from ragkb.server.guards import BodyLimit, NoFraming, OriginGuard
from ragkb.server.jobs import JobManager
from ragkb.server.keys import KeyStore
from ragkb.server.metrics import Metrics, RequestMetrics, metrics_router
from ragkb.server.routers import agent, answers, files, kbs, models_api, openai_compat, pages, personas
from ragkb.server.uploads import adopt_legacy_uploads

if TYPE_CHECKING:
    from ragkb.server.mcp_server import McpEndpoint

WEB_FOLDER = Path(__file__).resolve().parent.parent / "web"
KEEP_ALIVE_S = 75
"""How long ``ragkb serve`` keeps an idle connection open for its next request. With uvicorn's 5 s,
a server that got no CPU for longer than that (an overloaded machine) reset connections whose next
request had arrived meanwhile, however briefly they had been idle (bench/RESULTS.md, "Server under load").
Clients close idle connections themselves before this (httpx after 5 s)."""


def mcp_endpoint(settings: Settings) -> McpEndpoint | None:
    """``/mcp`` (server/mcp_server.py), when the ``mcp`` extra is installed."""
    if not installed("mcp"):
        return None
    from ragkb.server.mcp_server import McpEndpoint

    return McpEndpoint(settings)


def create_app(settings: Settings | None = None, *, allow_no_auth: bool = False, metrics: bool = False) -> FastAPI:
    """The app for one ragkb home. ``allow_no_auth`` lets non-loopback clients in when no API key
    exists (``ragkb serve --allow-no-auth``); ``metrics`` serves Prometheus metrics at ``/metrics``."""
    settings = settings or Settings()
    observed = Metrics() if metrics else None

    mcp = mcp_endpoint(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        adopt_legacy_uploads(settings)  # before the first upload lands in the new per-KB folders
        async with mcp.running() if mcp else nullcontext():
            yield
        app.state.ragkb.jobs.stop()

    app = FastAPI(
        title="ragkb",
        version=__version__,
        description="Knowledge-base question answering with cited sources. See docs/api.md.",
        lifespan=lifespan,
        docs_url=None,  # docs.install serves Swagger UI from the package instead of a CDN
        redoc_url=None,
    )
    app.state.ragkb = AppState(
        settings=settings,
        keys=KeyStore.for_settings(settings),
        jobs=JobManager(settings, on_done=observed.ingested if observed else None),
        allow_no_auth=allow_no_auth,
        metrics=observed,
    )
    errors.install(app)
    docs.install(app)
    for module in (kbs, files, answers, openai_compat, models_api):
        app.include_router(module.router)
    app.include_router(models_api.cohere_v2)
    if mcp is not None:  # the Model Context Protocol, streamable HTTP
        app.router.routes.append(Route("/mcp", mcp, include_in_schema=False))
    app.include_router(personas.router)
    app.include_router(pages.router)
    app.include_router(agent.router)
    if observed is not None:
        app.include_router(metrics_router(observed))
    # Each add_middleware wraps the ones before it: a request meets NoFraming, CatchAll, CORS, OriginGuard, BodyLimit.
    app.add_middleware(BodyLimit, max_upload_mb=settings.max_upload_mb)
    app.add_middleware(OriginGuard, allowed_origins=settings.cors_origin_list, allowed_hosts=settings.allowed_host_list)
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(errors.CatchAll)
    app.add_middleware(NoFraming)
    if observed is not None:  # outermost: it sees every request and the status it ends with
        app.add_middleware(RequestMetrics, metrics=observed)
    if WEB_FOLDER.is_dir():
        app.mount("/", StaticFiles(directory=WEB_FOLDER, html=True), name="web")
    return app
