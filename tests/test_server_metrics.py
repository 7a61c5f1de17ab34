"""``GET /metrics`` over a real server on 127.0.0.1, read with prometheus_client's own parser:
requests, errors, search and answer latencies, a model's token timings, ingestion and the answer
cache; behind the API keys; off unless asked for (``ragkb serve --metrics``)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
from llm_servers import chat_server
from prometheus_client.parser import text_string_to_metric_families
from server_live import free_port, live_server
from support import write

from ragkb.config import Settings
from ragkb.server.keys import KeyStore

LEAVE = "# Leave\n\nAnnual leave is 25 days per calendar year.\n\n## Abroad\n\nStaff posted abroad get 30 days of leave.\n"
QUESTION = "How many days of annual leave per year?"


def scrape(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics``: (name, sorted labels) → value."""
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples that carry ``labels`` (0 when none)."""
    wanted = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and wanted <= set(found))


def wait_for_job(client: httpx.Client, job_id: str) -> None:
    deadline = time.monotonic() + 300
    while client.get(f"/api/jobs/{job_id}").json()["state"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_metrics_count_requests_latencies_tokens_ingestion_and_the_cache(settings: Settings, tmp_path: Path) -> None:
    with chat_server("Annual leave is 25 days per calendar year [1].") as (llm, _):
        settings = settings.model_copy(update={"openai_base_url": f"{llm}/v1", "openai_api_key": "k"})
        with live_server(settings, metrics=True) as url, httpx.Client(base_url=url, timeout=120) as client:
            assert client.post("/api/kbs", json={"name": "hr", "settings": {"embedder": "none"}}).status_code == 201
            leave = write(tmp_path / "leave.md", LEAVE)
            job = client.post("/api/kbs/hr/files", files=[("files", ("leave.md", leave.read_bytes()))]).json()["job_id"]
            wait_for_job(client, job)
            assert client.post("/api/kbs/hr/search", json={"query": "annual leave"}).status_code == 200
            for _ in range(2):
                assert client.post("/api/kbs/hr/ask", json={"question": QUESTION}).json()["answer"]
            body = {"question": QUESTION, "generator": "openai:m", "stream": True}
            with client.stream("POST", "/api/kbs/hr/ask", json=body) as response:
                response.read()
            assert client.get("/api/kbs/missing").status_code == 404
            samples = scrape(client)

    assert value(samples, "ragkb_http_requests_total", route="/api/kbs/{kb}/ask", method="POST", status="200") == 3
    assert value(samples, "ragkb_http_errors_total", route="/api/kbs/{kb}", status="404") == 1
    assert value(samples, "ragkb_http_request_duration_seconds_count", route="/api/kbs/{kb}/search") == 1
    assert value(samples, "ragkb_search_duration_seconds_count", source="search") == 1
    assert value(samples, "ragkb_search_duration_seconds_count", source="answer") == 2  # a cached answer searched nothing
    assert value(samples, "ragkb_answer_duration_seconds_count", generator="extractive", cached="false") == 1
    assert value(samples, "ragkb_answer_duration_seconds_count", generator="extractive", cached="true") == 1
    assert value(samples, "ragkb_answer_cache_hits_total") == 1 and value(samples, "ragkb_answer_cache_misses_total") == 2
    # the test server streams its reply a word a piece: "Annual leave is 25 days per calendar year [1]."
    assert value(samples, "ragkb_answer_output_tokens_total", generator="openai:m") == 9
    assert value(samples, "ragkb_answer_time_to_first_token_seconds_count", generator="openai:m") == 1
    assert value(samples, "ragkb_answer_time_per_output_token_seconds_count", generator="openai:m") == 1
    assert value(samples, "ragkb_answer_output_tokens_per_second_sum", generator="openai:m") > 0
    assert value(samples, "ragkb_ingest_files_total") == 1 and value(samples, "ragkb_ingest_chunks_total") >= 1
    assert value(samples, "ragkb_ingest_seconds_total") > 0 and value(samples, "ragkb_ingest_chunks_per_second") > 0
    assert not any("hr" in dict(labels).get("route", "") for _, labels in samples)  # routes, never names


def test_metrics_are_behind_the_api_keys_and_off_by_default(settings: Settings) -> None:
    with live_server(settings) as url:
        assert httpx.get(f"{url}/metrics").status_code == 404
    key = KeyStore.for_settings(settings).create("ops", None)
    with live_server(settings, metrics=True) as url:
        assert httpx.get(f"{url}/metrics").status_code == 401
        samples = scrape(httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}))
        assert value(samples, "ragkb_http_errors_total", route="/metrics", status="401") == 1


def test_ragkb_serve_metrics_turns_them_on(cli_env: dict[str, str]) -> None:
    port = free_port()
    process = subprocess.Popen(
        ["ragkb", "serve", "--port", str(port), "--metrics"], env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, process.communicate()[1]
                time.sleep(0.2)
        assert response.status_code == 200 and "ragkb_http_requests_total" in response.text
    finally:
        process.terminate()
        process.wait(30)
