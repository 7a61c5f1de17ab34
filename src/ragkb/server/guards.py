"""What the server checks before a request reaches a route: who may write from a browser, which
Host names it answers to, and how large a request body may be.

Loopback without API keys trusts every local process, but not every web page the user visits:
a page on another origin can still *send* a POST (``fetch(..., {mode: "no-cors"})``, a form), so
state-changing requests from another origin are refused (``Origin``, else ``Sec-Fetch-Site``), and
a Host that is not a loopback name is refused on loopback connections (DNS rebinding: a name the
attacker controls that resolves to 127.0.0.1 would make the page same-origin). Clients that send
neither header (curl, SDKs) are not browsers and pass.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragkb.server.errors import send_error

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = frozenset({"localhost"})
MULTIPART_ALLOWANCE = 64 << 10
"""Bytes a request may hold beyond RAGKB_MAX_UPLOAD_MB: multipart boundaries and part headers."""


def _split_host(value: str, default_port: int | None = None) -> tuple[str, int | None]:
    """``host[:port]`` (``[v6]:port`` too) as a lower-case host without brackets and a port."""
    parts = urlsplit("//" + value)
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), port if port is not None else default_port


def _is_loopback_name(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _same_origin(origin: str, host_header: str) -> bool:
    """Whether ``origin`` (scheme://host[:port]) names the host and port the request was sent to."""
    parts = urlsplit(origin)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    if default is None:
        return False
    try:
        origin_port = parts.port or default
    except ValueError:
        return False
    return (parts.hostname or "", origin_port) == _split_host(host_header, default)


class OriginGuard:
    """Refuses (403) a state-changing request from a browser page of another origin, and any
    request to a loopback connection whose Host is not a loopback name or in ``allowed_hosts``."""

    def __init__(self, app: ASGIApp, *, allowed_origins: list[str], allowed_hosts: list[str]) -> None:
        self.app = app
        self.allowed_origins = {origin.rstrip("/").lower() for origin in allowed_origins}
        self.allowed_hosts = {host.lower() for host in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self.refusal(scope)
            if refusal:
                await send_error(scope, receive, send, 403, refusal)
                return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> str | None:
        """Why the request is refused, or None."""
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        server = scope.get("server") or ("", None)
        if host and _is_loopback_name(str(server[0])):
            name, _ = _split_host(host)
            if not _is_loopback_name(name) and name not in self.allowed_hosts:
                return (
                    f"Host '{host}' is not a name of this server (it answers 127.0.0.1, localhost and [::1] only, "
                    "against DNS rebinding); if you reach ragkb by that name, add it to RAGKB_ALLOWED_HOSTS"
                )
        if scope["method"] not in STATE_CHANGING:
            return None
        origin = headers.get("origin")
        if origin is not None:
            if origin.rstrip("/").lower() in self.allowed_origins or _same_origin(origin, host):
                return None
            return (
                f"a {scope['method']} from a page of another origin ({origin}) is refused; to let pages of that origin "
                "change knowledge bases, add it to RAGKB_CORS_ORIGINS"
            )
        site = headers.get("sec-fetch-site", "")
        if site in ("cross-site", "same-site"):
            return (
                f"a {scope['method']} from a page of another site (Sec-Fetch-Site: {site}) is refused; to let a page "
                "change knowledge bases, serve it from an origin listed in RAGKB_CORS_ORIGINS"
            )
        return None


class RequestTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"the request is larger than the {limit / 2**20:g} MiB limit (RAGKB_MAX_UPLOAD_MB); upload fewer or smaller files",
        )


class BodyLimit:
    """Caps a request's whole body: refused on its declared Content-Length before any of it is read,
    and a body without one (chunked) stops being read once it passes the limit."""

    def __init__(self, app: ASGIApp, *, max_upload_mb: float) -> None:
        self.app = app
        self.limit = int(max_upload_mb * 2**20)
        self.max_bytes = self.limit + MULTIPART_ALLOWANCE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await send_error(scope, receive, send, 413, RequestTooLarge(self.limit).detail)
            return  # uvicorn discards a body the app did not read, so the client still reads this answer
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RequestTooLarge(self.limit)  # FastAPI answers it as a 413 like any HTTPException
            return message

        await self.app(scope, limited, send)


FRAME_HEADERS = [(b"x-frame-options", b"DENY"), (b"content-security-policy", b"frame-ancestors 'none'")]


class NoFraming:
    """Forbids other pages to frame the server's answers (clickjacking: a page on another origin could
    frame the web UI, which with no keys on loopback can delete knowledge bases, and trick clicks)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *FRAME_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
