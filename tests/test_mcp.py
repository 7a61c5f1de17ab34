"""The MCP server, driven by the official SDK's own client: over stdio (the client spawns ``ragkb mcp``)
and over streamable HTTP against ``ragkb serve``'s ``/mcp`` on 127.0.0.1, with API keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from server_live import live_server
from support import write

from ragkb.config import KBSettings, Settings
from ragkb.kb import KnowledgeBase
from ragkb.server.keys import KeyStore

LEAVE = (
    "# Leave\n\nAnnual leave is 25 days per calendar year.\n\n## Abroad\n\nStaff posted abroad get 30 days of leave per year.\n"
)
BADGE = "# Badges\n\nThe badge office opens at nine and closes at five.\n"
QUESTION = "How many days of annual leave per calendar year?"


@pytest.fixture
def kbs(settings: Settings, tmp_path: Path) -> Settings:
    for name, file, text in (("notes", "leave.md", LEAVE), ("secret", "badge.md", BADGE)):
        kb = KnowledgeBase.create(name, kb_settings=KBSettings(embedder="none"), settings=settings)
        kb.add([write(tmp_path / name / file, text)])
    return settings


def structured(result: Any) -> Any:
    assert not result.is_error, result.content
    return result.structured_content


async def exercise(client: Client) -> dict[str, Any]:
    """Every tool and resource once; what came back."""
    tools = {tool.name for tool in (await client.list_tools()).tools}
    kbs = structured(await client.call_tool("list_kbs", {}))["result"]
    found = structured(await client.call_tool("search", {"kb": "notes", "query": "leave abroad", "k": 2}))
    filtered = structured(await client.call_tool("search", {"kb": "notes", "query": "leave", "filters": {"extensions": ["pdf"]}}))
    answer = structured(await client.call_tool("ask", {"kb": "notes", "question": QUESTION}))
    chunk_id = answer["citations"][0]["chunk_id"]
    chunk = structured(await client.call_tool("fetch_chunk", {"kb": "notes", "chunk_id": chunk_id}))
    missing = await client.call_tool("fetch_chunk", {"kb": "notes", "chunk_id": 999_999})
    unknown = await client.call_tool("search", {"kb": "nope", "query": "x"})
    resources = (await client.list_resources()).resources
    notes_file = next(r for r in resources if r.name == "leave.md")
    text = (await client.read_resource(notes_file.uri)).contents[0]
    secret = await client.call_tool("search", {"kb": "secret", "query": "badge office"})
    return {
        "tools": tools,
        "kbs": kbs,
        "found": found,
        "filtered": filtered,
        "answer": answer,
        "chunk": chunk,
        "missing": missing,
        "unknown": unknown,
        "resources": resources,
        "file": (notes_file, text),
        "secret": secret,
    }


def check_common(seen: dict[str, Any]) -> None:
    assert seen["tools"] == {"list_kbs", "search", "ask", "fetch_chunk"}
    hits = seen["found"]["hits"]
    assert hits[0]["section"] == ["Leave", "Abroad"] and "30 days" in hits[0]["text"] and seen["filtered"]["hits"] == []
    answer = seen["answer"]
    assert "25 days" in answer["answer"] and "[1]" in answer["answer"] and not answer["refused"]
    assert answer["citations"][0]["number"] == 1 and answer["citations"][0]["file"].endswith("leave.md")
    assert "25 days" in seen["chunk"]["text"] and seen["chunk"]["chunk_id"] == answer["citations"][0]["chunk_id"]
    assert seen["missing"].is_error and "has no chunk 999999" in seen["missing"].content[0].text
    resource, text = seen["file"]
    assert str(resource.uri).startswith("ragkb://kb/notes/file/") and resource.mime_type == "text/markdown"
    assert text.text.startswith("# Leave\n\nAnnual leave is 25 days") and "# Leave > Abroad\n\nStaff posted abroad" in text.text


def test_stdio_client_spawning_ragkb_mcp(kbs: Settings, cli_env: dict[str, str]) -> None:
    async def main() -> dict[str, Any]:
        async with Client(StdioServerParameters(command="ragkb", args=["mcp"], env=cli_env)) as client:
            return await exercise(client)

    seen = anyio.run(main)
    check_common(seen)
    assert [kb["name"] for kb in seen["kbs"]] == ["notes", "secret"]  # the local user: every KB
    assert seen["unknown"].is_error and "knowledge base 'nope' does not exist; create it" in seen["unknown"].content[0].text
    assert seen["answer"]["citations"][0]["file"] == str(kbs.home.parent / "notes" / "leave.md")  # paths as they are
    assert "badge office" in structured(seen["secret"])["hits"][0]["text"]


def http_client(url: str, key: str | None) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client(streamable_http_client(f"{url}/mcp", http_client=httpx2.AsyncClient(headers=headers, timeout=120)))


def test_streamable_http_under_ragkb_serve_honours_api_keys(kbs: Settings) -> None:
    key = KeyStore.for_settings(kbs).create("notes-only", ["notes"])

    async def main(url: str) -> dict[str, Any]:
        async with http_client(url, key) as client:
            return await exercise(client)

    async def refused(url: str, key: str | None) -> None:
        with pytest.raises(Exception) as error:  # the SDK's MCPError, inside exception groups
            async with http_client(url, key) as client:
                await client.list_tools()
        assert "Server returned an error response" in repr(error.value)

    with live_server(kbs) as url:
        seen = anyio.run(main, url)
        anyio.run(refused, url, None)
        anyio.run(refused, url, "rkb_wrong")
        raw = httpx2.post(f"{url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        wrong = httpx2.post(f"{url}/mcp", json={}, headers={"Authorization": "Bearer rkb_wrong"})
    check_common(seen)
    assert [kb["name"] for kb in seen["kbs"]] == ["notes"]
    assert (
        seen["unknown"].is_error and "API key 'notes-only' may not use knowledge base 'nope'" in seen["unknown"].content[0].text
    )
    assert {r.name for r in seen["resources"]} == {"leave.md"}  # not the other KB's files
    assert seen["secret"].is_error and "may not use knowledge base 'secret'" in seen["secret"].content[0].text
    assert seen["answer"]["citations"][0]["file"] == "leave.md"  # relative to the folder the KB's files came from
    assert raw.status_code == 401 and json.loads(raw.text)["detail"].startswith("missing API key")
    assert wrong.status_code == 401 and "unknown or revoked API key" in wrong.text


def test_http_without_keys_answers_loopback_clients(kbs: Settings) -> None:
    async def main(url: str) -> list[str]:
        async with http_client(url, None) as client:
            return [kb["name"] for kb in structured(await client.call_tool("list_kbs", {}))["result"]]

    with live_server(kbs) as url:
        assert anyio.run(main, url) == ["notes", "secret"]
