"""Knowledge bases: create, list, show, update settings, delete; and the health check."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ragkb import __version__
from ragkb.kb import KnowledgeBase
from ragkb.models import KBInfo
from ragkb.server.auth import KB, Caller, require_kb
from ragkb.server.deps import app_state
from ragkb.server.errors import ERROR_RESPONSES, error_response
from ragkb.server.schemas import Health, KBCreate, KBUpdate

router = APIRouter(prefix="/api", tags=["knowledge bases"], responses=ERROR_RESPONSES)


@router.get("/health", response_model=Health)
def health() -> dict:
    """Whether the server is up; needs no key."""
    return {"status": "ok", "version": __version__}


@router.get("/kbs", response_model=list[KBInfo])
def list_kbs(request: Request, caller: Caller) -> list[KBInfo]:
    """The knowledge bases this key may use."""
    kbs = KnowledgeBase.list(settings=app_state(request).settings)
    return [kb.info() for kb in kbs if caller.allows(kb.name)]


@router.post("/kbs", response_model=KBInfo, status_code=201, responses={409: error_response("the name is taken")})
def create_kb(body: KBCreate, request: Request, caller: Caller) -> KBInfo:
    require_kb(caller, body.name)
    kb = KnowledgeBase.create(
        body.name, description=body.description, kb_settings=body.settings, settings=app_state(request).settings
    )
    return kb.info()


@router.get("/kbs/{kb}", response_model=KBInfo)
def show_kb(kb: KB) -> KBInfo:
    return kb.info()


@router.patch("/kbs/{kb}", response_model=KBInfo)
def update_kb(kb: KB, body: KBUpdate) -> KBInfo:
    """Change the description or settings; new chunking applies as files are re-indexed."""
    settings = body.settings.model_dump(exclude_unset=True) if body.settings else None
    kb.update(description=body.description, settings=settings)
    return kb.info()


@router.delete("/kbs/{kb}", status_code=204, response_class=Response)
def delete_kb(kb: KB) -> Response:
    """Delete the knowledge base with its files, chunks, sessions and uploaded copies."""
    kb.delete()
    return Response(status_code=204)
