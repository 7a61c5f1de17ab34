"""Web search beside the documents (retrieve/web.py), against a real HTTP server on 127.0.0.1 that
replays each provider's documented response body (tests/fixtures/web/) and records what it was sent."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from server_live import live_server
from support import write
from test_cli import ragkb
from test_no_network import env, network_uses, run_traced, strace  # noqa: F401  (fixtures)

from ragkb.answer.answering import Answerer
from ragkb.config import KBSettings, Settings
from ragkb.kb import KnowledgeBase
from ragkb.profiles import RetrievalProfile, SearchOptions
from ragkb.retrieve.web import PROVIDERS, search_web

FIXTURES = Path(__file__).parent / "fixtures" / "web"
QUESTION = "When was the Eiffel Tower completed?"
LEAVE = "# Leave\n\nAnnual leave is 25 days per calendar year.\n"
PATHS = {"searxng": "/searxng/search", "bing": "/v7.0/search", "brave": "/res/v1/web/search", "tavily": "/search"}
"""Where each provider's API answers (SearXNG's base URL is /searxng)."""


@dataclass
class Replay:
    url: str
    requests: list[dict] = field(default_factory=list)
    mode: str = "ok"
    """ok: the provider's recorded body; slow: the same after a pause; error: HTTP 500; garbage: not JSON."""


