"""Who may use the server: API keys from the CLI (401/403), loopback-only without keys, CORS, and
``ragkb serve`` itself."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from server_live import free_port, live_server
from support import write

from ragkb.config import KBSettings, Settings
from ragkb.kb import KnowledgeBase
from ragkb.server import create_app


def ragkb(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ragkb", *args], check=False, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def two_kbs(settings: Settings, tmp_path: Path) -> Settings:
    for name in ("hr", "it"):
        kb = KnowledgeBase.create(name, kb_settings=KBSettings(embedder="none"), settings=settings)
        kb.add([write(tmp_path / name / "doc.md", f"# {name}\n\nThe {name} team answers within two days.\n")])
    return settings


def test_keys_grant_their_knowledge_bases_only(two_kbs: Settings, cli_env: dict[str, str]) -> None:
    created = ragkb(cli_env, "keys", "create", "hr-bot", "--kb", "hr", "--json")
    assert created.returncode == 0, created.stderr
    hr_key = json.loads(created.stdout)["key"]
    admin_key = json.loads(ragkb(cli_env, "keys", "create", "admin", "--all-kbs", "--json").stdout)["key"]
    assert ragkb(cli_env, "keys", "create", "admin", "--all-kbs").stderr.startswith("Error: an API key named 'admin' exists")

    with live_server(two_kbs) as url:
        anonymous = httpx.Client(base_url=url, timeout=60)
        hr = httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {hr_key}"})
        admin = httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {admin_key}"})
        wrong = httpx.Client(base_url=url, timeout=60, headers={"Authorization": "Bearer rkb_not-a-key"})

        assert anonymous.get("/api/health").status_code == 200  # health needs no key
        missing = anonymous.get("/api/kbs")
        assert missing.status_code == 401 and "missing API key" in missing.json()["detail"]
        assert missing.headers["www-authenticate"] == "Bearer"
        assert wrong.get("/api/kbs").status_code == 401
        assert wrong.post("/v1/chat/completions", json={"model": "kb:hr", "messages": []}).status_code == 401

        assert [kb["name"] for kb in hr.get("/api/kbs").json()] == ["hr"]
        assert [m["id"] for m in hr.get("/v1/models").json()["data"] if m["id"].startswith("kb:")] == ["kb:hr"]
        assert hr.post("/api/kbs/hr/search", json={"query": "team answers"}).json()["hits"]
        for response in (
            hr.get("/api/kbs/it"),
            hr.post("/api/kbs/it/search", json={"query": "team"}),
            hr.get("/api/kbs/unknown"),  # no hint whether it exists
            hr.post("/api/kbs", json={"name": "new"}),
            hr.post("/v1/chat/completions", json={"model": "kb:it", "messages": [{"role": "user", "content": "hi"}]}),
        ):
            assert response.status_code == 403 and "may not use knowledge base" in response.json()["detail"]

        job = admin.post("/api/kbs/it/files", files=[("files", ("more.md", b"# More\n\nMore text.\n"))]).json()["job_id"]
        assert hr.get(f"/api/jobs/{job}").status_code == 403
        assert admin.get(f"/api/jobs/{job}").status_code == 200
        assert sorted(kb["name"] for kb in admin.get("/api/kbs").json()) == ["hr", "it"]

        listed = {key["name"]: key for key in json.loads(ragkb(cli_env, "keys", "list", "--json").stdout)}
        assert listed["hr-bot"]["kbs"] == ["hr"] and listed["admin"]["kbs"] == "all"
        assert listed["hr-bot"]["last_used_at"] is not None and "key" not in listed["hr-bot"]

        assert ragkb(cli_env, "keys", "revoke", "hr-bot").returncode == 0
        assert hr.get("/api/kbs").status_code == 401  # at once, no restart
        assert ragkb(cli_env, "keys", "revoke", "hr-bot").stderr.startswith("Error: no API key named 'hr-bot'")


def test_without_keys_only_loopback_clients_are_served(two_kbs: Settings) -> None:
    with live_server(two_kbs) as url:
        local = httpx.get(f"{url}/api/kbs", headers={"Authorization": "Bearer anything"}, timeout=60)
        assert local.status_code == 200 and len(local.json()) == 2  # any key (or none) is fine locally

    def remote_get(app, path: str) -> httpx.Response:
        """A request from another machine: the app sees the client address a TCP peer would have."""
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))

        async def call() -> httpx.Response:
            async with httpx.AsyncClient(transport=transport, base_url="http://ragkb.example") as client:
                return await client.get(path)

        return asyncio.run(call())

    refused = remote_get(create_app(two_kbs), "/api/kbs")
    assert refused.status_code == 403 and "local clients only" in refused.json()["detail"]
    assert remote_get(create_app(two_kbs, allow_no_auth=True), "/api/kbs").status_code == 200


def test_cors_origins_come_from_settings(two_kbs: Settings) -> None:
    preflight = {"Origin": "https://ui.example", "Access-Control-Request-Method": "POST"}
    with live_server(two_kbs) as url:
        response = httpx.options(f"{url}/api/kbs", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
    allowed = two_kbs.model_copy(update={"cors_origins": "https://ui.example, https://other.example"})
    with live_server(allowed) as url:
        response = httpx.options(f"{url}/api/kbs", headers=preflight)
        assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "https://ui.example"
        stranger = httpx.options(f"{url}/api/kbs", headers={**preflight, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in stranger.headers


@pytest.fixture
def served(cli_env: dict[str, str], home: Path) -> Iterator[str]:
    """``ragkb serve`` as a user starts it, in its own process."""
    port = free_port()
    process = subprocess.Popen(
        ["ragkb", "serve", "--port", str(port)],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(f"{url}/api/health", timeout=5)
            break
        except httpx.TransportError:
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()[1]
            time.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(30)


def test_ragkb_serve_serves_the_api_its_docs_and_the_web_ui(served: str) -> None:
    assert httpx.get(f"{served}/api/health").json()["status"] == "ok"
    assert "/api/kbs/{kb}/ask" in httpx.get(f"{served}/openapi.json").json()["paths"]
    assert httpx.get(f"{served}/docs").status_code == 200
    index = httpx.get(f"{served}/")
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")


def test_ragkb_serve_refuses_a_public_address_without_keys(cli_env: dict[str, str]) -> None:
    result = ragkb(cli_env, "serve", "--host", "0.0.0.0", "--port", str(free_port()))
    assert result.returncode == 1
    assert "refusing to serve 0.0.0.0 without API keys" in result.stderr and "--allow-no-auth" in result.stderr
    assert "Traceback" not in result.stderr
