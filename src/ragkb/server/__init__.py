"""The HTTP server: REST API, OpenAI-compatible endpoints and the web UI (``ragkb serve``)."""

from ragkb.server.app import create_app

__all__ = ["create_app"]