@contextmanager
def replaying() -> Iterator[Replay]:
    """One server for the four providers; which one is asked is told by the path."""
    replay = Replay(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _answer(self, body: dict | None) -> None:
            url = urlsplit(self.path)
            provider = {path: name for name, path in PATHS.items()}.get(url.path)
            replay.requests.append(
                {
                    "provider": provider,
                    "method": self.command,
                    "query": parse_qs(url.query),
                    "body": body,
                    "headers": dict(self.headers),
                }
            )
            if replay.mode == "slow":
                time.sleep(2)
            status, payload = 200, b"<html>rate limited</html>" if replay.mode == "garbage" else b""
            if replay.mode == "error" or provider is None:
                status = 500
            elif replay.mode != "garbage":
                payload = (FIXTURES / f"{provider}.json").read_bytes()
            with suppress(BrokenPipeError, ConnectionResetError):  # a client that gave up on a slow answer
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        def do_GET(self) -> None:
            self._answer(None)

        def do_POST(self) -> None:
            self._answer(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    replay.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield replay
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def web() -> Iterator[Replay]:
    with replaying() as replay:
        yield replay


def configured(settings: Settings, web: Replay, **more) -> Settings:
    """Every provider pointed at the replay server, with a key where the API takes one."""
    return settings.model_copy(
        update={
            "searxng_url": f"{web.url}/searxng/",
            "bing_url": f"{web.url}{PATHS['bing']}",
            "bing_api_key": "bing-key",
            "brave_url": f"{web.url}{PATHS['brave']}",
            "brave_api_key": "brave-key",
            "tavily_url": f"{web.url}{PATHS['tavily']}",
            "tavily_api_key": "tvly-key",
            **more,
        }
    )


@pytest.fixture
def leave(settings: Settings, tmp_path: Path) -> KnowledgeBase:
    profiles = {"web": RetrievalProfile(web_search="bing", web_results=1)}
    kb = KnowledgeBase.create("notes", kb_settings=KBSettings(embedder="none", profiles=profiles), settings=settings)
    kb.add([write(tmp_path / "leave.md", LEAVE)])
    return kb


EXPECTED = {  # each provider: its first result's url, title and snippet as ragkb reads them
    "searxng": (
        "https://en.wikipedia.org/wiki/Eiffel_Tower",
        "Eiffel Tower - Wikipedia",
        "The Eiffel Tower was completed on 31 March 1889 as the entrance arch to the 1889 World's Fair in Paris.",
    ),
    "bing": (
        "https://www.britannica.com/topic/Eiffel-Tower-Paris-France",
        "Eiffel Tower | History, Height, & Facts | Britannica",
        "The Eiffel Tower was completed in 1889 for the Exposition Universelle, which celebrated the centennial of the French Revolution.",
    ),
    "brave": (
        "https://en.wikipedia.org/wiki/Eiffel_Tower",
        "Eiffel Tower - Wikipedia",
        "The Eiffel Tower was completed in March 1889 & opened to the public on 15 May.",
    ),
    "tavily": (
        "https://www.britannica.com/topic/Eiffel-Tower-Paris-France",
        "Eiffel Tower | Facts, History, & Height | Britannica",
        "Eiffel Tower, Paris landmark completed in 1889; the tower was the tallest structure in the world until 1930.",
    ),
}


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_each_provider_is_asked_as_its_api_says_and_read(provider: str, settings: Settings, web: Replay) -> None:
    found = search_web(provider, QUESTION, 3, configured(settings, web))
    assert found.notes == []
    first = found.results[0]
    assert (first.url, first.title, first.snippet) == EXPECTED[provider] and first.provider == provider
    # SearXNG's magnet link and Brave's result without a description are left out
    assert len(found.results) == (1 if provider == "brave" else 2) and all(r.url.startswith("https://") for r in found.results)
    [request] = web.requests
    headers = {name.lower(): value for name, value in request["headers"].items()}
    asked = request["body"]["query"] if provider == "tavily" else request["query"]["q"][0]
    assert asked == QUESTION and headers["user-agent"] == "ragkb"
    if provider == "searxng":
        assert request["query"]["format"] == ["json"]
    elif provider == "bing":
        assert headers["ocp-apim-subscription-key"] == "bing-key" and request["query"]["count"] == ["3"]
    elif provider == "brave":
        assert headers["x-subscription-token"] == "brave-key" and request["query"]["count"] == ["3"]
    else:
        assert headers["authorization"] == "Bearer tvly-key" and request["body"]["max_results"] == 3


def test_web_results_are_cited_by_url_beside_the_documents(leave: KnowledgeBase, web: Replay) -> None:
    leave.app_settings = configured(leave.app_settings, web)
    assert Answerer(leave).ask(QUESTION).refused and web.requests == []  # off by default: nobody is asked

    answer = Answerer(leave, options=SearchOptions(web_search="searxng")).ask(QUESTION)
    assert not answer.refused and "31 March 1889" in answer.answer and answer.notes == []
    [cited] = answer.citations
    assert cited.url == cited.file == "https://en.wikipedia.org/wiki/Eiffel_Tower" and cited.chunk_id is None
    assert cited.label == "https://en.wikipedia.org/wiki/Eiffel_Tower, Eiffel Tower - Wikipedia"
    assert all(hit.url is None for hit in answer.retrieved)  # the documents' hits stay the KB's

    by_profile = Answerer(leave, options=SearchOptions(profile="web")).ask(QUESTION)  # bing, one result
    assert [c.url for c in by_profile.citations] == ["https://www.britannica.com/topic/Eiffel-Tower-Paris-France"]
    both = leave.retrieve("annual leave in 1889", SearchOptions(profile="web"))
    assert [Path(hit.file).name for hit in both.hits] == ["leave.md"] and len(both.web) == 1 and "web" in both.timings
    assert [r["provider"] for r in web.requests] == ["searxng", "bing", "bing"] and web.requests[1]["query"]["count"] == ["1"]


@pytest.mark.parametrize(
    ("mode", "note"),
    [
        ("error", "web search 'searxng' failed: HTTP 500"),
        ("garbage", "web search 'searxng' sent an answer ragkb cannot read (JSONDecodeError)"),
        ("slow", "web search 'searxng' did not answer within 0.5 s"),
    ],
)
def test_a_failing_or_slow_provider_leaves_a_note_never_an_error(leave: KnowledgeBase, web: Replay, mode: str, note: str) -> None:
    leave.app_settings = configured(leave.app_settings, web, web_search_timeout=0.5)
    web.mode = mode
    answer = Answerer(leave, options=SearchOptions(web_search="searxng")).ask("How many days of annual leave per year?")
    assert "25 days" in answer.answer and answer.notes == [note]
    assert [c.file.rsplit("/", 1)[-1] for c in answer.citations] == ["leave.md"]


def test_a_provider_without_its_setting_is_never_asked(leave: KnowledgeBase, web: Replay) -> None:
    result = leave.retrieve("annual leave", SearchOptions(web_search="tavily"))
    assert (
        result.hits and result.web == [] and result.notes == ["web search 'tavily' is not configured; set RAGKB_TAVILY_API_KEY"]
    )
    assert web.requests == []


def test_http_search_and_ask_take_web_search_per_request(leave: KnowledgeBase, web: Replay) -> None:
    with live_server(configured(leave.app_settings, web)) as url, httpx.Client(base_url=url, timeout=60) as client:
        found = client.post("/api/kbs/notes/search", json={"query": QUESTION, "web_search": "brave"}).json()
        assert found["web"][0]["url"] == "https://en.wikipedia.org/wiki/Eiffel_Tower" and found["notes"] == []
        answer = client.post("/api/kbs/notes/ask", json={"question": QUESTION, "web_search": "tavily"}).json()
        assert answer["citations"][0]["url"] == "https://www.britannica.com/topic/Eiffel-Tower-Paris-France"
        bad = client.post("/api/kbs/notes/ask", json={"question": QUESTION, "web_search": "google"})
        assert bad.status_code == 422 and "web_search" in bad.json()["detail"]


def test_cli_shows_web_results_and_connects_only_where_configured(
    strace: str,  # noqa: F811
    env: dict[str, str],  # noqa: F811
    web: Replay,
    tmp_path: Path,
) -> None:
    """Under strace: a provider without its key is never looked up; the configured SearXNG (on loopback) is."""
    ragkb(env, "kb", "create", "notes", "--embedder", "none")
    ragkb(env, "add", str(write(tmp_path / "leave.md", LEAVE)), "--kb", "notes")
    unset = run_traced(tmp_path / "brave.trace", env, "search", QUESTION, "--kb", "notes", "--set", "web_search=brave")
    assert "web search 'brave' is not configured; set RAGKB_BRAVE_API_KEY" in unset.stderr
    searxng = {**env, "RAGKB_SEARXNG_URL": f"{web.url}/searxng"}
    found = run_traced(tmp_path / "search.trace", searxng, "search", QUESTION, "--kb", "notes", "--set", "web_search=searxng")
    assert "web https://en.wikipedia.org/wiki/Eiffel_Tower  Eiffel Tower - Wikipedia" in found.stdout
    asked = run_traced(tmp_path / "ask.trace", searxng, "ask", QUESTION, "--kb", "notes", "--set", "web_search=searxng")
    assert "Paris. [1]" in asked.stdout and "[1] https://en.wikipedia.org/wiki/Eiffel_Tower § Eiffel Tower" in asked.stdout
    assert len(web.requests) == 2
    for name in ("brave", "search", "ask"):
        assert network_uses((tmp_path / f"{name}.trace").read_text()) == [], name
