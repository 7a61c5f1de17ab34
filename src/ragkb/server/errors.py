"""Every error is JSON ``{"detail": "<one line that says what to do>"}``: 4xx for the caller's
mistakes, 500 only for bugs (logged with their traceback, never shown to the client)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragkb.errors import KnowledgeBaseExists, KnowledgeBaseNotFound, RagkbError, UnsupportedFormat
from ragkb.server.deps import app_state
from ragkb.server.paths import PublicPaths

log = logging.getLogger("ragkb.server")


class ErrorOut(BaseModel):
    detail: str


def error_response(description: str) -> dict:
    """An OpenAPI response entry for an error status."""
    return {"model": ErrorOut, "description": description}


ERROR_RESPONSES: dict[int | str, dict] = {
    400: error_response("bad request"),
    401: error_response("missing or unknown API key"),
    403: error_response("this key may not use that knowledge base, or the request came from another origin or Host"),
    404: error_response("not found"),
    413: error_response("the request body is over RAGKB_MAX_UPLOAD_MB"),
    422: error_response("invalid request"),
}


def status_for(error: RagkbError) -> int:
    if isinstance(error, KnowledgeBaseNotFound):
        return 404
    if isinstance(error, KnowledgeBaseExists):
        return 409
    if isinstance(error, UnsupportedFormat):
        return 415
    return 400


def describe_validation(errors: Sequence[Mapping[str, Any]], prefix: str = "") -> str:
    """The first validation error as one line: where it is and what is wrong."""
    first = errors[0]
    if first.get("type") == "json_invalid":
        return f"the request body is not valid JSON ({first.get('ctx', {}).get('error', 'parse error')}); send a JSON object"
    location = [str(part) for part in first.get("loc", ()) if part != "body"]
    where = prefix + ".".join(location)
    message = first.get("msg", "invalid value")
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"{where or 'request body'}: {message}{more}"


def _error(request: Request, status: int, detail: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    detail = PublicPaths(app_state(request).settings.home).text(detail)
    body: dict = {"detail": detail}
    if request.url.path.startswith("/v1/"):  # what OpenAI clients read their error message from
        body["error"] = {"message": detail, "type": "invalid_request_error" if status < 500 else "server_error", "code": status}
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return _error(request, error.status_code, str(error.detail), error.headers)

    @app.exception_handler(RagkbError)
    async def ragkb_error(request: Request, error: RagkbError) -> JSONResponse:
        return _error(request, status_for(error), str(error))

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        return _error(request, 422, describe_validation(error.errors()))

    @app.exception_handler(ValidationError)
    async def settings_invalid(request: Request, error: ValidationError) -> JSONResponse:
        return _error(request, 422, describe_validation(error.errors(), prefix="settings."))


async def send_error(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    """Answer with the usual error body from an ASGI middleware (outside routes and their handlers)."""
    await _error(Request(scope), status, detail)(scope, receive, send)


class CatchAll:
    """Any other exception becomes a logged 500 with the usual body, and the connection stays usable.

    (Starlette's handler for ``Exception`` answers and then raises again, and uvicorn closes the
    connection of a request whose app raised: the client's next request on it failed too.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as error:
            if started:  # part of the answer is out: only closing the connection can tell the client
                raise
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            await send_error(
                scope, receive, send, 500, f"internal error ({type(error).__name__}); the server log has the details"
            )
