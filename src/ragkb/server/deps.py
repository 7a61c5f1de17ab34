"""What route handlers share: the app's state and the knowledge base a path names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from ragkb.config import Settings
from ragkb.server.keys import KeyStore

if TYPE_CHECKING:
    from ragkb.server.jobs import JobManager
    from ragkb.server.metrics import Metrics


@dataclass
class AppState:
    settings: Settings
    keys: KeyStore
    jobs: JobManager
    allow_no_auth: bool = False
    metrics: Metrics | None = None


def app_state(request: Request) -> AppState:
    return request.app.state.ragkb
