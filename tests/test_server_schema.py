"""Property-based API test: schemathesis generates requests from /openapi.json and sends them to a
live server with an API key configured, both valid and invalid ones; no answer may be a 5xx, break the documented schema or
accept a wrong key. Derandomized and bounded, so every run sends the same requests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from server_live import live_server
from support import write

from ragkb.config import KBSettings, Settings
from ragkb.kb import KnowledgeBase
from ragkb.server.keys import KeyStore

EXAMPLES_PER_OPERATION = 15
SEMANTIC_CHECKS = [schemathesis.checks.positive_data_acceptance]
"""Left out: a schema cannot say which embedder specs exist or that a query of blanks asks nothing,
so such schema-valid requests rightly get a 400 with what to do."""


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, str]]:
    kb = KnowledgeBase.create("notes", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add([write(tmp_path / "travel.md", "# Travel\n\nClaims are due within 30 days of the trip.\n")])
    key = KeyStore.for_settings(settings).create("fuzzer", None)
    with live_server(settings) as url:
        yield url, key


def test_generated_requests_never_break_the_server(server: tuple[str, str]) -> None:
    server, key = server
    auth = {"Authorization": f"Bearer {key}"}
    schema = schemathesis.openapi.from_url(f"{server}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation, mode in itertools.product(operations, GenerationMode):

        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case) -> None:
            case.call_and_validate(base_url=server, headers=auth, excluded_checks=SEMANTIC_CHECKS, timeout=120)

        try:
            check()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, f"no valid request for {operation.label}"  # nothing to break: no inputs
    with httpx.Client(base_url=server, headers=auth) as client:  # still up, and the seeded KB intact
        assert client.get("/api/health").json()["status"] == "ok"
        assert client.get("/api/kbs/notes").json()["chunks"] == 1
