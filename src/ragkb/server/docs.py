"""``/docs``: Swagger UI from the package's own copy (``web/vendor/swagger-ui``, served with the web
UI), so the API's documentation opens offline; FastAPI's default page loads it from a CDN. ReDoc,
which FastAPI also loads from a CDN, is not served."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

DOCS_URL = "/docs"
SWAGGER_UI = "/vendor/swagger-ui"


def install(app: FastAPI) -> None:
    """Serve Swagger UI at ``/docs``; the app must be made with ``docs_url=None, redoc_url=None``."""
    openapi_url = app.openapi_url or "/openapi.json"

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{root}{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=f"{root}/favicon.svg",
        )

    app.add_route(DOCS_URL, swagger_ui, include_in_schema=False)
