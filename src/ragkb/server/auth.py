"""Who is calling: a bearer API key, or — when no key is configured — a loopback client.

A key may use only the knowledge bases it was given (403 for others); a missing or unknown key is
401. With no key configured the server answers loopback clients only, unless it was started with
``--allow-no-auth``.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ragkb.config import Settings
from ragkb.errors import RagkbError
from ragkb.kb import KnowledgeBase
from ragkb.server.deps import app_state
from ragkb.server.keys import ApiKey, KeyStore

LOCAL = ApiKey(name="(local)", kbs=None)
"""The caller when no key is configured: loopback clients may use everything."""

bearer = HTTPBearer(auto_error=False, description="an API key from: ragkb keys create NAME --kb KB")


def is_loopback(host: str | None) -> bool:
    """Whether an address (or the name localhost) is this machine's loopback."""
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, settings: Settings, *, allow_no_auth: bool) -> None:
    """The bind policy: a server that other machines can reach needs API keys, unless the user said
    ``--allow-no-auth``. (:func:`authenticate` holds the same line per request: without keys only
    loopback clients are answered.)"""
    if is_loopback(host) or allow_no_auth or KeyStore.for_settings(settings).configured():
        return
    raise RagkbError(
        f"refusing to serve {host} without API keys; create one (ragkb keys create NAME --all-kbs) or pass --allow-no-auth"
    )


def authenticate(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> ApiKey:
    state = app_state(request)
    if not state.keys.configured():
        if state.allow_no_auth or is_loopback(request.client.host if request.client else None):
            return LOCAL
        raise HTTPException(403, "this server has no API keys and answers local clients only; create one with: ragkb keys create")
    if credentials is None:
        raise HTTPException(401, "missing API key; send the header Authorization: Bearer <key>", {"WWW-Authenticate": "Bearer"})
    key = state.keys.verify(credentials.credentials)
    if key is None:
        raise HTTPException(
            401, "unknown or revoked API key; ask for a new one (ragkb keys create)", {"WWW-Authenticate": "Bearer"}
        )
    return key


Caller = Annotated[ApiKey, Depends(authenticate)]


def require_kb(caller: ApiKey, kb: str) -> None:
    if not caller.allows(kb):
        raise HTTPException(403, f"API key '{caller.name}' may not use knowledge base '{kb}'")


def authorized_kb(kb: Annotated[str, Path(description="knowledge base name")], request: Request, caller: Caller) -> KnowledgeBase:
    """The knowledge base the path names, if the caller may use it (403) and it exists (404)."""
    require_kb(caller, kb)
    return KnowledgeBase.open(kb, settings=app_state(request).settings)


KB = Annotated[KnowledgeBase, Depends(authorized_kb)]
