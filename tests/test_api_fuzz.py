"""Fuzzing the HTTP API of a real server on 127.0.0.1 (issue 13): schemathesis over the whole
OpenAPI schema, operation by operation and as call sequences along the links it finds, fails on
any 5xx and on any answer that does not match the schema; hypothesis properties for query strings
and ids (any text, any integer) on search, ask, chat and chunk lookups.

Bounded to run in a minute or two on two cores: a few examples per operation, each deterministic
(derandomized) so that CI runs the same cases every time."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks
from schemathesis.config import SchemathesisConfig
from server_live import live_server

from ragkb.config import Settings
from ragkb.server import create_app

FUZZ = settings(
    max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck), print_blob=True
)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
"""A 5xx, or an answer (status, content type, body, headers) that the schema does not describe."""
NOTE = "The VPN gateway address is vpn.example.org; the VPN needs the company certificate.\n"
NOWHERE = "http://127.0.0.1:9"
"""Model servers the fuzzer may name (ollama:M, openai:M) are looked for here: nothing listens, nothing leaves."""


@contextmanager
def seeded_server(home: Path) -> Iterator[str]:
    """A server whose KB ``notes`` (sparse) holds one indexed note."""
    settings = Settings(home=home, ollama_url=NOWHERE, openai_base_url=NOWHERE + "/v1", max_upload_mb=1)
    with live_server(settings) as url, httpx.Client(base_url=url, timeout=120) as client:
        assert client.post("/api/kbs", json={"name": "notes", "settings": {"embedder": "none"}}).status_code == 201
        job = client.post("/api/kbs/notes/files", files=[("files", ("vpn.txt", NOTE.encode()))]).json()["job_id"]
        while client.get(f"/api/jobs/{job}").json()["state"] in ("queued", "running"):
            time.sleep(0.1)
        yield url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with seeded_server(tmp_path_factory.mktemp("fuzz-home")) as url:
        yield url


SEEDED = {
    "parameters": {"kb": "notes"},
    "operations": [{"include-name": "DELETE /api/kbs/{kb}", "parameters": {"kb": "scratch"}}],
}
"""Every case names the seeded KB (an unknown one is only ever a 404), except deleting one: the
operations after that would all be 404s again."""


def published_schema() -> dict:
    """What the server publishes at /openapi.json (it does not depend on what the server holds)."""
    with tempfile.TemporaryDirectory() as home:
        app = create_app(Settings(home=Path(home)))
        app.state.ragkb.jobs.stop()
        return app.openapi()


schema = schemathesis.openapi.from_dict(published_schema(), config=SchemathesisConfig.from_dict(SEEDED))


@schema.parametrize()
@FUZZ
def test_no_operation_answers_a_5xx_or_off_its_schema(case: schemathesis.Case, server: str) -> None:
    case.call_and_validate(base_url=server, checks=CHECKS, timeout=120)


def test_call_sequences_along_the_schema_links(server: str) -> None:
    machine = schema.as_state_machine()

    class Sequences(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict:
            return {"base_url": server, "timeout": 120}

        def validate_response(self, response, case, additional_checks=(), **kwargs) -> None:
            case.validate_response(response, checks=CHECKS)

    Sequences.run(settings=settings(FUZZ, max_examples=10, stateful_step_count=6))


# --- properties of query strings and ids --------------------------------------------------------

ANY_TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=60).filter(lambda text: len(text.encode()) > 0)
"""Any Unicode text a client can send in JSON: NUL and other controls, quotes, FTS5 syntax, lone marks."""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A server of its own: the schema fuzzing may have deleted the other one's KB."""
    with seeded_server(tmp_path_factory.mktemp("property-home")) as url, httpx.Client(base_url=url, timeout=120) as client:
        yield client


@FUZZ
@given(text=ANY_TEXT | st.sampled_from(['"', "NEAR(a b)", "a OR", "*", "vpn\x00", "\x00", "-vpn", "^", "a:b", "(("]))
def test_any_query_text_is_searched_asked_and_chatted_without_a_5xx(client: httpx.Client, text: str) -> None:
    """A text with no word in it (only punctuation or controls) is a 400 that says so."""
    for response in (
        client.post("/api/kbs/notes/search", json={"query": text}),
        client.post("/api/kbs/notes/ask", json={"question": text}),
        client.post("/v1/chat/completions", json={"model": "kb:notes", "messages": [{"role": "user", "content": text}]}),
    ):
        assert response.status_code in (200, 400, 422), (text, response.text)
        assert response.status_code == 200 or response.json()["detail"], response.text


@FUZZ
@given(chunk_id=st.integers(min_value=-(2**80), max_value=2**80) | st.sampled_from([0, 2**63 - 1, 2**63, -(2**63)]))
def test_any_chunk_id_is_a_chunk_a_404_or_a_422(client: httpx.Client, chunk_id: int) -> None:
    response = client.get(f"/api/kbs/notes/chunks/{chunk_id}")
    assert response.status_code in (200, 404, 422), response.text
    assert (response.status_code == 422) == (not 1 <= chunk_id < 2**63), response.text
